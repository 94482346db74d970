namespace SecureFuture.Findings.Ingest;

/// <summary>
/// What the store needs to know about one run of a pushed log, besides its results.
/// </summary>
/// <param name="Index">The run's index in <c>runs</c>.</param>
/// <param name="Tool">The driver's name (<c>tool.driver.name</c>).</param>
/// <param name="ToolVersion"><c>tool.driver.semanticVersion</c>, else <c>version</c>, else null.</param>
/// <param name="Category">The category every result of the run carries (see <see cref="IngestedResult.Category"/>).</param>
/// <param name="IsComplete">
/// Whether the run is evidence that an unreported finding is fixed. False when <c>results</c> is absent or null
/// (SARIF §3.14.23: the tool did not run), when an invocation has <c>executionSuccessful: false</c>, or when an
/// invocation reports a tool execution or configuration notification of level <c>error</c> (a file that failed to be
/// analysed). A run without invocations is complete: SARIF does not require them.
/// </param>
/// <param name="IncompleteReasons">Why not, one line each (empty when complete).</param>
/// <param name="ResultCount">Results produced for the run, duplicates and skipped results excluded.</param>
/// <param name="DuplicateCount">Results dropped because an earlier result of the same category had the same identity.</param>
/// <param name="SkippedCount">
/// Results that are not open findings: suppressed in the log (a suppression with status absent or <c>accepted</c>,
/// §3.34.3), <c>kind</c> <c>pass</c> or <c>notApplicable</c> (§3.27.9), or <c>baselineState</c> <c>absent</c> (§3.27.24).
/// </param>
/// <param name="Warnings">Values the reader did not understand and ignored (unknown severities, dangling artifact indexes).</param>
public sealed record IngestedRun(
    int Index,
    string Tool,
    string? ToolVersion,
    string Category,
    bool IsComplete,
    IReadOnlyList<string> IncompleteReasons,
    int ResultCount,
    int DuplicateCount,
    int SkippedCount,
    IReadOnlyList<string> Warnings);
