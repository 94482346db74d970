namespace SecureFuture.Baseline;

/// <summary>How one control on one resource changed between two assessments.</summary>
public enum ChangeKind
{
    /// <summary>Now failing where it was not (including a new resource that fails).</summary>
    Regressed,

    /// <summary>No longer failing (passing, not applicable, or the resource is gone).</summary>
    Improved,

    /// <summary>Another status change (e.g. pass to unknown: evidence was lost).</summary>
    Changed,
}

public sealed record ResultChange(string ControlId, string ResourceId, ControlStatus? Before, ControlStatus? After, ChangeKind Kind, string? Evidence);

/// <summary>Drift: which controls and resources regressed or improved between two assessments.</summary>
public sealed record AssessmentDiff(IReadOnlyList<ResultChange> Changes)
{
    public IEnumerable<ResultChange> Regressions => Changes.Where(c => c.Kind == ChangeKind.Regressed);

    public IEnumerable<ResultChange> Improvements => Changes.Where(c => c.Kind == ChangeKind.Improved);

    public static AssessmentDiff Compare(IEnumerable<ControlResult> before, IEnumerable<ControlResult> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var old = Index(before);
        var now = Index(after);
        var changes = new List<ResultChange>();
        foreach (var key in old.Keys.Union(now.Keys).Order())
        {
            old.TryGetValue(key, out var b);
            now.TryGetValue(key, out var a);
            if (b?.Status == a?.Status)
            {
                continue;
            }

            var kind = a?.Status == ControlStatus.Fail ? ChangeKind.Regressed
                : b?.Status == ControlStatus.Fail ? ChangeKind.Improved
                : ChangeKind.Changed;
            changes.Add(new ResultChange(key.ControlId, (a ?? b)!.Resource.Id, b?.Status, a?.Status, kind, a?.Evidence ?? b?.Evidence));
        }

        return new AssessmentDiff(changes);
    }

    public static AssessmentDiff Compare(Assessment before, Assessment after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return Compare(before.Results, after.Results);
    }

    private static Dictionary<(string ControlId, string ResourceId), ControlResult> Index(IEnumerable<ControlResult> results)
    {
        var map = new Dictionary<(string, string), ControlResult>();
        foreach (var r in results)
        {
            // A resource id is case-insensitive in ARM; the worst status wins if a resource appears twice.
            var key = (r.ControlId, r.Resource.Id.ToUpperInvariant());
            if (!map.TryGetValue(key, out var existing) || (r.Status == ControlStatus.Fail && existing.Status != ControlStatus.Fail))
            {
                map[key] = r;
            }
        }

        return map;
    }
}
