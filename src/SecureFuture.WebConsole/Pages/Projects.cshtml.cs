using System.Globalization;
using SecureFuture.Findings.Metrics;
using SecureFuture.Findings.Store;

namespace SecureFuture.WebConsole.Pages;

public sealed class ProjectsModel : ConsolePage
{
    public IReadOnlyList<Project> Projects { get; private set; } = [];

    public CoverageReport Coverage { get; private set; } = null!;

    public BarChart OpenChart { get; private set; } = null!;

    private MetricsReport _report = null!;

    public int OpenOf(string project) => _report.ByProject.TryGetValue(project, out var group) ? group.Backlog.Values.Sum() : 0;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Projects = await Setup.Findings.ListProjectsAsync(cancellationToken);
        _report = await Setup.Findings.ComputeMetricsAsync(new MetricsRequest(), cancellationToken);
        Coverage = _report.Coverage;
        OpenChart = new BarChart("open-by-project", "Open findings by project", Projects.Take(20)
            .Select(p => new Bar(p.Id, OpenOf(p.Id), OpenOf(p.Id).ToString(CultureInfo.InvariantCulture))).ToList());
    }
}
