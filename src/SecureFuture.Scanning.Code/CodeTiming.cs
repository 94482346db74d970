using System.Collections.Concurrent;
using System.Diagnostics;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// Where code analysis spends its time, for profiling: with <c>SFI_CODE_TIMING=1</c> in the environment each phase's
/// elapsed time (summed over the threads that ran it) is written to standard error when the analysis ends. Off, a
/// phase costs one static field read.
/// </summary>
internal static class CodeTiming
{
    public const string Variable = "SFI_CODE_TIMING";

    private static readonly bool Enabled = Environment.GetEnvironmentVariable(Variable) is "1" or "true";
    private static readonly ConcurrentDictionary<string, (long Ticks, long Count)> Totals = new(StringComparer.Ordinal);

    /// <summary>Times the scope until it is disposed: <c>using (CodeTiming.Phase("parse")) { ... }</c>.</summary>
    public static Scope Phase(string name) => new(Enabled ? name : null);

    /// <summary>Writes the totals (largest first) to standard error and clears them; nothing when timing is off.</summary>
    public static void Report(TimeSpan wall)
    {
        if (!Enabled)
        {
            return;
        }

        var lines = Totals.OrderByDescending(t => t.Value.Ticks)
            .Select(t => $"  {t.Key,-32} {Stopwatch.GetElapsedTime(0, t.Value.Ticks).TotalSeconds,8:F2} s  x{t.Value.Count}");
        Console.Error.WriteLine($"code analysis: {wall.TotalSeconds:F2} s wall; per phase, summed over threads:\n{string.Join('\n', lines)}");
        Totals.Clear();
    }

    public readonly struct Scope : IDisposable
    {
        private readonly string? _name;
        private readonly long _start;

        internal Scope(string? name)
        {
            _name = name;
            _start = name is null ? 0 : Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (_name is null)
            {
                return;
            }

            var elapsed = Stopwatch.GetTimestamp() - _start;
            Totals.AddOrUpdate(_name, (elapsed, 1), (_, t) => (t.Ticks + elapsed, t.Count + 1));
        }
    }
}
