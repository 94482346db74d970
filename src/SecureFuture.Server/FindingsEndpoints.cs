using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureFuture.Core;
using SecureFuture.Findings;
using SecureFuture.Findings.Ingest;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Metrics;
using SecureFuture.Findings.Store;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// The findings hub's HTTP API under <c>/v1</c> (docs/findings-hub.md): projects, SARIF ingest, listing and deciding on
/// findings, metrics. Authorisation is the <c>/v1</c> group's (the admin key); errors are problem+json.
/// </summary>
internal sealed partial class FindingsEndpoints(IFindingStore store, TimeProvider clock, IngestLimits limits)
{
    /// <summary>Seconds a client is told to wait before retrying a push the database could not take.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>The scope a CI client's token needs to push analyses.</summary>
    public const string WriteScope = "sfi.findings.write";

    /// <summary>With the project id appended, the scope that restricts a CI client's pushes to that project.</summary>
    public const string ProjectScopePrefix = "sfi.findings.project:";

    /// <summary>How long a scrape of <c>/metrics</c> may reuse the findings report when nothing was written meanwhile.</summary>
    public static readonly TimeSpan MetricsCacheTtl = TimeSpan.FromSeconds(15);

    private const int MaxRefLength = 256;

    private readonly Lock _metricsGate = new();
    private long _generation;
    private CachedMetrics? _metrics;

    /// <summary>How many times the Prometheus report was computed (tests: a scrape that hits the cache computes nothing).</summary>
    internal int MetricsComputations { get; private set; }

    public IFindingStore Store => store;

