using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Findings.Sla;
using SecureFuture.Testing;
using static SecureFuture.Testing.HubSarif;

namespace SecureFuture.Server.Tests;

/// <summary>The findings hub through the real server: projects, SARIF pushes, the lifecycle, decisions, metrics and refusals.</summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class FindingsHubTests(ServerFixture fixture)
{
    private static readonly Result Injection = new("SQLI-1", "src/orders/Repository.cs", 40, "4a1b2c3d4e5f6a7b:1");
    private static readonly Result Secret = new("SECRET-7", "config/app.json", 3, "9f8e7d6c5b4a3f2e:1", "warning");

    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_finding_is_opened_fixed_with_its_time_to_mitigate_reopened_dismissed_and_accepted(string store)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        await using var server = await StartAsync(store, clock);
        await RegisterAsync(server, "shop");
        var firstSeen = clock.GetUtcNow();

        var first = await PushAsync(server, "shop", Log("probe", Injection, Secret));
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(2, (int)first.Body["analyses"]![0]!["opened"]!);

        // Three days later the secret is gone (and the injection moved 12 lines down: the same finding).
        clock.Advance(TimeSpan.FromDays(3));
        var second = await PushAsync(server, "shop", Log("probe", Injection with { Line = 52 }));
        Assert.Equal(1, (int)second.Body["analyses"]![0]!["fixed"]!);
        var all = await ListAsync(server, "project=shop");
        Assert.Equal(2, all.Count);
        var secret = Assert.Single(await ListAsync(server, "project=shop&state=fixed"));
        Assert.Equal("SECRET-7", (string)secret["ruleId"]!);
        Assert.Equal(firstSeen, (DateTimeOffset)secret["firstSeen"]!);
        Assert.Equal(firstSeen.AddDays(3), (DateTimeOffset)secret["fixedAt"]!);
        Assert.Equal(TimeSpan.FromDays(3).TotalSeconds, (double)secret["timeToMitigateSeconds"]!);
        var injection = Assert.Single(await ListAsync(server, "project=shop&state=open&severity=high"));
        Assert.Equal(52, (int)injection["startLine"]!);
        Assert.Null(injection["fixedAt"]); // present, and null
        var metrics = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/metrics/findings?project=shop", UriKind.Relative)))!;
        Assert.Equal(1, (int)metrics["total"]!["timeToMitigate"]!["count"]!);
        Assert.Equal(TimeSpan.FromDays(3).TotalSeconds, (double)metrics["total"]!["timeToMitigate"]!["medianSeconds"]!);

        // The same push again is the same analysis; the secret coming back reopens it.
        Assert.Equal(HttpStatusCode.OK, (await PushAsync(server, "shop", Log("probe", Injection with { Line = 52 }))).Status);
        clock.Advance(TimeSpan.FromDays(1));
        var third = await PushAsync(server, "shop", Log("probe", Injection with { Line = 52 }, Secret));
        Assert.Equal(1, (int)third.Body["analyses"]![0]!["reopened"]!);
        var secretId = (string)secret["id"]!;
        Assert.Equal("reopened", (string)(await GetAsync(server, secretId))["finding"]!["state"]!);

        // A person dismisses it; another accepts the injection's risk until an expiry, after which it reads open again.
        using (var dismissed = await server.Admin.PostAsJsonAsync(new Uri($"/v1/findings/{secretId}/dismiss", UriKind.Relative), new { reason = "used-in-tests", comment = "fixture key" }))
        {
            Assert.Equal(HttpStatusCode.OK, dismissed.StatusCode);
        }

        using (var badReason = await server.Admin.PostAsJsonAsync(new Uri($"/v1/findings/{secretId}/dismiss", UriKind.Relative), new { reason = "because" }))
        {
            await KeyApiTests.AssertProblem(badReason, HttpStatusCode.BadRequest, "'because' is not one of");
        }

        var injectionId = (string)injection["id"]!;
        using (var accepted = await server.Admin.PostAsJsonAsync(new Uri($"/v1/findings/{injectionId}/accept", UriKind.Relative), new { riskOwner = "cto", until = clock.GetUtcNow().AddDays(10) }))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal("accepted", (string)JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["state"]!);
        }

        clock.Advance(TimeSpan.FromDays(11));
        Assert.Equal("open", (string)(await GetAsync(server, injectionId))["finding"]!["state"]!);

        // The server's periodic job records the expiry in the history, with no push to the project, once. The test runs
        // a pass of the server's own job rather than waiting for its timer: a pass the timer started may have read the
        // clock before it moved (and be still running); this one starts after it and after any pass in flight.
        var expiry = server.Server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<AcceptanceExpiry>().Single();
        await expiry.RunPassAsync(CancellationToken.None);
        Assert.Single((await GetAsync(server, injectionId))["history"]!.AsArray(), h => (string)h!["action"]! == "acceptance-expired");
        Assert.Equal(0, await expiry.RunPassAsync(CancellationToken.None));
        using (var reopenOpen = await server.Admin.PostAsync(new Uri($"/v1/findings/{injectionId}/reopen", UriKind.Relative), null))
        {
            await KeyApiTests.AssertProblem(reopenOpen, HttpStatusCode.Conflict, "cannot reopen");
        }

        var detail = await GetAsync(server, secretId);
        Assert.Equal(["opened", "fixed", "reopened", "dismissed"], detail["history"]!.AsArray().Select(h => (string)h!["action"]!));
        Assert.StartsWith("admin:", (string)detail["history"]![3]!["actor"]!, StringComparison.Ordinal);

        // Coverage: the project was analysed within a 30-day window, not within the default 7 days.
        var coverage = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/metrics/coverage?windowDays=30", UriKind.Relative)))!;
        Assert.Equal(1.0, (double)coverage["ratio"]!);
        var prometheus = await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sfi_findings_coverage_ratio 0\n", prometheus, StringComparison.Ordinal); // 7-day default window: 12 days without a push
        Assert.Contains("sfi_findings_up 1\n", prometheus, StringComparison.Ordinal);
        Assert.Contains("sfi_findings_open{severity=\"high\"} 1\n", prometheus, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Findings_are_listed_by_the_sort_and_order_asked_across_pages_and_an_unknown_sort_order_or_foreign_cursor_is_refused(string store)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        await using var server = await StartAsync(store, clock);
        await RegisterAsync(server, "shop");
        await PushAsync(server, "shop", Log("probe", Secret, Injection, new Result("STYLE-3", "src/a.cs", 7, "0a0b0c0d0e0f0a0b:1", "note")));

        async Task<List<string>> AllPagesAsync(string query)
        {
            var rules = new List<string>();
            string? cursor = null;
            do
            {
                var page = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri($"/v1/findings?project=shop&limit=1&{query}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", UriKind.Relative)))!;
                rules.AddRange(page["findings"]!.AsArray().Select(f => (string)f!["ruleId"]!));
                cursor = (string?)page["nextCursor"];
            }
            while (cursor is not null);
            return rules;
        }

        // Severity's own order is most severe first; order=asc is its reverse, and order=desc says the default.
        Assert.Equal(["SQLI-1", "SECRET-7", "STYLE-3"], await AllPagesAsync("sort=severity"));
        Assert.Equal(["SQLI-1", "SECRET-7", "STYLE-3"], await AllPagesAsync("sort=severity&order=desc"));
        Assert.Equal(["STYLE-3", "SECRET-7", "SQLI-1"], await AllPagesAsync("sort=severity&order=asc"));
        // The default listing is the newest stored first (the log's last result); order=asc is the oldest first.
        Assert.Equal(["STYLE-3", "SQLI-1", "SECRET-7"], await AllPagesAsync(""));
        Assert.Equal(["SECRET-7", "SQLI-1", "STYLE-3"], await AllPagesAsync("order=asc"));
        Assert.Equal(["SECRET-7", "SQLI-1", "STYLE-3"], await AllPagesAsync("sort=stored&order=asc"));

        using (var unknownSort = await server.Admin.GetAsync(new Uri("/v1/findings?sort=risk", UriKind.Relative)))
        {
            await KeyApiTests.AssertProblem(unknownSort, HttpStatusCode.BadRequest, "sort: 'risk' is not one of stored, severity, firstSeen, dueAt, state");
        }

        using (var unknownOrder = await server.Admin.GetAsync(new Uri("/v1/findings?sort=severity&order=up", UriKind.Relative)))
        {
            await KeyApiTests.AssertProblem(unknownOrder, HttpStatusCode.BadRequest, "order: 'up' is not asc or desc");
        }

        using (var minusField = await server.Admin.GetAsync(new Uri("/v1/findings?sort=-severity", UriKind.Relative)))
        {
            await KeyApiTests.AssertProblem(minusField, HttpStatusCode.BadRequest, "sort: '-severity'");
        }

        // A cursor continues only the listing it came from: another sort, or the same sort reversed, is refused.
        var severityCursor = (string)JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/findings?project=shop&limit=1&sort=severity", UriKind.Relative)))!["nextCursor"]!;
        foreach (var other in new[] { "sort=severity&order=asc", "sort=dueAt", "" })
        {
            using var foreign = await server.Admin.GetAsync(new Uri($"/v1/findings?project=shop&limit=1&{other}&cursor={Uri.EscapeDataString(severityCursor)}", UriKind.Relative));
            await KeyApiTests.AssertProblem(foreign, HttpStatusCode.BadRequest, "cursor: a cursor of another sort or order");
        }
    }

    [Fact]
    public async Task A_gzip_push_is_read_and_a_malformed_log_is_refused_with_its_json_path_and_position()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        await RegisterAsync(server, "shop");

        using (var gzip = new ByteArrayContent(Gzip(Log("probe", Injection, Secret))))
        {
            gzip.Headers.ContentType = new MediaTypeHeaderValue("application/sarif+json");
            using var response = await server.Admin.PostAsync(new Uri("/v1/projects/shop/analyses?ref=main&category=code", UriKind.Relative), gzip);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Assert.Equal(2, (await ListAsync(server, "project=shop")).Count);

        // A result whose message is a number: refused where it is, and nothing of the log is stored.
        var broken = Log("probe", Injection, Secret with { LineHash = "0123456789abcdef:1" }).Replace("\"text\":\"SECRET-7 in config/app.json\"", "\"text\":\"x\"},\"level\":7,\"x\":{\"y\":1", StringComparison.Ordinal);
        using var malformed = await server.Admin.PostAsync(new Uri("/v1/projects/shop/analyses?ref=main", UriKind.Relative), new StringContent(broken[..(broken.Length / 2)] + "\n{", Encoding.UTF8, "application/json"));
        var text = await malformed.Content.ReadAsStringAsync();
        Assert.True(malformed.StatusCode == HttpStatusCode.BadRequest, text);
        var problem = JsonNode.Parse(text)!;
        Assert.StartsWith("$.runs[0]", (string)problem["jsonPath"]!, StringComparison.Ordinal);
        Assert.True((long)problem["line"]! >= 1);
        Assert.Contains("SARIF log: $.runs[0]", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Equal(2, (await ListAsync(server, "project=shop")).Count);

        using var notSarif = await server.Admin.PostAsync(new Uri("/v1/projects/shop/analyses?ref=main", UriKind.Relative), new StringContent("{\"version\":\"1.0.0\",\"runs\":[]}"));
        await KeyApiTests.AssertProblem(notSarif, HttpStatusCode.BadRequest, "SARIF log: $");

        using var noRef = await server.Admin.PostAsync(new Uri("/v1/projects/shop/analyses", UriKind.Relative), new StringContent(Log("probe", Injection)));
        await KeyApiTests.AssertProblem(noRef, HttpStatusCode.BadRequest, "ref: required");
        using var unknown = await server.Admin.PostAsync(new Uri("/v1/projects/nope/analyses?ref=main", UriKind.Relative), new StringContent(Log("probe", Injection)));
        await KeyApiTests.AssertProblem(unknown, HttpStatusCode.NotFound, "'nope' is not registered");
        using var badState = await server.Admin.GetAsync(new Uri("/v1/findings?state=closed", UriKind.Relative));
        await KeyApiTests.AssertProblem(badState, HttpStatusCode.BadRequest, "state: 'closed'");
        using var badCursor = await server.Admin.GetAsync(new Uri("/v1/findings?cursor=forged", UriKind.Relative));
        await KeyApiTests.AssertProblem(badCursor, HttpStatusCode.BadRequest, "cursor");
    }

    [Fact]
    public async Task A_log_larger_than_the_global_request_limit_is_taken_by_the_ingest_endpoint_only()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        await RegisterAsync(server, "big");
        var results = Enumerable.Range(0, 2000).Select(i => new Result("R" + (i % 10), $"src/file{i}.cs", i + 1, $"{i:x16}:1", Message: new string('m', 200))).ToArray();
        var log = Log("probe", results);
        Assert.True(log.Length > 256 * 1024);
        var pushed = await PushAsync(server, "big", log);
        Assert.Equal(HttpStatusCode.Created, pushed.Status);
        Assert.Equal(2000, (int)pushed.Body["analyses"]![0]!["opened"]!);

        using var elsewhere = await server.Admin.PostAsync(new Uri("/v1/projects", UriKind.Relative), new StringContent(log, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Every_hub_endpoint_refuses_a_caller_without_the_admin_key()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        await RegisterAsync(server, "shop");
        using var wrong = new HttpClient { BaseAddress = server.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminKey + "x");
        foreach (var client in new[] { server.Anonymous, wrong })
        {
            using var push = await client.PostAsync(new Uri("/v1/projects/shop/analyses?ref=main", UriKind.Relative), new StringContent(Log("probe", Injection)));
            await KeyApiTests.AssertProblem(push, HttpStatusCode.Unauthorized, "Bearer");
            using var list = await client.GetAsync(new Uri("/v1/findings", UriKind.Relative));
            await KeyApiTests.AssertProblem(list, HttpStatusCode.Unauthorized, "Bearer");
            using var project = await client.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { id = "evil" });
            await KeyApiTests.AssertProblem(project, HttpStatusCode.Unauthorized, "Bearer");
            using var metrics = await client.GetAsync(new Uri("/v1/metrics/coverage", UriKind.Relative));
            await KeyApiTests.AssertProblem(metrics, HttpStatusCode.Unauthorized, "Bearer");
        }

        Assert.Empty(await ListAsync(server, "project=shop"));
        Assert.Single(JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/projects", UriKind.Relative)))!["projects"]!.AsArray());
    }

    [Fact]
    public async Task A_push_the_database_cannot_take_is_answered_503_with_retry_after_and_stores_nothing()
    {
        var database = await TestPostgres.CreateDatabaseAsync("sfi_hub");
        await using var server = await RunningServer.StartAsync(fixture.Custodian, database: database);
        await RegisterAsync(server, "shop");
        var name = new Npgsql.NpgsqlConnectionStringBuilder(database).Database;

        // The database goes away: every connection is cut and new ones are refused.
        await AdminSqlAsync($"ALTER DATABASE {name} ALLOW_CONNECTIONS false", $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        using (var response = await server.Admin.PostAsync(new Uri("/v1/projects/shop/analyses?ref=main", UriKind.Relative), new StringContent(Log("probe", Injection))))
        {
            await KeyApiTests.AssertProblem(response, HttpStatusCode.ServiceUnavailable, "retry");
            Assert.Equal(TimeSpan.FromSeconds(FindingsEndpoints.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        }

        // The key service's series still answer; the hub's say they are missing.
        var metrics = await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sfi_findings_up 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_ready 1\n", metrics, StringComparison.Ordinal);

        // It comes back: the same push, retried, is taken whole.
        await AdminSqlAsync($"ALTER DATABASE {name} ALLOW_CONNECTIONS true");
        Assert.Empty(await ListAsync(server, "project=shop"));
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(server, "shop", Log("probe", Injection))).Status);
        Assert.Single(await ListAsync(server, "project=shop"));
    }

    [Fact]
    public async Task A_database_lost_between_the_categories_of_a_log_stores_none_of_them_and_the_retried_push_stores_it_whole()
    {
        var database = await TestPostgres.CreateDatabaseAsync("sfi_hub");
        await using var server = await RunningServer.StartAsync(fixture.Custodian, database: database);
        await RegisterAsync(server, "web");
        var log = Categorised(("secrets/", [Secret]), ("code/", [Injection]));

        // The server ends the pushing session for real once the secrets analysis is written, as the code analysis is recorded.
        await DatabaseSqlAsync(database,
            "CREATE FUNCTION sfi_test_outage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$",
            "CREATE TRIGGER sfi_test_outage BEFORE INSERT ON findings_analyses FOR EACH ROW WHEN (NEW.category = 'code') EXECUTE FUNCTION sfi_test_outage()");
        using (var response = await server.Admin.PostAsync(new Uri("/v1/projects/web/analyses?ref=main", UriKind.Relative), new StringContent(log)))
        {
            await KeyApiTests.AssertProblem(response, HttpStatusCode.ServiceUnavailable, "nothing was stored, retry");
            Assert.Equal(TimeSpan.FromSeconds(FindingsEndpoints.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        }

        Assert.Empty(await ListAsync(server, "project=web")); // not even the secrets analysis written before the failure
        Assert.Equal(0, (int)JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/metrics/findings?project=web", UriKind.Relative)))!["total"]!["new"]!);

        // The database is well again: the same push, retried, is stored whole.
        await DatabaseSqlAsync(database, "DROP TRIGGER sfi_test_outage ON findings_analyses");
        using (var retried = await server.Admin.PostAsync(new Uri("/v1/projects/web/analyses?ref=main", UriKind.Relative), new StringContent(log)))
        {
            Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
            var analyses = JsonNode.Parse(await retried.Content.ReadAsStringAsync())!["analyses"]!.AsArray();
            Assert.Equal([("secrets", 1), ("code", 1)], analyses.Select(a => ((string)a!["category"]!, (int)a["opened"]!)));
        }

        Assert.Equal(["SECRET-7", "SQLI-1"], (await ListAsync(server, "project=web")).Select(f => (string)f["ruleId"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Two_tools_pushing_one_category_are_two_analyses_that_never_fix_each_others_findings()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        await using var server = await StartAsync("sqlite", clock);
        await RegisterAsync(server, "web");
        string Iac(string tool, params Result[] results)
        {
            var log = JsonNode.Parse(Categorised(("iac/", results)))!;
            log["runs"]![0]!["tool"]!["driver"]!["name"] = tool;
            return log.ToJsonString();
        }

        var scan = await PushAsync(server, "web", Iac("SecureFuture", Injection, Secret));
        Assert.Equal(("iac", "SecureFuture", 2), ((string)scan.Body["analyses"]![0]!["category"]!, (string)scan.Body["analyses"]![0]!["tool"]!, (int)scan.Body["analyses"]![0]!["opened"]!));
        clock.Advance(TimeSpan.FromHours(1));
        var baseline = await PushAsync(server, "web", Iac("sfi baseline", Injection));
        Assert.Equal((1, 0), ((int)baseline.Body["analyses"]![0]!["opened"]!, (int)baseline.Body["analyses"]![0]!["fixed"]!));
        Assert.Equal(3, (await ListAsync(server, "project=web&state=open")).Count);

        // One log with both tools' runs of one category is two analyses too.
        clock.Advance(TimeSpan.FromHours(1));
        var log = JsonNode.Parse(Iac("SecureFuture", Injection))!;
        log["runs"]!.AsArray().Add(JsonNode.Parse(Iac("sfi baseline"))!["runs"]![0]!.DeepClone());
        var both = await PushAsync(server, "web", log.ToJsonString());
        Assert.Equal([("SecureFuture", 1), ("sfi baseline", 1)], both.Body["analyses"]!.AsArray().Select(a => ((string)a!["tool"]!, (int)a["fixed"]!)));
        Assert.Equal(["SecureFuture"], (await ListAsync(server, "project=web&state=open")).Select(f => (string)f["tool"]!));
    }

    [Fact]
    public async Task Each_category_of_a_log_has_its_own_lifecycle_and_counts_for_coverage()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        await using var server = await StartAsync("sqlite", clock);
        using (var project = await server.Admin.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { id = "web", expectedCategories = new[] { "secrets", "code/" } }))
        {
            Assert.Equal(HttpStatusCode.Created, project.StatusCode);
        }

        // One log, two runs (as sfi scan --push writes them): automationDetails "secrets/" and "code/".
        var first = await PushAsync(server, "web", Categorised(("secrets/", [Secret]), ("code/", [Injection])));
        Assert.Equal(["secrets", "code"], first.Body["analyses"]!.AsArray().Select(a => (string)a!["category"]!));

        // The secret is gone; the code analysis reports the same: only the secret is fixed.
        clock.Advance(TimeSpan.FromDays(1));
        var second = await PushAsync(server, "web", Categorised(("secrets/", []), ("code/", [Injection])));
        Assert.Equal([1, 0], second.Body["analyses"]!.AsArray().Select(a => (int)a!["fixed"]!));
        Assert.Equal("SECRET-7", (string)Assert.Single(await ListAsync(server, "project=web&state=fixed"))["ruleId"]!);
        Assert.Equal("SQLI-1", (string)Assert.Single(await ListAsync(server, "project=web&state=open"))["ruleId"]!);

        var coverage = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/metrics/coverage", UriKind.Relative)))!;
        var web = coverage["byProject"]!.AsArray().Single(p => (string)p!["project"]! == "web")!;
        Assert.True((bool)web["covered"]!, web.ToJsonString());
    }

    [Fact]
    public async Task Metrics_scrapes_reuse_one_computation_until_a_push_or_a_decision_or_the_ttl()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        await using var server = await StartAsync("sqlite", clock);
        var hub = server.Server.Services.GetRequiredService<FindingsEndpoints>();
        await RegisterAsync(server, "shop");

        var before = await ScrapeAsync(server);
        Assert.DoesNotContain("sfi_findings_open{severity=\"high\"} 1\n", before, StringComparison.Ordinal);
        var computed = hub.MetricsComputations;
        Assert.Equal(before, await ScrapeAsync(server));
        Assert.Equal(before, await ScrapeAsync(server));
        Assert.Equal(computed, hub.MetricsComputations); // cached: nothing was written

        // A push shows at the next scrape.
        await PushAsync(server, "shop", Log("probe", Injection));
        Assert.Contains("sfi_findings_open{severity=\"high\"} 1\n", await ScrapeAsync(server), StringComparison.Ordinal);
        Assert.Equal(computed + 1, hub.MetricsComputations);

        // So does a decision.
        var id = (string)Assert.Single(await ListAsync(server, "project=shop"))["id"]!;
        using (var dismissed = await server.Admin.PostAsJsonAsync(new Uri($"/v1/findings/{id}/dismiss", UriKind.Relative), new { reason = "false-positive" }))
        {
            Assert.Equal(HttpStatusCode.OK, dismissed.StatusCode);
        }

        Assert.DoesNotContain("sfi_findings_open{severity=\"high\"} 1\n", await ScrapeAsync(server), StringComparison.Ordinal);
        Assert.Equal(computed + 2, hub.MetricsComputations);

        // Time alone moves coverage: past the TTL the report is computed again.
        clock.Advance(FindingsEndpoints.MetricsCacheTtl);
        await ScrapeAsync(server);
        Assert.Equal(computed + 3, hub.MetricsComputations);
    }

    [Fact]
    public async Task The_sla_policy_and_kev_catalogue_of_the_server_options_set_deadlines()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        var kevFile = Path.Combine(Path.GetTempPath(), $"kev-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(kevFile, """{"catalogVersion":"2026.11.01","vulnerabilities":[{"cveID":"CVE-2021-44228","dueDate":"2021-12-24"}]}""");
        try
        {
            var policy = SlaPolicyOptions.Apply(SlaPolicy.Default, "high=P2D", "high:medium=P5D", "P1D");
            await using var server = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Clock = clock, FindingsSla = policy, FindingsKev = KevCatalog.Load(kevFile) });
            await RegisterAsync(server, "shop"); // criticality high
            await PushAsync(server, "shop", Log("probe", Injection, Secret, new Result("CVE-2021-44228", "pom.xml", 9, "0123456789abcdef:1", "note")));
            var findings = (await ListAsync(server, "project=shop")).ToDictionary(f => (string)f["ruleId"]!);
            var now = clock.GetUtcNow();
            Assert.Equal(now.AddDays(2), (DateTimeOffset)findings["SQLI-1"]["dueAt"]!); // high: --sla
            Assert.Equal(now.AddDays(5), (DateTimeOffset)findings["SECRET-7"]["dueAt"]!); // medium in a high project: --sla-for
            var log4shell = findings["CVE-2021-44228"];
            Assert.True((bool)log4shell["kev"]!);
            Assert.Equal(now.AddDays(1), (DateTimeOffset)log4shell["dueAt"]!); // a note, but known exploited: --kev-window
        }
        finally
        {
            File.Delete(kevFile);
        }
    }

    private static async Task<string> ScrapeAsync(RunningServer server)
        => await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    /// <summary>A log of one run per category, each with its automationDetails id.</summary>
    private static string Categorised(params (string Id, Result[] Results)[] runs)
    {
        var log = new JsonObject { ["version"] = "2.1.0", ["runs"] = new JsonArray() };
        foreach (var (id, results) in runs)
        {
            var run = JsonNode.Parse(Log("sfi", results))!["runs"]![0]!.DeepClone();
            run["automationDetails"] = new JsonObject { ["id"] = id };
            log["runs"]!.AsArray().Add(run);
        }

        return log.ToJsonString();
    }

    private static Task AdminSqlAsync(params string[] statements) => DatabaseSqlAsync(TestPostgres.AdminConnectionString, statements);

    private static async Task DatabaseSqlAsync(string connectionString, params string[] statements)
    {
        await using var admin = new Npgsql.NpgsqlConnection(connectionString);
        await admin.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, admin);
            await command.ExecuteNonQueryAsync();
        }
    }

    private async Task<RunningServer> StartAsync(string store, TimeProvider clock)
        => await RunningServer.StartAsync(fixture.Custodian, database: store == "postgres" ? await TestPostgres.CreateDatabaseAsync("sfi_hub") : null, configure: o => o with { Clock = clock });

    private static async Task RegisterAsync(RunningServer server, string id)
    {
        using var response = await server.Admin.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { id, owner = "team-orders", criticality = "high", expectedCategories = new[] { "code" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PushAsync(RunningServer server, string project, string log)
    {
        using var response = await server.Admin.PostAsync(new Uri($"/v1/projects/{project}/analyses?ref=main&category=code", UriKind.Relative), new StringContent(log, Encoding.UTF8, "application/sarif+json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    private static async Task<IReadOnlyList<JsonNode>> ListAsync(RunningServer server, string query)
        => [.. JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/findings?" + query, UriKind.Relative)))!["findings"]!.AsArray().Select(f => f!)];

    private static async Task<JsonNode> GetAsync(RunningServer server, string id)
        => JsonNode.Parse(await server.Admin.GetStringAsync(new Uri($"/v1/findings/{id}", UriKind.Relative)))!;
}
