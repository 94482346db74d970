using System.Diagnostics;
using System.Globalization;

namespace SecureFuture.Cli;

/// <summary>
/// <c>SFI_TRACE_STARTUP=1</c>: each phase of a command's start-up (runtime start, command line, each analyzer's
/// construction, the scan, the report) on standard error with the wall and CPU time it took, so that start-up can be
/// measured phase by phase (docs/benchmarks.md, "Start-up") without a profiler. Off, it costs one environment read.
/// </summary>
internal static class StartupTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("SFI_TRACE_STARTUP") == "1";
    private static readonly Lock Gate = new();
    private static long LastTimestamp = Stopwatch.GetTimestamp();
    private static TimeSpan LastCpu;

    /// <summary>Reports the CPU time the runtime spent before <c>Main</c> (its wall time is not known in-process).</summary>
    public static void Started()
    {
        if (Enabled)
        {
            lock (Gate)
            {
                LastCpu = Environment.CpuUsage.TotalTime;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sfi: start-up: {"runtime start (to Main)",-32} {"",8}     {LastCpu.TotalMilliseconds,7:F1} ms CPU"));
                LastTimestamp = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Reports the time since the previous mark as <paramref name="phase"/>.</summary>
    public static void Mark(string phase)
    {
        if (Enabled)
        {
            lock (Gate)
            {
                var cpu = Environment.CpuUsage.TotalTime;
                var now = Stopwatch.GetTimestamp();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sfi: start-up: {phase,-32} {Stopwatch.GetElapsedTime(LastTimestamp, now).TotalMilliseconds,7:F1} ms, {(cpu - LastCpu).TotalMilliseconds,7:F1} ms CPU"));
                LastCpu = cpu;
                LastTimestamp = Stopwatch.GetTimestamp();
            }
        }
    }
}
