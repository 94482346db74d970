using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;

namespace SecureFuture.Findings.Store;

/// <summary>
/// One pushed analysis: which project, ref (branch or commit), tool and category it covers, and when. As in GitHub code
/// scanning, an analysis is identified by its project, ref, tool (<c>tool.driver.name</c>) and category: a complete
/// analysis fixes only findings of the same four, so two tools reporting the same category (<c>sfi scan</c>'s and
/// <c>sfi baseline</c>'s IaC) never fix each other's findings.
/// </summary>
/// <param name="Complete">
/// True when the analysis covered the whole scope, so that a finding it lacks is fixed; false for a partial run
/// (one file, a diff), which opens and reopens but never fixes.
/// </param>
/// <param name="PushedBy">Who pushed it (a client id or an admin), recorded in the history.</param>
public sealed record AnalysisUpload(string Project, string Ref, string Category, string Tool, DateTimeOffset At, bool Complete, string PushedBy = "ingest");

/// <summary>One analysis of a pushed log and its results (read once).</summary>
public sealed record PushedAnalysis(AnalysisUpload Upload, IEnumerable<IngestedResult> Results);

/// <summary>What an ingest did. <paramref name="Duplicate"/>: the content was the latest analysis's; nothing changed.</summary>
public sealed record IngestOutcome(string AnalysisId, bool Duplicate, int Results, int Opened, int Reopened, int Fixed, int Updated);

/// <summary>A finding as listed, with its state as it reads at the store's clock (an expired acceptance reads open).</summary>
public sealed record FindingRecord(
    string Id,
    string Project,
    string Ref,
    string Category,
    string Tool,
    string RuleId,
    Severity Severity,
    string Message,
    string? Path,
    int? StartLine,
    int? EndLine,
    string IdentitySource,
    IReadOnlyList<string> Cves,
    FindingState State,
    DateTimeOffset FirstSeen,
    DateTimeOffset OpenedAt,
    DateTimeOffset? FixedAt,
    DateTimeOffset? DueAt,
    bool Kev,
    bool Overdue,
    DismissReason? DismissReason,
    string? DecidedBy,
    string? DecisionComment,
    string? RiskOwner,
    DateTimeOffset? AcceptedUntil)
{
    /// <summary>
    /// Time to mitigate: from when the finding was opened (first seen, or reopened) until the analysis that found it
    /// fixed. Null until it is fixed.
    /// </summary>
    public TimeSpan? TimeToMitigate => FixedAt - OpenedAt;
}

/// <summary>One finding with its first code flow (SARIF JSON) and its history, oldest first.</summary>
public sealed record FindingDetail(FindingRecord Finding, string? FlowJson, IReadOnlyList<HistoryRecord> History);

/// <summary>Filters for listing findings; all optional. <see cref="Cursor"/> continues a previous page.</summary>
public sealed record FindingQuery
{
    public const int MaxLimit = 1000;

    public string? Project { get; init; }

    public string? Ref { get; init; }

    public FindingState? State { get; init; }

    public Severity? Severity { get; init; }

    public string? RuleId { get; init; }

    public string? Category { get; init; }

    /// <summary>Only findings opened at least this long ago.</summary>
    public TimeSpan? MinAge { get; init; }

    /// <summary>Only overdue findings (true) or only findings that are not overdue (false).</summary>
    public bool? Overdue { get; init; }

    public int Limit { get; init; } = 100;

    /// <summary>The order of the whole listing (not of one page); a cursor continues only the order it came from.</summary>
    public FindingSort Sort { get; init; } = FindingSort.Newest;

    /// <summary>
    /// Ascending or descending by <see cref="Sort"/>'s key; null for the sort's own (<see cref="FindingSorts.DefaultDirection"/>).
    /// Descending is the exact reverse of ascending, ties included.
    /// </summary>
    public SortDirection? Direction { get; init; }

    public string? Cursor { get; init; }
}

/// <summary>
/// Orders of a findings listing, each applied by the store across every page, ties broken by the listing key (the order
/// findings were stored). Each is described in its default direction (<see cref="FindingSorts.DefaultDirection"/>).
/// </summary>
public enum FindingSort
{
    /// <summary>Most recently stored first (descending by the listing key).</summary>
    Newest,

    /// <summary>Most severe first (critical to note; descending), newest first within a severity.</summary>
    Severity,

    /// <summary>Seen longest ago first (ascending).</summary>
    FirstSeen,

    /// <summary>Earliest due date first, findings without one last (ascending).</summary>
    Due,

    /// <summary>Unresolved first (ascending): open, reopened, accepted, dismissed, fixed.</summary>
    State,
}

public enum SortDirection
{
    Ascending,
    Descending,
}

