using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Metrics;
using SecureFuture.Findings.Sla;
using SecureFuture.Findings.Store;
using static SecureFuture.Findings.Tests.Store.TestStores;

namespace SecureFuture.Findings.Tests.Store;

/// <summary>The hub's state, one suite run against SQLite and PostgreSQL, on a fake clock.</summary>
[Trait("Category", "Integration")]
public sealed class FindingStoreTests
{
    private static readonly Project Web = new("web", "team-web", Criticality.High, ["secrets", "code"]);

    private static async Task<(SqlFindingStore Store, FakeTimeProvider Clock)> StartAsync(string kind, SlaPolicy? sla = null, KevCatalog? kev = null, params Project[] projects)
    {
        var clock = Clock();
        var store = await OpenAsync(kind, clock, sla, kev);
        foreach (var project in projects.Length == 0 ? [Web] : projects)
        {
            await store.UpsertProjectAsync(project);
        }

        return (store, clock);
    }

    private static async Task<FindingRecord> OnlyAsync(SqlFindingStore store, FindingQuery? query = null)
        => Assert.Single((await store.ListFindingsAsync(query ?? new FindingQuery { Project = "web" })).Items);

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_finding_missing_from_a_later_complete_analysis_is_fixed_with_its_time_to_mitigate_and_reopens_when_it_comes_back(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        var first = await store.IngestAsync(Upload("web", t0), [Result("leak-1"), Result("leak-2")]);
        Assert.Equal((2, 0, 0), (first.Opened, first.Reopened, first.Fixed));

        var t1 = t0.AddDays(3).AddHours(5);
        var second = await store.IngestAsync(Upload("web", t1), [Result("leak-2")]);
        Assert.Equal((0, 0, 1), (second.Opened, second.Reopened, second.Fixed));
        var fixedOne = Assert.Single((await store.ListFindingsAsync(new FindingQuery { Project = "web", State = FindingState.Fixed })).Items);
        Assert.Equal("message for leak-1", fixedOne.Message);
        Assert.Equal(t0, fixedOne.FirstSeen);
        Assert.Equal(t1, fixedOne.FixedAt);
        Assert.Equal(TimeSpan.FromDays(3) + TimeSpan.FromHours(5), fixedOne.TimeToMitigate);

        var t2 = t1.AddDays(1);
        var third = await store.IngestAsync(Upload("web", t2), [Result("leak-1"), Result("leak-2")]);
        Assert.Equal((0, 1, 0), (third.Opened, third.Reopened, third.Fixed));
        var detail = (await store.GetFindingAsync(fixedOne.Id))!;
        Assert.Equal(FindingState.Reopened, detail.Finding.State);
        Assert.Null(detail.Finding.FixedAt);
        Assert.Equal(t0, detail.Finding.FirstSeen);
        Assert.Equal(t2, detail.Finding.OpenedAt);
        Assert.Equal([Transitions.Actions.Opened, Transitions.Actions.Fixed, Transitions.Actions.Reopened], detail.History.Select(h => h.Action));
        Assert.All(detail.History, h => Assert.Equal("ci-web", h.Actor));
        Assert.True((await store.VerifyHistoryAsync()).IsIntact);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_partial_analysis_or_one_older_than_the_latest_never_fixes(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0), [Result("a"), Result("b")]);
        var partial = await store.IngestAsync(Upload("web", t0.AddDays(1), complete: false), [Result("a")]);
        Assert.Equal(0, partial.Fixed);

        // Another ref and another category are other scopes: they do not fix main's secrets either.
        Assert.Equal(0, (await store.IngestAsync(Upload("web", t0.AddDays(1), gitRef: "feature"), [])).Fixed);
        Assert.Equal(0, (await store.IngestAsync(Upload("web", t0.AddDays(1), category: "code"), [])).Fixed);

