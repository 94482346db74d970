using SecureFuture.Core;

namespace SecureFuture.Findings;

/// <summary>
/// One result of a pushed SARIF log, as the hub keeps it: what the ingest reader produces and the store consumes.
/// </summary>
/// <param name="Tool">The producing tool (<c>runs[].tool.driver.name</c>).</param>
/// <param name="Category">The analysis category: <c>runs[].automationDetails.id</c> when present, else the one pushed.</param>
/// <param name="RuleId">The result's rule id (<c>ruleId</c>, or <c>rule.id</c>, or the rule it indexes).</param>
/// <param name="Severity">Mapped from <c>security-severity</c>, then <c>level</c>; never guessed upward.</param>
/// <param name="Path">The primary location's artifact URI (relative), or null for results without a location.</param>
/// <param name="Identity">
/// The finding's identity across analyses of the same project and category: from <c>partialFingerprints</c>
/// (<c>primaryLocationLineHash</c> first, then the tool's own), else rule + location + snippet hash.
/// </param>
/// <param name="IdentitySource">Which of those the identity came from, for diagnostics ("primaryLocationLineHash", ...).</param>
/// <param name="Cves">CVE ids named by the result or its rule (for the KEV flag).</param>
/// <param name="FlowJson">The result's first code flow as compact JSON, or null.</param>
public sealed record IngestedResult(
    string Tool,
    string Category,
    string RuleId,
    Severity Severity,
    string Message,
    string? Path,
    int? StartLine,
    int? EndLine,
    string Identity,
    string IdentitySource,
    IReadOnlyList<string> Cves,
    string? FlowJson);
