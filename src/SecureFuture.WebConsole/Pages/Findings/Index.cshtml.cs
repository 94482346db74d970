using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;

namespace SecureFuture.WebConsole.Pages;

/// <summary>Findings with filters, sorted by the store across every page, in the store's keyset pages.</summary>
public sealed class FindingsModel : ConsolePage
{
    public const int PageSize = 50;

    /// <summary>The sorts offered, by their token in links: each is the store's order of the whole listing.</summary>
    public static IReadOnlyDictionary<string, FindingSort> Sorts { get; } = new Dictionary<string, FindingSort>(StringComparer.Ordinal)
    {
        ["newest"] = FindingSort.Newest,
        ["severity"] = FindingSort.Severity,
        ["first-seen"] = FindingSort.FirstSeen,
        ["due"] = FindingSort.Due,
        ["state"] = FindingSort.State,
    };

    [BindProperty(SupportsGet = true)]
    public string? Project { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? State { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Severity { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Rule { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool Overdue { get; set; }

    [BindProperty(SupportsGet = true)]
    public string Sort { get; set; } = "newest";

    [BindProperty(SupportsGet = true)]
    public string? Cursor { get; set; }

    public IReadOnlyList<string> Projects { get; private set; } = [];

    public IReadOnlyList<FindingRecord> Items { get; private set; } = [];

    public string? NextCursor { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Projects = (await Setup.Findings.ListProjectsAsync(cancellationToken)).Select(p => p.Id).ToList();
        var query = new FindingQuery { Project = Empty(Project), RuleId = Empty(Rule), Overdue = Overdue ? true : null, Limit = PageSize, Cursor = Empty(Cursor) };
        if (Empty(State) is { } state)
        {
            query = FindingStateTokens.TryParseState(state, out var s) ? query with { State = s } : Invalid($"state '{state}' is not known", query);
        }

        if (Empty(Severity) is { } severity)
        {
            query = SeverityExtensions.TryParseSeverity(severity, out var s) ? query with { Severity = s } : Invalid($"severity '{severity}' is not known", query);
        }

        if (!Sorts.TryGetValue(Sort, out var sort))
        {
            Sort = "newest";
            sort = FindingSort.Newest;
        }

        query = query with { Sort = sort };

        if (Error is not null)
        {
            Response.StatusCode = 400;
            return;
        }

        FindingPage page;
        try
        {
            page = await Setup.Findings.ListFindingsAsync(query, cancellationToken);
        }
        catch (ArgumentException)
        {
            Response.StatusCode = 400;
            Error = "the page link is not valid; start from the first page";
            return;
        }

        NextCursor = page.NextCursor;
        Items = page.Items;
    }

    public string PageLink(string? cursor)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        Add("project", Project);
        Add("state", State);
        Add("severity", Severity);
        Add("rule", Rule);
        Add("overdue", Overdue ? "true" : null);
        Add("sort", Sort);
        Add("cursor", cursor);
        return "/findings" + (parts.Count > 0 ? "?" + string.Join('&', parts) : string.Empty);
    }

    private FindingQuery Invalid(string message, FindingQuery query)
    {
        Error = string.Create(CultureInfo.InvariantCulture, $"Filter refused: {message}.");
        return query;
    }

    private static string? Empty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
