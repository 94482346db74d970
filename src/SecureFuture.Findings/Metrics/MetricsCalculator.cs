using System.Globalization;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Metrics;

/// <summary>Computes the hub's metrics from finding facts and coverage from the latest complete analyses.</summary>
public static class MetricsCalculator
{
    /// <summary>Age bands of the open backlog, as (label, inclusive upper bound in days).</summary>
    public static IReadOnlyList<(string Label, int MaxDays)> AgeBands { get; } =
        [("0-7d", 7), ("8-30d", 30), ("31-90d", 90), ("91-180d", 180), (">180d", int.MaxValue)];

    public static MetricsReport Compute(IEnumerable<FindingFacts> findings, CoverageReport coverage, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var total = new Accumulator();
        var bySeverity = new SortedDictionary<string, Accumulator>(StringComparer.Ordinal);
        var byProject = new SortedDictionary<string, Accumulator>(StringComparer.Ordinal);
        var byCategory = new SortedDictionary<string, Accumulator>(StringComparer.Ordinal);
        var byMonth = new SortedDictionary<string, Accumulator>(StringComparer.Ordinal);
        foreach (var f in findings)
        {
            var snapshot = new[] { total, Get(bySeverity, f.Severity.ToToken()), Get(byProject, f.Project), Get(byCategory, f.Category) };
            foreach (var group in snapshot)
            {
                group.AddSnapshot(f, now);
                group.New++;
                if (f.FixedAt is not null)
                {
                    group.AddFixed(f);
                }
            }

            Get(byMonth, Month(f.FirstSeen)).New++;
            if (f.FixedAt is { } fixedAt)
            {
                Get(byMonth, Month(fixedAt)).AddFixed(f);
            }
        }

        return new MetricsReport(now, total.ToGroup(), Groups(bySeverity), Groups(byProject), Groups(byCategory), Groups(byMonth), coverage);
    }

    /// <summary>
    /// Coverage at <paramref name="now"/>: a project is covered when each expected category has a complete analysis (on any
    /// ref) at or after <c>now - window</c>; a project that expects no category is covered by any complete analysis.
    /// </summary>
    public static CoverageReport Coverage(IEnumerable<Project> projects, IReadOnlyDictionary<(string Project, string Category), DateTimeOffset> latestComplete, TimeSpan window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(projects);
        ArgumentNullException.ThrowIfNull(latestComplete);
        var since = now - window;
        var rows = new List<ProjectCoverage>();
        foreach (var project in projects.OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            var own = latestComplete.Where(p => p.Key.Project == project.Id).ToDictionary(p => p.Key.Category, p => p.Value, StringComparer.Ordinal);
            DateTimeOffset? last = own.Count == 0 ? null : own.Values.Max();
            var missing = project.ExpectedCategories.Count == 0
                ? (last is { } l && l >= since ? [] : new List<string> { "*" })
                : project.ExpectedCategories.Where(c => !own.TryGetValue(c, out var at) || at < since).ToList();
            rows.Add(new ProjectCoverage(project.Id, missing.Count == 0, missing, last));
        }

        return new CoverageReport(window, rows.Count, rows.Count(r => r.Covered), rows);
    }

    private static string Month(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static Accumulator Get(SortedDictionary<string, Accumulator> groups, string key)
    {
        if (!groups.TryGetValue(key, out var group))
        {
            groups[key] = group = new Accumulator();
        }

        return group;
    }

    private static SortedDictionary<string, MetricGroup> Groups(SortedDictionary<string, Accumulator> groups)
        => new(groups.ToDictionary(g => g.Key, g => g.Value.ToGroup(), StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Linear interpolation between closest ranks (PERCENTILE.INC) over sorted values.</summary>
    internal static TimeSpan Percentile(IReadOnlyList<long> sortedTicks, double p)
    {
        var rank = p * (sortedTicks.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = (int)Math.Ceiling(rank);
        return TimeSpan.FromTicks(sortedTicks[lower] + (long)Math.Round((sortedTicks[upper] - sortedTicks[lower]) * (rank - lower)));
    }

    private sealed class Accumulator
    {
        private readonly List<long> _ttm = [];
        private readonly int[] _backlog = new int[AgeBands.Count];
        private int _met;
        private int _late;
        private int _overdue;

        public int New { get; set; }

        public void AddSnapshot(FindingFacts f, DateTimeOffset now)
        {
            if (!f.State.IsUnresolved())
            {
                return;
            }

            var days = (now - f.OpenedAt).TotalDays;
            for (var i = 0; i < AgeBands.Count; i++)
            {
                if (days <= AgeBands[i].MaxDays)
                {
                    _backlog[i]++;
                    break;
                }
            }

            if (f.DueAt is { } due && due < now)
            {
                _overdue++;
            }
        }

        public void AddFixed(FindingFacts f)
        {
            _ttm.Add((f.FixedAt!.Value - f.OpenedAt).Ticks);
            if (f.DueAt is { } due)
            {
                if (f.FixedAt <= due)
                {
                    _met++;
                }
                else
                {
                    _late++;
                }
            }
        }

        public MetricGroup ToGroup()
        {
            _ttm.Sort();
            var ttm = _ttm.Count == 0
                ? new TimeToMitigate(0, null, null, null)
                : new TimeToMitigate(_ttm.Count, Percentile(_ttm, 0.5), Percentile(_ttm, 0.9), TimeSpan.FromTicks((long)_ttm.Average(t => (double)t)));
            var backlog = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < AgeBands.Count; i++)
            {
                backlog[AgeBands[i].Label] = _backlog[i];
            }

            return new MetricGroup(ttm, new SlaCompliance(_met, _late, _overdue), backlog, New, _ttm.Count);
        }
    }
}