/// <summary>The API's names of the sorts and directions (<c>GET /v1/findings?sort=...&amp;order=...</c>, <c>sfi findings list --sort --order</c>).</summary>
public static class FindingSorts
{
    /// <summary>Each sort's name, in the order the documentation lists them.</summary>
    public static IReadOnlyList<string> Tokens { get; } = [.. Enum.GetValues<FindingSort>().Select(ToToken)];

    public static IReadOnlyList<string> DirectionTokens { get; } = ["asc", "desc"];

    public static string ToToken(this FindingSort sort) => sort switch
    {
        FindingSort.Newest => "stored",
        FindingSort.Severity => "severity",
        FindingSort.FirstSeen => "firstSeen",
        FindingSort.Due => "dueAt",
        FindingSort.State => "state",
        _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, null),
    };

    public static string ToToken(this SortDirection direction) => direction == SortDirection.Descending ? "desc" : "asc";

    /// <summary>Parses a sort's name exactly as written in <see cref="Tokens"/> (an unknown name is refused, never a default).</summary>
    public static bool TryParseSort(string? text, out FindingSort sort)
    {
        foreach (var candidate in Enum.GetValues<FindingSort>())
        {
            if (string.Equals(candidate.ToToken(), text, StringComparison.Ordinal))
            {
                sort = candidate;
                return true;
            }
        }

        sort = default;
        return false;
    }

    public static bool TryParseDirection(string? text, out SortDirection direction)
    {
        direction = text == "desc" ? SortDirection.Descending : SortDirection.Ascending;
        return text is "asc" or "desc";
    }

    /// <summary>The direction a sort has when none is asked for: descending for the listing key and severity, else ascending.</summary>
    public static SortDirection DefaultDirection(this FindingSort sort)
        => sort is FindingSort.Newest or FindingSort.Severity ? SortDirection.Descending : SortDirection.Ascending;
}

/// <summary>A page of findings in the query's <see cref="FindingQuery.Sort"/> order; <paramref name="NextCursor"/> is null on the last page.</summary>
public sealed record FindingPage(IReadOnlyList<FindingRecord> Items, string? NextCursor);

/// <summary>The outcome of a person's decision on a finding.</summary>
public enum StateChangeOutcome
{
    Changed,
    NotFound,

    /// <summary>The finding's state does not allow it (dismissing a fixed finding, reopening an open one).</summary>
    NotAllowed,
}

public sealed record StateChange(StateChangeOutcome Outcome, FindingRecord? Finding);

/// <summary>
/// One record of a project's append-only history of finding state changes. <see cref="Hash"/> chains it to the record
/// before it (<see cref="HashChain"/>), so an edited, removed or reordered record is detected.
/// </summary>
public sealed record HistoryRecord(string Project, long Sequence, DateTimeOffset At, string FindingId, string Action, FindingState State, string Actor, string Details, string PreviousHash, string Hash)
{
    /// <summary>Builds the record that follows <paramref name="previousHash"/> in <paramref name="project"/>'s chain.</summary>
    public static HistoryRecord Create(string project, long sequence, DateTimeOffset at, string findingId, string action, FindingState state, string actor, IReadOnlyDictionary<string, string>? details, string previousHash)
        => Create(project, sequence, at, findingId, action, state, actor, CanonicalDetails(details), previousHash);

    /// <summary>As above, with details already in canonical form (<see cref="CanonicalDetails"/>): an ingest writes the same details on every record.</summary>
    internal static HistoryRecord Create(string project, long sequence, DateTimeOffset at, string findingId, string action, FindingState state, string actor, string canonical, string previousHash)
    {
        var at2 = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
        var record = new HistoryRecord(project, sequence, at2, findingId, action, state, actor, canonical, previousHash, string.Empty);
        return record with { Hash = record.RecomputeHash() };
    }

    public string RecomputeHash() => HashChain.Link(PreviousHash, Sequence, json =>
    {
        json.WriteStringValue(Project);
        json.WriteNumberValue(At.ToUnixTimeMilliseconds());
        json.WriteStringValue(FindingId);
        json.WriteStringValue(Action);
        json.WriteStringValue(State.ToToken());
        json.WriteStringValue(Actor);
        json.WriteStringValue(Details);
    });

    /// <summary>Details as stored and hashed: a JSON object, members in ordinal order.</summary>
    internal static string CanonicalDetails(IReadOnlyDictionary<string, string>? details)
    {
        if (details is null || details.Count == 0)
        {
            return "{}";
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var pair in details.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(pair.Key, pair.Value);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>The outcome of verifying every project's history chain.</summary>
public sealed record HistoryVerification(long Records, int Projects, IReadOnlyList<string> Problems)
{
    public bool IsIntact => Problems.Count == 0;
}