    public void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/projects", async (HttpContext context, CancellationToken ct) =>
        {
            var request = await SfiServer.ReadAsync<ProjectRequest>(context, required: true, ct) ?? throw Invalid("request body: a JSON object is required");
            var project = ToProject(request);
            await store.UpsertProjectAsync(project, ct);
            Changed();
            context.Response.Headers.Location = "/v1/projects/" + Uri.EscapeDataString(project.Id);
            return Results.Json(View(project), Api.Json, statusCode: 201);
        });
        v1.MapGet("/projects", async (CancellationToken ct) =>
            Results.Json(new { projects = (await store.ListProjectsAsync(ct)).Select(View) }, Api.Json));
        v1.MapGet("/projects/{id}", async (string id, CancellationToken ct) =>
            Results.Json(View(await store.GetProjectAsync(Uri.UnescapeDataString(id), ct) ?? throw NotFound($"project '{id}' is not registered")), Api.Json));
        v1.MapPost("/projects/{id}/analyses", IngestAsync).WithMetadata(new ClientPush());

        v1.MapGet("/findings", async (HttpContext context, CancellationToken ct) =>
        {
            FindingPage page;
            try
            {
                page = await store.ListFindingsAsync(ToQuery(context.Request.Query), ct);
            }
            catch (ArgumentException e) when (e.ParamName is "cursor" or "query")
            {
                throw Invalid(e.Message.Split(" (Parameter", 2)[0]);
            }

            return Results.Json(new FindingList(page.Items.Select(View).ToArray(), page.NextCursor), Api.Json);
        });
        v1.MapGet("/findings/{id}", async (string id, CancellationToken ct) =>
        {
            var detail = await store.GetFindingAsync(id, ct) ?? throw NotFound($"finding '{id}' does not exist");
            return Results.Json(new FindingDetailView(View(detail.Finding), detail.FlowJson is null ? null : JsonDocument.Parse(detail.FlowJson).RootElement.Clone(), detail.History.Select(View).ToArray()), Api.Json);
        });
        v1.MapPost("/findings/{id}/dismiss", async (HttpContext context, string id, CancellationToken ct) =>
        {
            var request = await SfiServer.ReadAsync<DismissRequest>(context, required: true, ct) ?? throw Invalid("request body: a JSON object is required");
            if (!FindingStateTokens.TryParseReason(request.Reason, out var reason))
            {
                throw Invalid($"reason: '{request.Reason}' is not one of {string.Join(", ", Enum.GetValues<DismissReason>().Select(r => r.ToToken()))}");
            }

            return Decided(id, "dismiss", await store.DismissAsync(id, reason, SfiServer.Actor(context), request.Comment, ct));
        });
        v1.MapPost("/findings/{id}/accept", async (HttpContext context, string id, CancellationToken ct) =>
        {
            var request = await SfiServer.ReadAsync<AcceptRequest>(context, required: true, ct) ?? throw Invalid("request body: a JSON object is required");
            var owner = string.IsNullOrWhiteSpace(request.RiskOwner) ? throw Invalid("riskOwner: required (who owns the accepted risk)") : request.RiskOwner.Trim();
            var until = request.Until ?? throw Invalid("until: required (when the acceptance expires)");
            if (until <= clock.GetUtcNow())
            {
                throw Invalid("until: an acceptance must expire in the future");
            }

            return Decided(id, "accept", await store.AcceptAsync(id, owner, until, SfiServer.Actor(context), request.Comment, ct));
        });
        v1.MapPost("/findings/{id}/reopen", async (HttpContext context, string id, CancellationToken ct) =>
        {
            var request = await SfiServer.ReadAsync<ReopenRequest>(context, required: false, ct);
            return Decided(id, "reopen", await store.ReopenAsync(id, SfiServer.Actor(context), request?.Comment, ct));
        });

        v1.MapGet("/metrics/findings", async (HttpContext context, CancellationToken ct) =>
            Results.Json(View(await store.ComputeMetricsAsync(ToMetricsRequest(context.Request.Query), ct)), Api.Json));
        v1.MapGet("/metrics/coverage", async (HttpContext context, CancellationToken ct) =>
            Results.Json(View((await store.ComputeMetricsAsync(ToMetricsRequest(context.Request.Query), ct)).Coverage), Api.Json));
    }

    /// <summary>
    /// The hub's series for the Prometheus <c>/metrics</c> text. A findings database that cannot answer leaves them out
    /// (with <c>sfi_findings_up 0</c>) rather than failing the key service's series.
    /// </summary>
    public async Task WritePrometheusAsync(StringBuilder text, ILogger log, CancellationToken cancellationToken)
    {
        MetricsReport report;
        try
        {
            report = await PrometheusReportAsync().WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or StoreUnavailableException)
        {
            ServerLog.Diagnostic(log, "findings: metrics unavailable: " + e.Message);
            text.Append("# HELP sfi_findings_up Whether the findings hub's metrics could be read.\n# TYPE sfi_findings_up gauge\nsfi_findings_up 0\n");
            return;
        }

        text.Append("# HELP sfi_findings_up Whether the findings hub's metrics could be read.\n# TYPE sfi_findings_up gauge\nsfi_findings_up 1\n");
        text.Append("# HELP sfi_findings_open Unresolved findings (open, reopened, expired acceptance) by severity.\n# TYPE sfi_findings_open gauge\n");
        foreach (var (severity, group) in report.BySeverity)
        {
            text.Append(CultureInfo.InvariantCulture, $"sfi_findings_open{{severity=\"{severity}\"}} {group.Backlog.Values.Sum()}\n");
        }

        text.Append("# HELP sfi_findings_overdue Unresolved findings past their due date, by severity.\n# TYPE sfi_findings_overdue gauge\n");
        foreach (var (severity, group) in report.BySeverity)
        {
            text.Append(CultureInfo.InvariantCulture, $"sfi_findings_overdue{{severity=\"{severity}\"}} {group.Sla.OpenOverdue}\n");
        }

        text.Append("# HELP sfi_findings_fixed Findings fixed, by severity.\n# TYPE sfi_findings_fixed gauge\n");
        foreach (var (severity, group) in report.BySeverity)
        {
            text.Append(CultureInfo.InvariantCulture, $"sfi_findings_fixed{{severity=\"{severity}\"}} {group.Fixed}\n");
        }

        var ttm = report.Total.TimeToMitigate;
        text.Append("# HELP sfi_findings_time_to_mitigate_seconds Time to mitigate over all fixed findings.\n# TYPE sfi_findings_time_to_mitigate_seconds summary\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_time_to_mitigate_seconds{{quantile=\"0.5\"}} {Seconds(ttm.Median) ?? double.NaN}\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_time_to_mitigate_seconds{{quantile=\"0.9\"}} {Seconds(ttm.P90) ?? double.NaN}\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_time_to_mitigate_seconds_count {ttm.Count}\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_time_to_mitigate_seconds_sum {(ttm.Mean is { } mean ? mean.TotalSeconds * ttm.Count : 0)}\n");
        text.Append("# HELP sfi_findings_sla_compliance_ratio Findings fixed by their due date over those with a deadline fixed or overdue.\n# TYPE sfi_findings_sla_compliance_ratio gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_sla_compliance_ratio {report.Total.Sla.Ratio ?? double.NaN}\n");
        text.Append("# HELP sfi_findings_projects Registered projects.\n# TYPE sfi_findings_projects gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_projects {report.Coverage.Projects}\n");
        text.Append("# HELP sfi_findings_coverage_ratio Projects with a complete analysis per expected category within the window, over all projects.\n# TYPE sfi_findings_coverage_ratio gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"sfi_findings_coverage_ratio {report.Coverage.Ratio}\n");
    }

    /// <summary>
    /// The report behind the Prometheus series. Computing it reads every finding, so a scrape reuses the last one while
    /// nothing was written through this node (push, decision, project) and it is younger than <see cref="MetricsCacheTtl"/>
    /// (time alone moves ages, deadlines and expiries; another node's writes show within the same bound). Concurrent
    /// scrapes share one computation; a failed one is not kept.
    /// </summary>
    private Task<MetricsReport> PrometheusReportAsync()
    {
        var now = clock.GetUtcNow();
        lock (_metricsGate)
        {
            if (_metrics is { } cached && cached.Generation == _generation && now >= cached.At && now - cached.At < MetricsCacheTtl
                && !cached.Report.IsFaulted && !cached.Report.IsCanceled)
            {
                return cached.Report;
            }

            MetricsComputations++;
            // Not the scrape's token: other scrapes may wait on the same computation.
            var report = store.ComputeMetricsAsync(new MetricsRequest(), CancellationToken.None);
            _metrics = new CachedMetrics(_generation, now, report);
            return report;
        }
    }

    /// <summary>Something the metrics count was written (here or by the web console): the next scrape computes them again.</summary>
    internal void Changed()
    {
        lock (_metricsGate)
        {
            _generation++;
        }
    }

    /// <summary>
    /// Reads the pushed SARIF log as it arrives (plain or gzip) and stores one analysis per tool and category it reports.
    /// The log is read whole before anything is stored, so a malformed one stores nothing.
    /// </summary>
    private async Task<IResult> IngestAsync(HttpContext context, string id, CancellationToken ct)
    {
        var projectId = Uri.UnescapeDataString(id);
        var gitRef = context.Request.Query["ref"].ToString();
        if (gitRef.Length is 0 or > MaxRefLength || gitRef.Any(char.IsControl))
        {
            throw Invalid($"ref: required, the branch or commit analysed (1-{MaxRefLength} characters, no control characters)");
        }

        var category = context.Request.Query["category"].ToString() is { Length: > 0 } c ? c : null;
        if (category is { Length: > MaxRefLength } || (category?.Any(char.IsControl) ?? false))
        {
            throw Invalid($"category: at most {MaxRefLength} characters, no control characters");
        }

        _ = await store.GetProjectAsync(projectId, ct) ?? throw NotFound($"project '{projectId}' is not registered; register it with POST /v1/projects");

        // This endpoint alone takes large bodies: the reader enforces IngestLimits.MaxBytes (and the rest) as it reads,
        // and Kestrel's own limit sits just above it as a backstop.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxBytes + 1;
        }

        // The results wait on disk, not in memory, until the whole log has been read (bounded memory for any push).
        var started = Stopwatch.GetTimestamp();
        using var reader = new SarifLogReader(context.Request.Body, category, limits);
        using var spool = new AnalysisSpool();
        await foreach (var result in reader.ReadResultsAsync(ct))
        {
            spool.Add(result);
        }

        // One analysis per tool and category (GitHub code scanning's identity of an analysis), all stored in one
        // transaction: a database failing mid-way leaves nothing of the log, and the client retries it whole.
        var read = Stopwatch.GetElapsedTime(started);
        var at = clock.GetUtcNow();
        var scopes = reader.Runs.GroupBy(r => (r.Tool, r.Category)).ToList();
        var uploads = scopes.Select(runs => new AnalysisUpload(projectId, gitRef, runs.Key.Category, runs.Key.Tool, at, runs.All(r => r.IsComplete), SfiServer.Actor(context))).ToList();
        var outcomes = await store.IngestAsync([.. uploads.Select(u => new PushedAnalysis(u, spool.Read(u.Tool, u.Category)))], ct);
        Changed();
        var stored = Stopwatch.GetElapsedTime(started) - read;
        Pushed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SecureFuture.Findings"), projectId, gitRef, outcomes.Sum(o => o.Results), outcomes.Count,
            read.TotalMilliseconds, stored.TotalMilliseconds);
        var analyses = scopes.Select((runs, i) => new AnalysisView(outcomes[i].AnalysisId, uploads[i].Category, uploads[i].Tool, uploads[i].Complete, outcomes[i].Duplicate,
            outcomes[i].Results, outcomes[i].Opened, outcomes[i].Reopened, outcomes[i].Fixed, outcomes[i].Updated,
            [.. runs.SelectMany(r => r.IncompleteReasons)], [.. runs.SelectMany(r => r.Warnings)])).ToList();

        return Results.Json(new IngestView(projectId, gitRef, at, analyses), Api.Json, statusCode: analyses.All(a => a.Duplicate) ? 200 : 201);
    }

    /// <summary>
    /// Whether a CI client's token may push to the project of this request: it needs <see cref="WriteScope"/> and the
    /// project's own scope (<see cref="ProjectScopePrefix"/> + id), both granted at registration by an admin. Returns
    /// the 403 to answer, or null.
    /// </summary>
    public static IResult? RefusePush(HttpContext context, IReadOnlyList<string> scopes)
    {
        var project = Uri.UnescapeDataString(context.Request.RouteValues["id"] as string ?? string.Empty);
        foreach (var needed in new[] { WriteScope, ProjectScopePrefix + project })
        {
            if (!scopes.Contains(needed, StringComparer.Ordinal))
            {
                context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{WriteScope} {ProjectScopePrefix}{project}\"";
                return Problems.Of(403, "Forbidden", $"pushing to project '{project}' needs scopes {WriteScope} and {ProjectScopePrefix}{project}; the token lacks {needed}");
            }
        }

        return null;
    }

    private IResult Decided(string id, string action, StateChange change)
    {
        Changed();
        return Decision(id, action, change);
    }

    private static IResult Decision(string id, string action, StateChange change) => change.Outcome switch
    {
        StateChangeOutcome.Changed => Results.Json(View(change.Finding!), Api.Json),
        StateChangeOutcome.NotFound => throw NotFound($"finding '{id}' does not exist"),
        _ => throw new KeyServiceException(KeyErrorKind.Conflict, $"cannot {action} finding '{id}' in state {change.Finding?.State.ToToken() ?? "unknown"}"),
    };

    private static Project ToProject(ProjectRequest request)
    {
        if (!Project.IsValidId(request.Id))
        {
            throw Invalid("id: 1-100 letters, digits, '.', '_', '-' or '/', starting with a letter or digit");
        }

        var criticality = Criticality.Medium;
        if (request.Criticality is not null && !CriticalityTokens.TryParseCriticality(request.Criticality, out criticality))
        {
            throw Invalid($"criticality: '{request.Criticality}' is not one of {string.Join(", ", Enum.GetValues<Criticality>().Select(c => c.ToToken()))}");
        }

        var categories = request.ExpectedCategories ?? [];
        if (categories.Any(c => string.IsNullOrWhiteSpace(c) || c.Length > MaxRefLength || c.Any(char.IsControl)))
        {
            throw Invalid("expectedCategories: each category is a non-empty name without control characters");
        }

        return new Project(request.Id!, string.IsNullOrWhiteSpace(request.Owner) ? null : request.Owner.Trim(), criticality,
            [.. categories.Select(c => AnalysisCategory.Normalize(c.Trim())).Distinct(StringComparer.Ordinal)]);
    }

    private static FindingQuery ToQuery(IQueryCollection query)
    {
        var result = new FindingQuery
        {
            Project = Text(query, "project"),
            Ref = Text(query, "ref"),
            RuleId = Text(query, "rule"),
            Category = Text(query, "category"),
            Cursor = Text(query, "cursor"),
        };
        if (Text(query, "state") is { } state)
        {
            result = result with { State = FindingStateTokens.TryParseState(state, out var s) ? s : throw Invalid($"state: '{state}' is not one of {string.Join(", ", Enum.GetValues<FindingState>().Select(x => x.ToToken()))}") };
        }

        if (Text(query, "severity") is { } severity)
        {
            result = result with { Severity = SeverityExtensions.TryParseSeverity(severity, out var s) ? s : throw Invalid($"severity: '{severity}' is not one of critical, high, medium, low, note") };
        }

        if (Text(query, "overdue") is { } overdue)
        {
            result = result with { Overdue = bool.TryParse(overdue, out var o) ? o : throw Invalid($"overdue: '{overdue}' is not true or false") };
        }

        if (Text(query, "minAgeDays") is { } age)
        {
            result = result with { MinAge = int.TryParse(age, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days <= 36500 ? TimeSpan.FromDays(days) : throw Invalid($"minAgeDays: '{age}' is not a number of days") };
        }

        // Fail closed: a misspelt sort or order is refused, never listed in some other order the caller did not ask for.
        if (Text(query, "sort") is { } sort)
        {
            result = result with { Sort = FindingSorts.TryParseSort(sort, out var s) ? s : throw Invalid($"sort: '{sort}' is not one of {string.Join(", ", FindingSorts.Tokens)}") };
        }

        if (Text(query, "order") is { } order)
        {
            result = result with { Direction = FindingSorts.TryParseDirection(order, out var d) ? d : throw Invalid($"order: '{order}' is not asc or desc") };
        }

        if (Text(query, "limit") is { } limit)
        {
            result = result with { Limit = int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l is >= 1 and <= FindingQuery.MaxLimit ? l : throw Invalid($"limit: between 1 and {FindingQuery.MaxLimit}") };
        }

        return result;
    }

    private static MetricsRequest ToMetricsRequest(IQueryCollection query)
    {
        var request = new MetricsRequest { Project = Text(query, "project") };
        if (Text(query, "windowDays") is { } window)
        {
            request = request with { CoverageWindow = int.TryParse(window, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= 3650 ? TimeSpan.FromDays(days) : throw Invalid($"windowDays: '{window}' is not a number of days (1-3650)") };
        }

        return request;
    }

    private static string? Text(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 } value ? value : null;

    private static KeyServiceException Invalid(string message) => new(KeyErrorKind.Invalid, message);

    private static KeyServiceException NotFound(string message) => new(KeyErrorKind.NotFound, message);

    private static double? Seconds(TimeSpan? span) => span?.TotalSeconds;

    private static ProjectView View(Project p) => new(p.Id, p.Owner, p.Criticality.ToToken(), p.ExpectedCategories);

    internal static FindingView View(FindingRecord f) => new(
        f.Id, f.Project, f.Ref, f.Category, f.Tool, f.RuleId, f.Severity.ToToken(), f.Message, f.Path, f.StartLine, f.EndLine, f.IdentitySource, f.Cves,
        f.State.ToToken(), f.FirstSeen, f.OpenedAt, f.FixedAt, Seconds(f.TimeToMitigate), f.DueAt, f.Kev, f.Overdue, f.DismissReason?.ToToken(), f.DecidedBy,
        f.DecisionComment, f.RiskOwner, f.AcceptedUntil);

    private static HistoryView View(HistoryRecord h) => new(h.Sequence, h.At, h.Action, h.State.ToToken(), h.Actor, JsonDocument.Parse(h.Details).RootElement.Clone(), h.Hash);

    private static MetricsView View(MetricsReport r) => new(
        r.At, View(r.Total), r.BySeverity.ToDictionary(p => p.Key, p => View(p.Value)), r.ByProject.ToDictionary(p => p.Key, p => View(p.Value)),
        r.ByCategory.ToDictionary(p => p.Key, p => View(p.Value)), r.ByMonth.ToDictionary(p => p.Key, p => View(p.Value)), View(r.Coverage));

    private static GroupView View(MetricGroup g) => new(
        new TimeToMitigateView(g.TimeToMitigate.Count, Seconds(g.TimeToMitigate.Median), Seconds(g.TimeToMitigate.P90), Seconds(g.TimeToMitigate.Mean)),
        new SlaView(g.Sla.MetOnTime, g.Sla.FixedLate, g.Sla.OpenOverdue, g.Sla.Ratio), g.Backlog, g.New, g.Fixed);

    private static CoverageView View(CoverageReport c) => new(c.Window.TotalDays, c.Projects, c.Covered, c.Ratio, c.ByProject);

    /// <summary>
    /// One line per push: where the time went (receiving and reading the log as it arrives, then storing it), for operators
    /// and bench/findings-push.sh.
    /// </summary>
    [LoggerMessage(100, LogLevel.Information, "findings: push to {Project} ref {Ref}: {Results} results in {Analyses} analyses; received and read in {ReadMs:F0} ms, stored in {StoreMs:F0} ms")]
    private static partial void Pushed(ILogger logger, string project, string @ref, int results, int analyses, double readMs, double storeMs);

    private sealed record CachedMetrics(long Generation, DateTimeOffset At, Task<MetricsReport> Report);

    /// <summary>Marks the one hub endpoint a CI client's token (not only the admin key) may call.</summary>
    internal sealed class ClientPush;

    internal sealed record ProjectRequest(string? Id, string? Owner, string? Criticality, IReadOnlyList<string>? ExpectedCategories);

    internal sealed record DismissRequest(string? Reason, string? Comment);

    internal sealed record AcceptRequest(string? RiskOwner, DateTimeOffset? Until, string? Comment);

    internal sealed record ReopenRequest(string? Comment);

    internal sealed record ProjectView(string Id, string? Owner, string Criticality, IReadOnlyList<string> ExpectedCategories);

    internal sealed record AnalysisView(string Id, string Category, string Tool, bool Complete, bool Duplicate, int Results, int Opened, int Reopened, int Fixed, int Updated, IReadOnlyList<string> IncompleteReasons, IReadOnlyList<string> Warnings);

    internal sealed record IngestView(string Project, string Ref, DateTimeOffset At, IReadOnlyList<AnalysisView> Analyses);

    /// <summary>A finding as the API shows it. <c>fixedAt</c> is always present (null while unfixed): list consumers rely on it.</summary>
    internal sealed record FindingView(
        string Id, string Project, string Ref, string Category, string Tool, string RuleId, string Severity, string Message, string? Path, int? StartLine, int? EndLine,
        string IdentitySource, IReadOnlyList<string> Cves, string State, DateTimeOffset FirstSeen, DateTimeOffset OpenedAt,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? FixedAt,
        double? TimeToMitigateSeconds, DateTimeOffset? DueAt, bool Kev, bool Overdue, string? DismissReason, string? DecidedBy, string? DecisionComment, string? RiskOwner,
        DateTimeOffset? AcceptedUntil);

    internal sealed record FindingList(IReadOnlyList<FindingView> Findings, string? NextCursor);

    internal sealed record HistoryView(long Sequence, DateTimeOffset At, string Action, string State, string Actor, JsonElement Details, string Hash);

    internal sealed record FindingDetailView(FindingView Finding, JsonElement? Flow, IReadOnlyList<HistoryView> History);

    internal sealed record TimeToMitigateView(int Count, double? MedianSeconds, double? P90Seconds, double? MeanSeconds);

    internal sealed record SlaView(int MetOnTime, int FixedLate, int OpenOverdue, double? Ratio);

    internal sealed record GroupView(TimeToMitigateView TimeToMitigate, SlaView Sla, IReadOnlyDictionary<string, int> Backlog, int New, int Fixed);

    internal sealed record CoverageView(double WindowDays, int Projects, int Covered, double Ratio, IReadOnlyList<ProjectCoverage> ByProject);

    internal sealed record MetricsView(
        DateTimeOffset At, GroupView Total, IReadOnlyDictionary<string, GroupView> BySeverity, IReadOnlyDictionary<string, GroupView> ByProject,
        IReadOnlyDictionary<string, GroupView> ByCategory, IReadOnlyDictionary<string, GroupView> ByMonth, CoverageView Coverage);
}