        await store.IngestAsync(Upload("web", t0.AddDays(3)), [Result("a"), Result("b")]);
        var late = await store.IngestAsync(Upload("web", t0.AddDays(2)), [Result("a")]);
        Assert.Equal(0, late.Fixed);
        Assert.Equal(2, (await store.ListFindingsAsync(new FindingQuery { Project = "web", State = FindingState.Open })).Items.Count);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_moved_finding_keeps_its_identity_and_deadline(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0), [Result("fp", line: 10)]);
        const string flow = """{"threadFlows":[{"locations":[{"location":{"physicalLocation":{"artifactLocation":{"uri":"src/b.cs"},"region":{"startLine":40}}}}]}]}""";
        var moved = await store.IngestAsync(Upload("web", t0.AddDays(2)), [Result("fp", line: 42, path: "src/b.cs") with { FlowJson = flow }]);
        Assert.Equal((0, 0, 1), (moved.Opened, moved.Fixed, moved.Updated));
        var finding = await OnlyAsync(store);
        Assert.Equal((FindingState.Open, "src/b.cs", 42), (finding.State, finding.Path, finding.StartLine));
        Assert.Equal(t0.AddDays(30), finding.DueAt);
        Assert.Equal(flow, (await store.GetFindingAsync(finding.Id))!.FlowJson);
        Assert.Equal([Transitions.Actions.Opened], (await store.GetFindingAsync(finding.Id))!.History.Select(h => h.Action)); // an update is not a state change
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_dismissal_records_reason_and_who_and_stays_through_later_pushes(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        await store.IngestAsync(Upload("web", clock.GetUtcNow()), [Result("test-key")]);
        var id = (await OnlyAsync(store)).Id;

        var change = await store.DismissAsync(id, DismissReason.UsedInTests, "alice", "fixture key");
        Assert.Equal(StateChangeOutcome.Changed, change.Outcome);
        Assert.Equal((FindingState.Dismissed, DismissReason.UsedInTests, "alice"), (change.Finding!.State, change.Finding.DismissReason, change.Finding.DecidedBy));

        await store.IngestAsync(Upload("web", clock.GetUtcNow().AddDays(1)), [Result("test-key")]);
        await store.IngestAsync(Upload("web", clock.GetUtcNow().AddDays(2)), []);
        var detail = (await store.GetFindingAsync(id))!;
        Assert.Equal(FindingState.Dismissed, detail.Finding.State); // a false positive going away is not a fix
        var dismissal = detail.History.Single(h => h.Action == Transitions.Actions.Dismissed);
        Assert.Equal("alice", dismissal.Actor);
        Assert.Contains("used-in-tests", dismissal.Details, StringComparison.Ordinal);

        Assert.Equal(StateChangeOutcome.NotFound, (await store.DismissAsync("0000", DismissReason.FalsePositive, "alice", null)).Outcome);
        Assert.Equal(StateChangeOutcome.Changed, (await store.ReopenAsync(id, "bob", "not a fixture after all")).Outcome);
        Assert.Equal(StateChangeOutcome.NotAllowed, (await store.ReopenAsync(id, "bob", null)).Outcome);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task An_accepted_risk_is_open_again_once_its_acceptance_expires(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        await store.IngestAsync(Upload("web", clock.GetUtcNow()), [Result("legacy-crypto", Severity.Medium)]);
        var id = (await OnlyAsync(store)).Id;
        var until = clock.GetUtcNow().AddDays(30);
        var accepted = await store.AcceptAsync(id, "ciso", until, "alice", "replacement scheduled for Q2");
        Assert.Equal((FindingState.Accepted, "ciso", until), (accepted.Finding!.State, accepted.Finding.RiskOwner, accepted.Finding.AcceptedUntil));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AcceptAsync(id, "ciso", clock.GetUtcNow(), "alice", null));

        clock.Advance(TimeSpan.FromDays(29));
        Assert.Empty((await store.ListFindingsAsync(new FindingQuery { Project = "web", State = FindingState.Open })).Items);

        clock.Advance(TimeSpan.FromDays(1));
        var open = await OnlyAsync(store, new FindingQuery { Project = "web", State = FindingState.Open });
        Assert.Equal(FindingState.Open, open.State);
        Assert.Empty((await store.ListFindingsAsync(new FindingQuery { Project = "web", State = FindingState.Accepted })).Items);

        Assert.Equal(1, await store.ExpireAcceptancesAsync());
        Assert.Equal(0, await store.ExpireAcceptancesAsync());
        var history = (await store.GetFindingAsync(id))!.History;
        Assert.Equal([Transitions.Actions.Opened, Transitions.Actions.Accepted, Transitions.Actions.AcceptanceExpired], history.Select(h => h.Action));
        Assert.Equal(until, history[^1].At);
        Assert.True((await store.VerifyHistoryAsync()).IsIntact);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_finding_past_its_deadline_is_overdue_per_severity_and_criticality(string kind)
    {
        var sla = SlaPolicy.Default with
        {
            Overrides = new Dictionary<(Criticality, Severity), TimeSpan> { [(Criticality.Critical, Severity.High)] = TimeSpan.FromDays(14) },
        };
        var (store, clock) = await StartAsync(kind, sla, null, Web, new Project("payments", "team-pay", Criticality.Critical, ["secrets"]));
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0), [Result("c", Severity.Critical), Result("h", Severity.High), Result("n", Severity.Note)]);
        await store.IngestAsync(Upload("payments", t0), [Result("h", Severity.High)]);

        var web = (await store.ListFindingsAsync(new FindingQuery { Project = "web" })).Items.ToDictionary(f => f.Severity);
        Assert.Equal(t0.AddDays(7), web[Severity.Critical].DueAt);
        Assert.Equal(t0.AddDays(30), web[Severity.High].DueAt);
        Assert.Null(web[Severity.Note].DueAt);
        Assert.Equal(t0.AddDays(14), (await OnlyAsync(store, new FindingQuery { Project = "payments" })).DueAt);

        clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var overdue = await OnlyAsync(store, new FindingQuery { Overdue = true });
        Assert.Equal((Severity.Critical, "web", true), (overdue.Severity, overdue.Project, overdue.Overdue));
        Assert.Equal(3, (await store.ListFindingsAsync(new FindingQuery { Overdue = false })).Items.Count);

        // Raising the project's criticality shortens the deadline of its unresolved findings.
        await store.UpsertProjectAsync(Web with { Criticality = Criticality.Critical });
        Assert.Equal(t0.AddDays(14), (await OnlyAsync(store, new FindingQuery { Project = "web", Severity = Severity.High })).DueAt);

        clock.Advance(TimeSpan.FromDays(10));
        Assert.Equal(3, (await store.ListFindingsAsync(new FindingQuery { Overdue = true })).Items.Count);
        var metrics = await store.ComputeMetricsAsync(new MetricsRequest());
        Assert.Equal(new SlaCompliance(0, 0, 3), metrics.Total.Sla);
        Assert.Equal(0, metrics.Total.Sla.Ratio);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_finding_with_a_known_exploited_cve_is_kev_with_a_shorter_deadline(string kind)
    {
        var kev = KevCatalog.Read(new MemoryStream("""
            {"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.01.02","dateReleased":"2026-01-02T17:00:00.000Z","count":2,
             "vulnerabilities":[{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","dateAdded":"2021-12-10","dueDate":"2021-12-24"},
                                {"cveID":"CVE-2025-1111","vendorProject":"X","product":"Y","dateAdded":"2026-01-05","dueDate":"2026-01-08"}]}
            """u8.ToArray()), "kev.json");
        var (store, clock) = await StartAsync(kind, null, kev);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0, category: "dependencies"),
        [
            Result("log4j", Severity.High, cves: ["CVE-2021-44228"]),
            Result("fresh", Severity.Medium, cves: ["CVE-2025-1111"]),
            Result("plain", Severity.High, cves: ["CVE-2020-0001"]),
        ]);
        var byId = (await store.ListFindingsAsync(new FindingQuery { Project = "web" })).Items.ToDictionary(f => f.Cves.Single());
        // CISA's date for log4j passed before the hub saw it: the KEV window applies (7 days, not 30).
        Assert.Equal((true, t0.AddDays(7)), (byId["CVE-2021-44228"].Kev, byId["CVE-2021-44228"].DueAt));
        // CISA's date is sooner than the KEV window: it applies (end of 2026-01-08 UTC).
        Assert.Equal((true, new DateTimeOffset(2026, 1, 9, 0, 0, 0, TimeSpan.Zero)), (byId["CVE-2025-1111"].Kev, byId["CVE-2025-1111"].DueAt));
        Assert.Equal((false, t0.AddDays(30)), (byId["CVE-2020-0001"].Kev, byId["CVE-2020-0001"].DueAt));

        // A catalogue loaded later flags findings already stored.
        var updated = KevCatalog.Read(new MemoryStream("""{"catalogVersion":"2","vulnerabilities":[{"cveID":"CVE-2020-0001"}]}"""u8.ToArray()), "kev.json");
        await store.ApplySlaAsync(SlaPolicy.Default, updated);
        var plain = (await store.ListFindingsAsync(new FindingQuery { Project = "web", Severity = Severity.High })).Items.Single(f => f.Cves[0] == "CVE-2020-0001");
        Assert.Equal((true, t0.AddDays(7)), (plain.Kev, plain.DueAt));
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Coverage_falls_when_a_project_stops_reporting(string kind)
    {
        var api = new Project("api", "team-api", Criticality.Medium, ["secrets"]);
        var docs = new Project("docs", null, Criticality.Low, []);
        var (store, clock) = await StartAsync(kind, null, null, Web, api, docs);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0, category: "secrets"), []);
        await store.IngestAsync(Upload("web", t0, category: "code"), []);
        await store.IngestAsync(Upload("api", t0, category: "secrets"), []);
        await store.IngestAsync(Upload("docs", t0, category: "secrets", complete: false), []); // a partial run covers nothing

        var coverage = (await store.ComputeMetricsAsync(new MetricsRequest())).Coverage;
        Assert.Equal((3, 2), (coverage.Projects, coverage.Covered));
        Assert.Equal(["*"], coverage.ByProject.Single(p => p.Project == "docs").Missing);

        // Five days on, web keeps scanning and api stops; two more days and api falls out of the 7-day window.
        clock.Advance(TimeSpan.FromDays(5));
        await store.IngestAsync(Upload("web", clock.GetUtcNow(), category: "secrets"), []);
        await store.IngestAsync(Upload("web", clock.GetUtcNow(), category: "code"), []);
        clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        coverage = (await store.ComputeMetricsAsync(new MetricsRequest())).Coverage;
        Assert.Equal((3, 1), (coverage.Projects, coverage.Covered));
        Assert.Equal(1.0 / 3, coverage.Ratio, 6);
        Assert.Equal(["secrets"], coverage.ByProject.Single(p => p.Project == "api").Missing);

        // web stops sending code analyses: one expected category missing is enough to be uncovered.
        clock.Advance(TimeSpan.FromDays(5));
        await store.IngestAsync(Upload("web", clock.GetUtcNow(), category: "secrets"), []);
        coverage = (await store.ComputeMetricsAsync(new MetricsRequest())).Coverage;
        Assert.Equal(0, coverage.Covered);
        Assert.Equal(["code"], coverage.ByProject.Single(p => p.Project == "web").Missing);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_duplicate_push_is_the_same_analysis_and_writes_no_history(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        var results = new[] { Result("a"), Result("b") };
        var first = await store.IngestAsync(Upload("web", t0), results);
        var again = await store.IngestAsync(Upload("web", t0), results);
        Assert.True(again.Duplicate);
        Assert.Equal(first.AnalysisId, again.AnalysisId);
        Assert.Equal(2, (await store.ReadHistoryAsync("web")).Count);

        // A later scan with the same content proves the scope was analysed then (coverage), and changes nothing else.
        clock.Advance(TimeSpan.FromDays(6));
        var repeated = await store.IngestAsync(Upload("web", clock.GetUtcNow()), results);
        Assert.Equal(first.AnalysisId, repeated.AnalysisId);
        clock.Advance(TimeSpan.FromDays(3));
        Assert.DoesNotContain("secrets", (await store.ComputeMetricsAsync(new MetricsRequest())).Coverage.ByProject.Single().Missing);
        Assert.Equal(2, (await store.ReadHistoryAsync("web")).Count);

        // Content that went back to an earlier analysis's (a revert) is not a duplicate: it is what reopens.
        await store.IngestAsync(Upload("web", clock.GetUtcNow()), [Result("a")]);
        var revert = await store.IngestAsync(Upload("web", clock.GetUtcNow().AddHours(1)), results);
        Assert.Equal((false, 1), (revert.Duplicate, revert.Reopened));
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Concurrent_pushes_for_one_project_are_serialised_and_nothing_is_lost(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        var pushes = Enumerable.Range(0, 8).Select(i => Task.Run(() => store.IngestAsync(
            Upload("web", t0.AddMinutes(i), gitRef: "branch-" + i),
            Enumerable.Range(0, 300).Select(n => Result($"push{i}-finding{n}")))));
        var outcomes = await Task.WhenAll(pushes);
        Assert.All(outcomes, o => Assert.Equal(300, o.Opened));

        var all = new List<FindingRecord>();
        string? cursor = null;
        do
        {
            var page = await store.ListFindingsAsync(new FindingQuery { Project = "web", Limit = 500, Cursor = cursor });
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(2400, all.Select(f => f.Id).Distinct().Count());
        var verification = await store.VerifyHistoryAsync();
        Assert.True(verification.IsIntact, string.Join("\n", verification.Problems));
        Assert.Equal(2400, verification.Records);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_database_failure_mid_ingest_leaves_nothing_and_asks_for_a_retry(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0), Enumerable.Range(0, 100).Select(n => Result("old" + n)));
        var historyBefore = await store.ReadHistoryAsync("web");

        // After the first batch of the next push is written, the database fails for real: PostgreSQL loses the session
        // (the server ends it), SQLite runs out of space.
        var failed = false;
        store.AfterIngestBatch = async (connection, cancellationToken) =>
        {
            if (failed)
            {
                return;
            }

            failed = true;
            await using var command = connection.CreateCommand();
            command.CommandText = kind == Postgres ? "SELECT pg_terminate_backend(pg_backend_pid())" : "PRAGMA max_page_count = 1";
            await command.ExecuteNonQueryAsync(cancellationToken);
        };
        var next = Upload("web", t0.AddDays(1));
        var results = Enumerable.Range(0, 6000).Select(n => Result("new" + n)).ToList(); // more than one batch
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.IngestAsync(next, results));
        Assert.IsAssignableFrom<DbException>(error.InnerException);
        store.AfterIngestBatch = null;
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();

        Assert.Equal(100, (await store.ListFindingsAsync(new FindingQuery { Project = "web", Limit = 1000 })).Items.Count);
        Assert.All((await store.ListFindingsAsync(new FindingQuery { Project = "web", Limit = 1000 })).Items, f => Assert.Equal(FindingState.Open, f.State));
        Assert.Equal(historyBefore, await store.ReadHistoryAsync("web"));

        var retried = await store.IngestAsync(next, results);
        Assert.Equal((6000, 100), (retried.Opened, retried.Fixed));
        Assert.True((await store.VerifyHistoryAsync()).IsIntact);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_database_failure_after_the_first_analysis_of_a_log_leaves_nothing_of_the_log_and_the_retry_stores_it_whole(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0), [Result("leak-1"), Result("leak-2"), Result("leak-3")]);
        var historyBefore = await store.ReadHistoryAsync("web");

        // One log of two categories: the secrets analysis fixes two leaks, the code analysis opens 6,000 findings (two
        // batches). The database fails for real once the secrets analysis and the code analysis's first batch are written:
        // PostgreSQL loses the session (the server ends it), SQLite runs out of space.
        PushedAnalysis[] Log() =>
        [
            new(Upload("web", t0.AddDays(1)), [Result("leak-1")]),
            new(Upload("web", t0.AddDays(1), category: "code"), Enumerable.Range(0, 6000).Select(n => Result("cs" + n, category: "code"))),
        ];
        var batches = 0;
        store.AfterIngestBatch = async (connection, cancellationToken) =>
        {
            if (++batches == 2)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = kind == Postgres ? "SELECT pg_terminate_backend(pg_backend_pid())" : "PRAGMA max_page_count = 1";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        };
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.IngestAsync(Log()));
        Assert.IsAssignableFrom<DbException>(error.InnerException);
        Assert.Equal(2, batches);
        store.AfterIngestBatch = null;
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();

        // Nothing of the log: the secrets analysis written before the failure is gone with the rest.
        var findings = (await store.ListFindingsAsync(new FindingQuery { Project = "web" })).Items;
        Assert.Equal(3, findings.Count);
        Assert.All(findings, f => Assert.Equal((FindingState.Open, "secrets"), (f.State, f.Category)));
        Assert.Equal(historyBefore, await store.ReadHistoryAsync("web"));

        var retried = await store.IngestAsync(Log());
        Assert.Equal([(false, 0, 2), (false, 6000, 0)], retried.Select(o => (o.Duplicate, o.Opened, o.Fixed)));
        Assert.Equal(2, (await store.ListFindingsAsync(new FindingQuery { Project = "web", State = FindingState.Fixed })).Items.Count);
        Assert.True((await store.VerifyHistoryAsync()).IsIntact);

        // The same log again (a client that retried after a lost answer): both analyses are duplicates, nothing changes.
        Assert.All(await store.IngestAsync(Log()), o => Assert.True(o.Duplicate));
        Assert.Equal(historyBefore.Count + 6002, (await store.ReadHistoryAsync("web")).Count);
    }

    [Fact]
    public async Task A_push_to_sqlite_writes_with_a_page_cache_that_holds_the_id_indexes_of_a_large_push()
    {
        // SQLite's default cache (2 MiB) stops holding the id indexes past some 50,000 findings, and each insert then
        // reads and writes pages again (docs/benchmarks.md, "Findings hub: push end to end, 100,000 results").
        var (store, clock) = await StartAsync(Sqlite);
        await using var _ = store;
        long? cacheSize = null;
        store.AfterIngestBatch = async (connection, cancellationToken) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA cache_size";
            cacheSize = (long?)await command.ExecuteScalarAsync(cancellationToken);
        };
        await store.IngestAsync(Upload("web", clock.GetUtcNow()), [Result("leak-1")]);
        Assert.Equal(-16384, cacheSize); // KiB: 16 MiB
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_duplicate_analysis_in_a_log_changes_nothing_while_the_others_of_the_log_are_stored(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0), [Result("leak-1")]);
        var outcomes = await store.IngestAsync(
        [
            new(Upload("web", t0.AddDays(1)), [Result("leak-1")]),
            new(Upload("web", t0.AddDays(1), category: "code"), [Result("cs-1", category: "code")]),
        ]);
        Assert.Equal([(true, 0), (false, 1)], outcomes.Select(o => (o.Duplicate, o.Opened)));
        var history = await store.ReadHistoryAsync("web");
        Assert.Equal(["opened", "opened"], history.Select(h => h.Action));
        Assert.Equal([1L, 2L], history.Select(h => h.Sequence));
        Assert.True((await store.VerifyHistoryAsync()).IsIntact);

        // One log is of one project, and holds one analysis per ref, tool and category.
        await Assert.ThrowsAsync<ArgumentException>(() => store.IngestAsync([new(Upload("web", t0), [Result("a")]), new(Upload("api", t0), [Result("a")])]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.IngestAsync([new(Upload("web", t0), [Result("a")]), new(Upload("web", t0), [Result("b")])]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.IngestAsync(Upload("web", t0, tool: "gitleaks"), [Result("a")]));
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Two_tools_reporting_one_category_never_fix_each_others_findings_while_each_fixes_its_own(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        const string Scan = "SecureFuture", Baseline = "sfi baseline";
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0, category: "iac", tool: Scan), [Result("shared", category: "iac", tool: Scan), Result("scan-only", category: "iac", tool: Scan)]);
        await store.IngestAsync(Upload("web", t0.AddHours(1), category: "iac", tool: Baseline),
            [Result("shared", category: "iac", tool: Baseline), Result("baseline-only", category: "iac", tool: Baseline)]);

        // The same identity from two tools is two findings; neither complete analysis fixed the other tool's.
        var all = (await store.ListFindingsAsync(new FindingQuery { Project = "web", Category = "iac" })).Items;
        Assert.Equal(4, all.Count);
        Assert.All(all, f => Assert.Equal(FindingState.Open, f.State));

        // A second scan without its two findings fixes those two, and only those.
        var rescan = await store.IngestAsync(Upload("web", t0.AddDays(1), category: "iac", tool: Scan), []);
        Assert.Equal((0, 2), (rescan.Opened, rescan.Fixed));
        var open = (await store.ListFindingsAsync(new FindingQuery { Project = "web", State = FindingState.Open })).Items;
        Assert.Equal([Baseline, Baseline], open.Select(f => f.Tool));

        // The baseline's own next assessment fixes its own.
        var reassessed = await store.IngestAsync(Upload("web", t0.AddDays(2), category: "iac", tool: Baseline), [Result("shared", category: "iac", tool: Baseline)]);
        Assert.Equal((0, 1), (reassessed.Opened, reassessed.Fixed));
        Assert.Equal("shared", (await OnlyAsync(store, new FindingQuery { Project = "web", State = FindingState.Open })).Message["message for ".Length..]);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_log_that_turns_out_malformed_mid_stream_leaves_nothing_and_its_error_stands(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        static IEnumerable<IngestedResult> Truncated()
        {
            for (var n = 0; n < 7000; n++)
            {
                yield return Result("r" + n);
            }

            throw new InputException("upload.sarif", 1, 9000, "unexpected end of data");
        }

        var error = await Assert.ThrowsAsync<InputException>(() => store.IngestAsync(Upload("web", clock.GetUtcNow()), Truncated()));
        Assert.Equal(1, error.Line);
        Assert.Empty((await store.ListFindingsAsync(new FindingQuery())).Items);
        Assert.Empty(await store.ReadHistoryAsync(null));
        Assert.Equal(0, (await store.ComputeMetricsAsync(new MetricsRequest())).Coverage.Covered);

        // The insert the error interrupted (PostgreSQL: a COPY streaming the batch) was cancelled with its transaction:
        // the pooled connection it leaves behind stores the next push whole.
        var retried = await store.IngestAsync(Upload("web", clock.GetUtcNow()), Truncated().Take(6000));
        Assert.Equal(6000, retried.Opened);
        Assert.Equal(6000, (await store.ReadHistoryAsync(null)).Count);
        Assert.Empty((await store.VerifyHistoryAsync()).Problems);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task The_history_refuses_changes_and_its_chain_detects_a_tampered_record(string kind)
    {
        var (store, clock) = await StartAsync(kind, null, null, Web, new Project("api", null, Criticality.Low, []));
        await using var _ = store;
        await store.IngestAsync(Upload("web", clock.GetUtcNow()), [Result("a"), Result("b"), Result("c")]);
        await store.IngestAsync(Upload("api", clock.GetUtcNow()), [Result("a")]);
        var id = (await store.ListFindingsAsync(new FindingQuery { Project = "web" })).Items[0].Id;
        await store.DismissAsync(id, DismissReason.FalsePositive, "mallory", null);
        Assert.True((await store.VerifyHistoryAsync()).IsIntact);

        await using var connection = kind == Postgres
            ? (DbConnection)new NpgsqlConnection(ConnectionStringOf(store))
            : new SqliteConnection(ConnectionStringOf(store));
        await connection.OpenAsync();
        async Task Execute(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAnyAsync<DbException>(() => Execute("UPDATE findings_history SET actor = 'alice' WHERE action = 'dismissed'"));
        await Assert.ThrowsAnyAsync<DbException>(() => Execute("DELETE FROM findings_history WHERE seq = 2"));

        // Someone able to drop the trigger rewrites who dismissed it: the chain names the record.
        await Execute(kind == Postgres ? "ALTER TABLE findings_history DISABLE TRIGGER findings_history_append_only" : "DROP TRIGGER findings_history_no_update");
        await Execute("UPDATE findings_history SET actor = 'alice' WHERE action = 'dismissed'");
        var verification = await store.VerifyHistoryAsync();
        Assert.False(verification.IsIntact);
        Assert.Equal(2, verification.Projects);
        Assert.Equal("project web: record 4 edited: its hash does not match its contents (dismissed " + id + " by alice)", Assert.Single(verification.Problems));
    }

    private static string ConnectionStringOf(SqlFindingStore store) => store.ConnectionString;

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Listing_filters_and_pages_by_a_stable_cursor(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow();
        await store.IngestAsync(Upload("web", t0, category: "code"),
            Enumerable.Range(0, 25).Select(n => Result("c" + n, n % 2 == 0 ? Severity.High : Severity.Low, rule: n < 5 ? "SFI-CS-001" : "SFI-CS-002", category: "code")));
        clock.Advance(TimeSpan.FromDays(10));
        await store.IngestAsync(Upload("web", clock.GetUtcNow(), category: "secrets"), Enumerable.Range(0, 5).Select(n => Result("s" + n)));

        Assert.Equal(5, (await store.ListFindingsAsync(new FindingQuery { RuleId = "SFI-CS-001" })).Items.Count);
        Assert.Equal(13, (await store.ListFindingsAsync(new FindingQuery { Category = "code", Severity = Severity.High })).Items.Count);
        Assert.Equal(25, (await store.ListFindingsAsync(new FindingQuery { MinAge = TimeSpan.FromDays(7) })).Items.Count);
        Assert.Equal(5, (await store.ListFindingsAsync(new FindingQuery { Category = "secrets", State = FindingState.Open })).Items.Count);
        Assert.Empty((await store.ListFindingsAsync(new FindingQuery { Project = "other" })).Items);

        // Pages of 7, newest first; findings added between pages do not shift or repeat what is left to read.
        var page1 = await store.ListFindingsAsync(new FindingQuery { Category = "code", Limit = 7 });
        Assert.Equal(7, page1.Items.Count);
        await store.IngestAsync(Upload("web", clock.GetUtcNow(), category: "code", gitRef: "dev"), [Result("late", category: "code")]);
        var seen = page1.Items.Select(f => f.Id).ToList();
        var cursor = page1.NextCursor;
        while (cursor is not null)
        {
            var page = await store.ListFindingsAsync(new FindingQuery { Category = "code", Limit = 7, Cursor = cursor });
            seen.AddRange(page.Items.Select(f => f.Id));
            cursor = page.NextCursor;
        }

        Assert.Equal(25, seen.Distinct().Count());
        Assert.Equal(25, seen.Count);
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListFindingsAsync(new FindingQuery { Cursor = "not-a-cursor" }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListFindingsAsync(new FindingQuery { Limit = 0 }));
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Metrics_give_time_to_mitigate_sla_compliance_backlog_and_new_versus_fixed(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        var t0 = clock.GetUtcNow(); // 2026-01-05
        await store.IngestAsync(Upload("web", t0), [Result("h1"), Result("h2"), Result("h3"), Result("c1", Severity.Critical), Result("stay", Severity.Low)]);
        await store.IngestAsync(Upload("web", t0.AddDays(2)), [Result("h2"), Result("h3"), Result("c1", Severity.Critical), Result("stay", Severity.Low)]);
        await store.IngestAsync(Upload("web", t0.AddDays(4)), [Result("h3"), Result("c1", Severity.Critical), Result("stay", Severity.Low)]);
        await store.IngestAsync(Upload("web", t0.AddDays(30)), [Result("stay", Severity.Low)]);
        clock.Advance(TimeSpan.FromDays(40));

        var report = await store.ComputeMetricsAsync(new MetricsRequest { Project = "web" });
        var high = report.BySeverity["high"];
        Assert.Equal(new TimeToMitigate(3, TimeSpan.FromDays(4), TimeSpan.FromDays(24.8), TimeSpan.FromDays(12)), high.TimeToMitigate);
        Assert.Equal(new SlaCompliance(3, 0, 0), high.Sla); // h3 fixed on its due date is on time
        var critical = report.BySeverity["critical"];
        Assert.Equal(new SlaCompliance(0, 1, 0), critical.Sla); // fixed after 30 days against a 7-day deadline
        Assert.Equal(1, report.BySeverity["low"].Backlog["31-90d"]);
        Assert.Equal((5, 4), (report.Total.New, report.Total.Fixed));
        Assert.Equal((5, 2), (report.ByMonth["2026-01"].New, report.ByMonth["2026-01"].Fixed));
        Assert.Equal((0, 2), (report.ByMonth["2026-02"].New, report.ByMonth["2026-02"].Fixed));
        Assert.Equal(4, report.ByProject["web"].Fixed);
        Assert.Equal(5, report.ByCategory["secrets"].New);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Ingest_refuses_an_unknown_project_and_opening_twice_keeps_the_data(string kind)
    {
        var (store, clock) = await StartAsync(kind);
        await using var _ = store;
        await Assert.ThrowsAsync<UnknownProjectException>(() => store.IngestAsync(Upload("nope", clock.GetUtcNow()), [Result("a")]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertProjectAsync(new Project("../etc", null, Criticality.Low, [])));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertProjectAsync(new Project("ok", null, Criticality.Low, ["code,secrets"])));
        await Assert.ThrowsAsync<ArgumentException>(() => store.IngestAsync(Upload("web", clock.GetUtcNow(), category: " "), [Result("a")]));
        await store.IngestAsync(Upload("web", clock.GetUtcNow()), [Result("a")]);
        await store.InitializeAsync();
        Assert.Equal(Web, await store.GetProjectAsync("web"), ProjectComparer.Instance);
        Assert.Single((await store.ListFindingsAsync(new FindingQuery())).Items);
    }

    private sealed class ProjectComparer : IEqualityComparer<Project?>
    {
        public static readonly ProjectComparer Instance = new();

        public bool Equals(Project? x, Project? y)
            => x is not null && y is not null && x.Id == y.Id && x.Owner == y.Owner && x.Criticality == y.Criticality && x.ExpectedCategories.SequenceEqual(y.ExpectedCategories);

        public int GetHashCode(Project? obj) => obj?.Id.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
