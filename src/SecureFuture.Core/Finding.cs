namespace SecureFuture.Core;

/// <summary>SARIF §3.27.24: how a result relates to the same result in a baseline run.</summary>
public enum BaselineState
{
    None = 0,
    New,
    Unchanged,
    Updated,
    Absent,
}

/// <summary>Why a result is not to be acted upon: an inline comment or an exceptions file.</summary>
/// <param name="Kind">SARIF §3.35.2: <c>inSource</c> or <c>external</c>.</param>
public sealed record Suppression(string Kind, string Justification, DateOnly? Expires = null);

/// <summary>The two identities of a finding, as DESIGN.md defines them.</summary>
/// <param name="PrimaryLocationLineHash">GitHub's line hash of the first line of the region, when there is one.</param>
/// <param name="Content">Rule id + path or resource + hash of the matched value: survives line moves.</param>
public sealed record Fingerprints(string? PrimaryLocationLineHash, string Content);

/// <summary>One result of any analysis: code, tenant configuration or threat model.</summary>
public sealed record Finding
{
    public required string RuleId { get; init; }

    public required Severity Severity { get; init; }

    public required string Message { get; init; }

    public required FindingLocation Location { get; init; }

    public required Fingerprints Fingerprints { get; init; }

    public MaskedEvidence? Evidence { get; init; }

    public Suppression? Suppression { get; init; }

    public BaselineState BaselineState { get; init; }

    /// <summary>Extra facts a user may want (commit, author date, SAS expiry...). Never a secret.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// For data-flow results: the path from where untrusted data enters (first step) to where it is used (last step),
    /// written as SARIF <c>codeFlows</c>/<c>threadFlows</c>. Null for results that have no path.
    /// </summary>
    public IReadOnlyList<FlowStep>? Flow { get; init; }

    public bool IsSuppressed => Suppression is not null;
}

/// <summary>One step of a data-flow path: where it is and what happens to the data there.</summary>
/// <param name="Message">What the step does, e.g. "request query 'id' (source)", "concatenated into 'sql'".</param>
public sealed record FlowStep(FindingLocation Location, string Message);
