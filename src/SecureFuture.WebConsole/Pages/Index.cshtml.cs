using System.Globalization;
using SecureFuture.Findings.Metrics;

namespace SecureFuture.WebConsole.Pages;

/// <summary>The overview: time to mitigate, SLA compliance, the open backlog by age and coverage, as server-rendered SVG.</summary>
public sealed class IndexModel : ConsolePage
{
    public MetricsReport Report { get; private set; } = null!;

    public int Open { get; private set; }

    public int Overdue { get; private set; }

    public BarChart ByMonth { get; private set; } = null!;

    public BarChart BySeverity { get; private set; } = null!;

    public BarChart Backlog { get; private set; } = null!;

    public BarChart Sla { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Report = await Setup.Findings.ComputeMetricsAsync(new MetricsRequest(), cancellationToken);
        Open = Report.Total.Backlog.Values.Sum();
        Overdue = Report.Total.Sla.OpenOverdue;
        ByMonth = new BarChart("ttm-month", "Median time to mitigate by month fixed (days)", Report.ByMonth.OrderBy(p => p.Key, StringComparer.Ordinal).TakeLast(12)
            .Select(p => Median(p.Key, p.Value)).ToList());
        BySeverity = new BarChart("ttm-severity", "Median time to mitigate by severity (days)", Report.BySeverity.Select(p => Median(p.Key, p.Value)).ToList());
        Backlog = new BarChart("backlog", "Open findings by age", MetricsCalculator.AgeBands
            .Select(band => Report.Total.Backlog.TryGetValue(band.Label, out var n) ? new Bar(band.Label, n, n.ToString(CultureInfo.InvariantCulture)) : new Bar(band.Label, 0, "0")).ToList());
        Sla = new BarChart("sla", "Share of findings fixed within their SLA", Report.BySeverity
            .Select(p => new Bar(p.Key, (p.Value.Sla.Ratio ?? 0) * 100, Percent(p.Value.Sla.Ratio))).ToList());
    }

    public static string Percent(double? ratio) => ratio is { } r ? r.ToString("P0", CultureInfo.InvariantCulture) : "n/a";

    public static string Days(TimeSpan? span) => span is { } s ? s.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " d" : "n/a";

    private static Bar Median(string label, MetricGroup group)
        => new(label, group.TimeToMitigate.Median?.TotalDays ?? 0, $"{Days(group.TimeToMitigate.Median)} ({group.TimeToMitigate.Count} fixed)");
}
