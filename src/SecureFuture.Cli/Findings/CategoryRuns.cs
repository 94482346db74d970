using SecureFuture.Core;

namespace SecureFuture.Cli.Findings;

/// <summary>
/// One run per analysis category out of a run several analyzers produced (<c>sfi scan</c>'s secrets, iac, code and
/// dependencies; <c>sfi baseline</c>'s tenant exports and IaC), so that the hub computes each category's lifecycle on
/// its own: a finding is fixed only by a later complete analysis of its own category. Every category that ran gets a run,
/// an empty one too: an analyzer that ran and found nothing is the evidence that its earlier findings were fixed.
/// </summary>
internal static class CategoryRuns
{
    /// <param name="run">The combined run.</param>
    /// <param name="categories">The categories that ran, in the order to write them.</param>
    /// <param name="categoryOfFinding">The category of a finding, or null for none of them.</param>
    /// <param name="categoryOfRule">
    /// The category of a rule id (null for none), when each rule belongs to one category (<c>sfi scan</c>'s analyzers); when
    /// null, every rule and rule notification belongs to every category (the baseline's controls check exports and IaC alike).
    /// </param>
    /// <exception cref="InvalidOperationException">
    /// A finding belongs to no category that ran (a bug: it would be pushed nowhere); a baseline's absent result of an
    /// analyzer that did not run is left out instead.
    /// </exception>
    public static IReadOnlyList<AnalysisRun> Split(AnalysisRun run, IReadOnlyList<string> categories, Func<Finding, string?> categoryOfFinding, Func<string, string?>? categoryOfRule = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(categoryOfFinding);
        var byCategory = categories.ToDictionary(c => c, _ => new List<Finding>(), StringComparer.Ordinal);
        foreach (var finding in run.Findings)
        {
            if (categoryOfFinding(finding) is not { } category || !byCategory.TryGetValue(category, out var findings))
            {
                if (finding.BaselineState == BaselineState.Absent)
                {
                    // A result of the --baseline log whose analyzer did not run this time: no run here can say it is gone.
                    continue;
                }

                throw new InvalidOperationException($"finding of rule {finding.RuleId} belongs to none of the categories that ran ({string.Join(", ", categories)})");
            }

            findings.Add(finding);
        }

        return [.. categories.Select(category => run with
        {
            Category = category,
            Rules = categoryOfRule is null ? run.Rules : [.. run.Rules.Where(r => categoryOfRule(r.Id) == category)],
            Findings = byCategory[category],
            // A notification about a rule belongs to that rule's category; one about a file (unreadable, too large) to
            // every category, so that an error leaves all of them incomplete rather than claiming anything was fixed.
            Notifications = categoryOfRule is null
                ? run.Notifications
                : [.. run.Notifications.Where(n => n.RuleId is null || categoryOfRule(n.RuleId) is not { } c || c == category)],
        })];
    }
}
