using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;

namespace SecureFuture.Cli.Findings;

/// <summary>
/// <c>sfi findings</c>: the findings hub of a running <c>sfi serve</c> (docs/findings-hub.md): register projects, push
/// SARIF logs, list and show findings, decide on them, and report time to mitigate, SLA and coverage.
/// </summary>
internal static class FindingsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] States = [.. Enum.GetValues<FindingState>().Select(s => s.ToToken())];
    private static readonly string[] Reasons = [.. Enum.GetValues<DismissReason>().Select(r => r.ToToken())];
    private static readonly string[] Criticalities = [.. Enum.GetValues<Criticality>().Select(c => c.ToToken())];

    /// <summary>A push may carry a log of hundreds of megabytes: it gets longer than an API call.</summary>
    private static readonly TimeSpan PushTimeout = TimeSpan.FromMinutes(10);

    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        return new Command("findings", "The findings hub of sfi serve: projects, pushed analyses, findings and their lifecycle, time to mitigate and coverage.")
        {
            Projects(stdout, stderr),
            Push(stdout, stderr, clock),
            List(stdout, stderr),
            Show(stdout, stderr),
            Dismiss(stdout, stderr),
            Accept(stdout, stderr, clock),
            Reopen(stdout, stderr),
            Report(stdout, stderr),
        };
    }

    private static Command Projects(TextWriter stdout, TextWriter stderr)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var id = new Argument<string>("id") { Description = "Project id: letters, digits, '.', '_', '-', '/' (a repository or product)." };
        id.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.Tokens[0].Value.Length > 0 && !Project.IsValidId(r.Tokens[0].Value))
            {
                r.AddError($"id: '{r.Tokens[0].Value}' is not a project id (1-100 letters, digits, '.', '_', '-' or '/', starting with a letter or digit)");
            }
        });
        var owner = new Option<string?>("--owner") { Description = "The team or person who owns the project's findings." };
        var criticality = new Option<string>("--criticality") { Description = "How much the project matters; with severity it sets deadlines.", DefaultValueFactory = _ => "medium" }.OneOf(Criticalities);
        var expect = new Option<string?>("--expect") { Description = "Comma-separated analysis categories that must report for the project to count as covered (e.g. code,secrets,iac,dependencies)." };
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var add = new Command("add", "Register a project (or update its owner, criticality and expected categories).") { id, owner, criticality, expect, format, server, keyFile };
        add.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), ct);
            var categories = parse.GetValue(expect)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
            var response = await hub.SendJsonAsync(HttpMethod.Post, "/v1/projects", new { id = parse.GetValue(id), owner = parse.GetValue(owner), criticality = parse.GetValue(criticality), expectedCategories = categories }, stderr, ct);
            return await PrintAsync(response, parse.GetValue(format)!, stdout, json => $"registered {json["id"]} (owner {json["owner"] ?? "-"}, criticality {json["criticality"]}, expects {Join(json["expectedCategories"])})");
        });

        var listFormat = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var list = new Command("list", "List the registered projects.") { listFormat, server, keyFile };
        list.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), ct);
            var response = await hub.SendJsonAsync(HttpMethod.Get, "/v1/projects", null, stderr, ct);
            return await PrintAsync(response, parse.GetValue(listFormat)!, stdout, json => string.Join('\n', json["projects"]!.AsArray().Select(p => $"{p!["id"]}\t{p["owner"] ?? "-"}\t{p["criticality"]}\t{Join(p["expectedCategories"])}")));
        });
        return new Command("projects", "Register and list projects.") { add, list };
    }

    /// <summary>The scopes a client's token needs to push to <paramref name="project"/> (the hub's FindingsEndpoints.RefusePush).</summary>
    public static IReadOnlyCollection<string> PushScopes(string project) => ["sfi.findings.write", "sfi.findings.project:" + project];

    private static Command Push(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var (server, keyFile, client) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption(), new Identity.ClientCredentialOptions());
        var file = new Argument<string>("file") { Description = "The SARIF 2.1.0 log (plain or gzip)." };
        var project = new Option<string>("--project") { Description = "The registered project the analysis is of.", Required = true };
        var gitRef = new Option<string>("--ref") { Description = "The branch or commit analysed.", Required = true };
        var category = new Option<string?>("--category") { Description = "The analysis category when the log has no runs[].automationDetails.id (e.g. code, secrets, iac)." };
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var push = new Command("push", "Push a SARIF log to the hub: new findings open, findings a complete analysis no longer reports are fixed.") { file, project, gitRef, category, format, server, keyFile, client.Client, client.Key };
        push.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), await client.ResolveAsync(parse, ct), PushScopes(parse.GetValue(project)!), clock, ct);
            var path = parse.GetValue(file)!;
            FileStream stream;
            try
            {
                stream = File.OpenRead(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{path}: cannot read: {e.Message}", e);
            }

            await using (stream)
            {
                var content = new StreamContent(stream);
                return await PushAsync(hub, content, path, parse.GetValue(project)!, parse.GetValue(gitRef)!, parse.GetValue(category), parse.GetValue(format)!, stdout, stderr, ct);
            }
        });
        return push;
    }

    private static Command List(TextWriter stdout, TextWriter stderr)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var project = new Option<string?>("--project") { Description = "Only this project's findings." };
        var gitRef = new Option<string?>("--ref") { Description = "Only findings on this branch or commit." };
        var state = new Option<string?>("--state") { Description = "Only findings in this state." }.OneOf(States);
        var severity = new Option<string?>("--severity") { Description = "Only findings of this severity." }.OneOf(CliOptions.Severities);
        var rule = new Option<string?>("--rule") { Description = "Only findings of this rule id." };
        var category = new Option<string?>("--category") { Description = "Only findings of this analysis category." };
        var overdue = new Option<bool>("--overdue") { Description = "Only findings past their due date." };
        var sort = new Option<string?>("--sort") { Description = "Order of the whole listing: stored (newest first), severity (most severe first), firstSeen (oldest first), dueAt (earliest first), state (unresolved first)." }.OneOf(FindingSorts.Tokens);
        var order = new Option<string?>("--order") { Description = "asc or desc: the sort's order, or its reverse (default: the order each sort names)." }.OneOf(FindingSorts.DirectionTokens);
        var format = CliOptions.Format("Output format: text or json (an array of findings).", ["text", "json"]);
        var list = new Command("list", "List findings, newest first unless --sort says otherwise (every page).") { project, gitRef, state, severity, rule, category, overdue, sort, order, format, server, keyFile };
        list.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), ct);
            var filters = new (string Name, string? Value)[]
            {
                ("project", parse.GetValue(project)), ("ref", parse.GetValue(gitRef)), ("state", parse.GetValue(state)), ("severity", parse.GetValue(severity)),
                ("rule", parse.GetValue(rule)), ("category", parse.GetValue(category)), ("overdue", parse.GetValue(overdue) ? "true" : null),
                ("sort", parse.GetValue(sort)), ("order", parse.GetValue(order)), ("limit", "1000"),
            };
            var query = string.Join('&', filters.Where(f => f.Value is not null).Select(f => $"{f.Name}={Uri.EscapeDataString(f.Value!)}"));
            var findings = new JsonArray();
            string? cursor = null;
            do
            {
                var response = await hub.SendJsonAsync(HttpMethod.Get, $"/v1/findings?{query}{(cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))}", null, stderr, ct);
                if (!response.Succeeded)
                {
                    return response.ExitCode;
                }

                foreach (var finding in response.Json!["findings"]!.AsArray())
                {
                    findings.Add(finding!.DeepClone());
                }

                cursor = response.Json["nextCursor"]?.GetValue<string>();
            }
            while (cursor is not null);

            if (parse.GetValue(format) == "json")
            {
                await stdout.WriteLineAsync(findings.ToJsonString(Indented));
            }
            else
            {
                foreach (var f in findings)
                {
                    await stdout.WriteLineAsync($"{f!["id"]}  {f["state"],-9} {f["severity"],-8} {f["ruleId"]}  {f["path"] ?? "-"}{(f["startLine"] is { } line ? ":" + line : string.Empty)}{(f["overdue"]!.GetValue<bool>() ? "  OVERDUE" : string.Empty)}");
                }

                await stdout.WriteLineAsync($"{findings.Count} finding(s)");
            }

            return ExitCodes.Success;
        });
        return list;
    }

    private static Command Show(TextWriter stdout, TextWriter stderr)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var id = FindingId();
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var show = new Command("show", "Show a finding with its code flow and history.") { id, format, server, keyFile };
        show.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), ct);
            var response = await hub.SendJsonAsync(HttpMethod.Get, $"/v1/findings/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, stderr, ct);
            return await PrintAsync(response, parse.GetValue(format)!, stdout, json =>
            {
                var f = json["finding"]!;
                var lines = new List<string>
                {
                    $"{f["id"]}: {f["ruleId"]} ({f["severity"]}{(f["kev"]!.GetValue<bool>() ? ", KEV" : string.Empty)}) {f["state"]}",
                    $"  {f["project"]} {f["ref"]} {f["category"]} {f["path"] ?? "-"}{(f["startLine"] is { } line ? ":" + line : string.Empty)}",
                    $"  {f["message"]}",
                    $"  first seen {f["firstSeen"]}, due {f["dueAt"] ?? "-"}{(f["overdue"]!.GetValue<bool>() ? " (overdue)" : string.Empty)}, fixed {f["fixedAt"] ?? "-"}",
                };
                if (json["flow"] is not null)
                {
                    lines.Add("  code flow: " + json["flow"]!.ToJsonString());
                }

                lines.AddRange(json["history"]!.AsArray().Select(h => $"  {h!["at"]}  {h["action"],-20} {h["state"],-9} by {h["actor"]}  {h["details"]!.ToJsonString()}"));
                return string.Join('\n', lines);
            });
        });
        return show;
    }

    private static Command Dismiss(TextWriter stdout, TextWriter stderr)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var id = FindingId();
        // Required, but checked when run: a Required enumerated option would make the parser report the missing value
        // before the unknown one.
        var reason = new Option<string?>("--reason") { Description = $"Why the finding is not a risk (required): {string.Join(", ", Reasons)}." }.OneOf(Reasons);
        var comment = Comment();
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var command = new Command("dismiss", "Dismiss a finding (false positive, used in tests, won't fix); it stays dismissed.") { id, reason, comment, format, server, keyFile };
        command.SetAction((parse, ct) => DecideAsync(parse, "dismiss", new { reason = parse.GetValue(reason) ?? throw new InputException($"--reason: required, one of {string.Join(", ", Reasons)}"), comment = parse.GetValue(comment) }, id, format, server, keyFile, stdout, stderr, ct));
        return command;
    }

    private static Command Accept(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var id = FindingId();
        var owner = new Option<string>("--risk-owner") { Description = "Who owns the accepted risk.", Required = true };
        var until = new Option<string>("--until") { Description = "When the acceptance expires: a date (YYYY-MM-DD, end of that day UTC), a time (ISO 8601) or a duration from now (P30D).", Required = true };
        var comment = Comment();
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var command = new Command("accept", "Accept a finding's risk until an expiry, after which it is open again.") { id, owner, until, comment, format, server, keyFile };
        command.SetAction((parse, ct) => DecideAsync(parse, "accept", new { riskOwner = parse.GetValue(owner), until = Expiry(parse.GetValue(until)!, clock), comment = parse.GetValue(comment) }, id, format, server, keyFile, stdout, stderr, ct));
        return command;
    }

    private static Command Reopen(TextWriter stdout, TextWriter stderr)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var id = FindingId();
        var comment = Comment();
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var command = new Command("reopen", "Undo a dismissal or an acceptance.") { id, comment, format, server, keyFile };
        command.SetAction((parse, ct) => DecideAsync(parse, "reopen", new { comment = parse.GetValue(comment) }, id, format, server, keyFile, stdout, stderr, ct));
        return command;
    }

    private static Command Report(TextWriter stdout, TextWriter stderr)
    {
        var (server, keyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var project = new Option<string?>("--project") { Description = "Only this project's findings (coverage is always over every project)." };
        var window = new Option<int?>("--window-days") { Description = "A project is covered when each expected category had a complete analysis within this many days (default 7)." };
        var format = CliOptions.Format("Output format: text, json or html (a self-contained page with charts).", ["text", "json", "html"]);
        var output = CliOptions.Output();
        var report = new Command("report", "Time to mitigate, SLA compliance, open backlog by age and coverage.") { project, window, format, output, server, keyFile };
        report.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), ct);
            var query = string.Join('&', new[] { parse.GetValue(project) is { } p ? "project=" + Uri.EscapeDataString(p) : null, parse.GetValue(window) is { } w ? "windowDays=" + w.ToString(CultureInfo.InvariantCulture) : null }.OfType<string>());
            var response = await hub.SendJsonAsync(HttpMethod.Get, "/v1/metrics/findings?" + query, null, stderr, ct);
            if (!response.Succeeded)
            {
                return response.ExitCode;
            }

            var text = parse.GetValue(format) switch
            {
                "json" => response.Json!.ToJsonString(Indented) + "\n",
                "html" => FindingsReport.Html(response.Json!),
                _ => FindingsReport.Text(response.Json!),
            };
            await CliOutput.EmitAsync(parse.GetValue(output), stdout, (stream, token) => CliOutput.WriteTextAsync(stream, text, token), ct);
            return ExitCodes.Success;
        });
        return report;
    }

    /// <summary>Pushes one SARIF log (<paramref name="content"/>) and prints what the hub did with each analysis in it.</summary>
    internal static async Task<int> PushAsync(HubClient hub, HttpContent content, string source, string project, string gitRef, string? category, string format, TextWriter output, TextWriter stderr, CancellationToken ct)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/sarif+json");
        var query = $"?ref={Uri.EscapeDataString(gitRef)}" + (category is null ? string.Empty : "&category=" + Uri.EscapeDataString(category));
        var response = await hub.SendAsync(HttpMethod.Post, $"/v1/projects/{Uri.EscapeDataString(project)}/analyses{query}", content, PushTimeout, stderr, ct);
        return await PrintAsync(response, format, output, json => string.Join('\n', json["analyses"]!.AsArray().Select(a =>
            $"{source}: {a!["category"]} ({a["tool"]}{(a["complete"]!.GetValue<bool>() ? string.Empty : ", partial")}): " +
            (a["duplicate"]!.GetValue<bool>() ? "the same as the latest analysis, nothing changed" : $"{a["results"]} results, {a["opened"]} opened, {a["reopened"]} reopened, {a["fixed"]} fixed, {a["updated"]} updated"))));
    }

    private static async Task<int> DecideAsync(
        ParseResult parse, string action, object body, Argument<string> id, Option<string> format, Option<string> server, Option<string?> keyFile, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(keyFile), ct);
        var response = await hub.SendJsonAsync(HttpMethod.Post, $"/v1/findings/{Uri.EscapeDataString(parse.GetValue(id)!)}/{action}", body, stderr, ct);
        return await PrintAsync(response, parse.GetValue(format)!, stdout, json => $"{json["id"]}: {json["state"]}");
    }

    /// <summary>The expiry of an acceptance: a date (its end, UTC), a time, or an ISO 8601 duration from now.</summary>
    private static DateTimeOffset Expiry(string text, TimeProvider clock)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new DateTimeOffset(date.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero);
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        return IsoDuration.TryParse(text, out var duration, out _) && duration > TimeSpan.Zero
            ? clock.GetUtcNow() + duration
            : throw new InputException($"--until: '{text}' is not a date (YYYY-MM-DD), a time (ISO 8601) or a duration (P30D)");
    }

    private static Argument<string> FindingId() => new("id") { Description = "The finding's id (from sfi findings list)." };

    private static Option<string?> Comment() => new("--comment") { Description = "A note recorded in the finding's history." };

    private static string Join(JsonNode? array) => array is JsonArray { Count: > 0 } a ? string.Join(',', a.Select(x => x!.ToString())) : "-";

    private static async Task<int> PrintAsync(HubResponse response, string format, TextWriter stdout, Func<JsonNode, string> text)
    {
        if (response.Succeeded && response.Json is { } json)
        {
            await stdout.WriteLineAsync(format == "json" ? json.ToJsonString(Indented) : text(json));
        }

        return response.ExitCode;
    }
}
