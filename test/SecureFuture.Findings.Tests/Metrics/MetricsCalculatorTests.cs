using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Metrics;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Tests.Metrics;

public class MetricsCalculatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Percentiles_interpolate_between_ranks()
    {
        long[] days = [1, 2, 3, 4, 10];
        var ticks = days.Select(d => TimeSpan.FromDays(d).Ticks).ToList();
        Assert.Equal(TimeSpan.FromDays(3), MetricsCalculator.Percentile(ticks, 0.5));
        Assert.Equal(TimeSpan.FromDays(7.6), MetricsCalculator.Percentile(ticks, 0.9));
        Assert.Equal(TimeSpan.FromDays(5), MetricsCalculator.Percentile([TimeSpan.FromDays(5).Ticks], 0.9));
    }

    [Fact]
    public void Backlog_counts_unresolved_findings_by_age_band_and_ignores_closed_ones()
    {
        var now = T0.AddDays(200);
        FindingFacts Open(int ageDays, FindingState state = FindingState.Open) => new("p", "code", Severity.High, state, now.AddDays(-ageDays), now.AddDays(-ageDays), null, null);
        var report = MetricsCalculator.Compute(
            [Open(0), Open(7), Open(8), Open(45, FindingState.Reopened), Open(100), Open(181), Open(50, FindingState.Dismissed), Open(50, FindingState.Accepted)],
            new CoverageReport(TimeSpan.FromDays(7), 0, 0, []), now);
        Assert.Equal(new Dictionary<string, int> { ["0-7d"] = 2, ["8-30d"] = 1, ["31-90d"] = 1, ["91-180d"] = 1, [">180d"] = 1 }, report.Total.Backlog);
        Assert.Null(report.Total.Sla.Ratio);
        Assert.Equal(new TimeToMitigate(0, null, null, null), report.Total.TimeToMitigate);
    }

    [Fact]
    public void Coverage_needs_every_expected_category_within_the_window()
    {
        var now = T0.AddDays(30);
        var latest = new Dictionary<(string, string), DateTimeOffset>
        {
            [("a", "code")] = now.AddDays(-1),
            [("a", "secrets")] = now.AddDays(-7),
            [("b", "code")] = now.AddDays(-8),
            [("c", "iac")] = now.AddDays(-2),
        };
        var coverage = MetricsCalculator.Coverage(
            [new Project("a", null, Criticality.Low, ["code", "secrets"]), new Project("b", null, Criticality.Low, ["code"]), new Project("c", null, Criticality.Low, []), new Project("d", null, Criticality.Low, [])],
            latest, TimeSpan.FromDays(7), now);
        Assert.Equal((4, 2, 0.5), (coverage.Projects, coverage.Covered, coverage.Ratio));
        Assert.Equal(["a", "c"], coverage.ByProject.Where(p => p.Covered).Select(p => p.Project));
        Assert.Equal(0, MetricsCalculator.Coverage([], latest, TimeSpan.FromDays(7), now).Ratio);
    }
}
