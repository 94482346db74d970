namespace SecureFuture.Core;

/// <summary>Everything one analysis produced: what every writer, gate and baseline works from.</summary>
public sealed record AnalysisRun
{
    public required string ToolName { get; init; }

    public required string ToolVersion { get; init; }

    /// <summary>
    /// The analysis category the run is (<c>secrets</c>, <c>code</c>, <c>tenant</c>, <c>threat-model</c>...), or null when
    /// it mixes several. SARIF writes it as <c>runs[].automationDetails.id</c> <c>"CATEGORY/"</c> (GitHub's category/run-id
    /// convention), which is how the findings hub and GitHub code scanning tell one analysis of a project from another.
    /// </summary>
    public string? Category { get; init; }

    /// <summary>The rules that ran, in a stable order.</summary>
    public required IReadOnlyList<RuleDescriptor> Rules { get; init; }

    public required IReadOnlyList<Finding> Findings { get; init; }

    public IReadOnlyList<Notification> Notifications { get; init; } = [];

    /// <summary>Absolute path of the directory relative paths are resolved against.</summary>
    public string? Root { get; init; }

    public DateTimeOffset StartTime { get; init; }

    public DateTimeOffset EndTime { get; init; }

    /// <summary>Counters a user may want to see (files scanned, bytes...).</summary>
    public IReadOnlyDictionary<string, long> Statistics { get; init; } = new Dictionary<string, long>();

    /// <summary>Facts about the run that are not counts (the advisory database's import date), shown in every report.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>Findings that count for a gate: not suppressed, and not already known to the baseline.</summary>
    public IEnumerable<Finding> GatingFindings =>
        Findings.Where(f => !f.IsSuppressed && f.BaselineState is BaselineState.None or BaselineState.New);

    /// <summary>True when a finding that counts is at or above <paramref name="threshold"/>.</summary>
    public bool TripsGate(Severity? threshold) =>
        threshold is { } t && GatingFindings.Any(f => f.Severity >= t);
}
