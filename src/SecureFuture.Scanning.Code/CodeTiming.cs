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

    private static readonly ConcurrentBag<(string Compilation, long Ticks)> Compilations = [];

    /// <summary>Times the scope until it is disposed: <c>using (CodeTiming.Phase("parse")) { ... }</c>.</summary>
    public static Scope Phase(string name) => new(Enabled ? name : null);

    /// <summary>The moment a compilation's checks start, for <see cref="CompilationDone"/>; 0 when timing is off.</summary>
    public static long CompilationStart() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>
    /// Records how long a compilation's checks took. The slowest are reported: compilations run side by side, so one
    /// that takes most of the run sets the wall time whatever the other threads do.
    /// </summary>
    public static void CompilationDone(string name, long start)
    {
        if (Enabled)
        {
            Compilations.Add((name, Stopwatch.GetTimestamp() - start));
        }
    }

    /// <summary>Writes the totals (largest first) to standard error and clears them; nothing when timing is off.</summary>
    public static void Report(TimeSpan wall)
    {
        if (!Enabled)
        {
            return;
        }

        var lines = Totals.OrderByDescending(t => t.Value.Ticks)
            .Select(t => $"  {t.Key,-32} {Stopwatch.GetElapsedTime(0, t.Value.Ticks).TotalSeconds,8:F2} s  x{t.Value.Count}");
        // The collector's share: allocation-heavy phases pay for it in pauses that no phase's own code shows.
        var gc = $"GC: {GC.GetTotalPauseDuration().TotalSeconds:F2} s paused, {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gen0/1/2 collections, {GC.GetTotalAllocatedBytes() / (1024 * 1024):N0} MB allocated (whole process)";
        var slowest = Compilations.OrderByDescending(c => c.Ticks).Take(5)
            .Select(c => $"  {Stopwatch.GetElapsedTime(0, c.Ticks).TotalSeconds,8:F2} s  {c.Compilation}");
        Console.Error.WriteLine($"code analysis: {wall.TotalSeconds:F2} s wall; {gc}; per phase, summed over threads:\n{string.Join('\n', lines)}\nslowest compilations (all checks):\n{string.Join('\n', slowest)}");
        Totals.Clear();
        Compilations.Clear();
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
