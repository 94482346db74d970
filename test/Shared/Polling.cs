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

    /// <summary>
    /// Asks a server's readiness endpoint (<c>/readyz</c>, relative to the client's base address or absolute) until it
    /// answers with success; after <paramref name="timeout"/>, throws a <see cref="TimeoutException"/> with its last answer.
    /// </summary>
    public static async Task UntilReadyAsync(HttpClient client, Uri readyz, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (ready, answer) = await UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync(readyz);
                return (response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            },
            last => last.IsSuccessStatusCode,
            timeout);
        if (!ready)
        {
            throw new TimeoutException($"the server did not become ready within {timeout.TotalSeconds} s: {answer}");
        }
    }
}
