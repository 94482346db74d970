using System.Diagnostics;

namespace SecureFuture.Testing;

/// <summary>
/// Waiting for something that happens elsewhere (another process, a background worker): probe, and probe again a
/// moment later, until a condition holds or a deadline passes. Never a fixed sleep: a fast machine goes on at once,
/// a loaded one gets the whole deadline.
/// </summary>
public static class Polling
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Probes until <paramref name="done"/> holds or <paramref name="timeout"/> passes; returns the last value, for the caller to assert on.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value) || waited.Elapsed > timeout)
            {
                return value;
            }

            await Task.Delay(Interval);
        }
    }

    /// <summary>Probes until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout) => UntilAsync(condition, held => held, timeout);
}
