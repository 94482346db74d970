using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;

namespace SecureFuture.Findings.Metrics;

/// <summary>What to measure: the findings of one project (or all), and the window a complete analysis counts for coverage.</summary>
public sealed record MetricsRequest
{
    public string? Project { get; init; }

    /// <summary>A project is covered when every expected category has a complete analysis no older than this.</summary>
    public TimeSpan CoverageWindow { get; init; } = TimeSpan.FromDays(7);
}

/// <summary>The facts of one finding that metrics need, with its state as it reads at the time of the report.</summary>
public sealed record FindingFacts(string Project, string Category, Severity Severity, FindingState State, DateTimeOffset FirstSeen, DateTimeOffset OpenedAt, DateTimeOffset? FixedAt, DateTimeOffset? DueAt);

/// <summary>Time to mitigate over the fixed findings of a group (percentiles interpolate between ranks, as PERCENTILE.INC).</summary>
public sealed record TimeToMitigate(int Count, TimeSpan? Median, TimeSpan? P90, TimeSpan? Mean);

/// <summary>
/// SLA compliance of a group: findings fixed by their due date, fixed after it, and still unresolved past it.
/// <see cref="Ratio"/> is the first over all three; null when no finding with a deadline is fixed or overdue yet.
/// </summary>
public sealed record SlaCompliance(int MetOnTime, int FixedLate, int OpenOverdue)
{
    public double? Ratio => MetOnTime + FixedLate + OpenOverdue is var all and > 0 ? (double)MetOnTime / all : null;
}

/// <summary>
/// One group's numbers. <paramref name="Backlog"/> counts unresolved findings by age band (<see cref="MetricsCalculator.AgeBands"/>);
/// <paramref name="New"/> counts findings first seen in the group, <paramref name="Fixed"/> those fixed in it. By month,
/// a finding is new in the month it was first seen and fixed (with its time to mitigate and SLA outcome) in the month
/// it was fixed; backlog and overdue are a snapshot at the time of the report and are not split by month.
/// </summary>
public sealed record MetricGroup(TimeToMitigate TimeToMitigate, SlaCompliance Sla, IReadOnlyDictionary<string, int> Backlog, int New, int Fixed);

/// <summary>A project's coverage: which expected categories lack a complete analysis within the window.</summary>
public sealed record ProjectCoverage(string Project, bool Covered, IReadOnlyList<string> Missing, DateTimeOffset? LastCompleteAnalysis);

/// <summary>Projects covered over all registered projects: the "100 percent of product" number.</summary>
public sealed record CoverageReport(TimeSpan Window, int Projects, int Covered, IReadOnlyList<ProjectCoverage> ByProject)
{
    /// <summary>Covered over all projects; 0 when no project is registered (nothing is known to be scanned).</summary>
    public double Ratio => Projects == 0 ? 0 : (double)Covered / Projects;
}

public sealed record MetricsReport(
    DateTimeOffset At,
    MetricGroup Total,
    IReadOnlyDictionary<string, MetricGroup> BySeverity,
    IReadOnlyDictionary<string, MetricGroup> ByProject,
    IReadOnlyDictionary<string, MetricGroup> ByCategory,
    IReadOnlyDictionary<string, MetricGroup> ByMonth,
    CoverageReport Coverage);
