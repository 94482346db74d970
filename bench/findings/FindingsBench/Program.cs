// The findings hub store benchmark (bench/findings-store.sh runs it; results in docs/benchmarks.md).
//   FindingsBench ingest sqlite|postgres DB RESULTS CHANGED_FRACTION
//     one analysis of RESULTS results, then the same scope re-ingested with CHANGED_FRACTION of them replaced by new
//     ones (the replaced ones are fixed); prints results/s of each and the process's peak resident memory.
//   FindingsBench list postgres|sqlite DB FINDINGS QUERIES
//     stores FINDINGS findings over 20 projects (if not there yet), then times QUERIES rounds of the listing queries.
using System.Diagnostics;
using System.Globalization;
using SecureFuture.Core;
using SecureFuture.Findings;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;

var inv = CultureInfo.InvariantCulture;
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: FindingsBench ingest|list sqlite|postgres DB COUNT (CHANGED_FRACTION|QUERIES)");
    return 2;
}

var (mode, kind, db, count) = (args[0], args[1], args[2], int.Parse(args[3], inv));
await using var store = kind == "postgres" ? SqlFindingStore.OpenPostgres(db, TimeProvider.System) : SqlFindingStore.OpenSqlite(db, TimeProvider.System);
await store.InitializeAsync();
var at = DateTimeOffset.UtcNow.AddDays(-60);

if (mode == "ingest")
{
    var changed = double.Parse(args[4], inv);
    await store.UpsertProjectAsync(new Project("bench", "team", Criticality.High, ["code"]));
    var process = Process.GetCurrentProcess();
    var sw = Stopwatch.StartNew();
    var cpu0 = process.TotalProcessorTime;
    var first = await store.IngestAsync(new AnalysisUpload("bench", "main", "code", "bench", at, true), Results("bench", count, 0, 0));
    var (firstSeconds, cpu1) = (sw.Elapsed.TotalSeconds, process.TotalProcessorTime);
    var replaced = (int)(count * changed);
    sw.Restart();
    var second = await store.IngestAsync(new AnalysisUpload("bench", "main", "code", "bench", at.AddDays(1), true), Results("bench", count, replaced, 1));
    var (secondSeconds, cpu2) = (sw.Elapsed.TotalSeconds, process.TotalProcessorTime);
    if (first.Opened != count || second.Opened != replaced || second.Fixed != replaced)
    {
        Console.Error.WriteLine($"unexpected outcome: {first} / {second}");
        return 1;
    }

    process.Refresh();
    // One line of key=value pairs for bench/findings-store.sh; the client's CPU seconds alongside the wall-clock ones,
    // because on a shared machine the wall clock measures the neighbours too.
    Console.WriteLine(string.Create(inv,
        $"ingest results={count} changed={replaced} first_s={firstSeconds:F3} first_cpu_s={(cpu1 - cpu0).TotalSeconds:F3} second_s={secondSeconds:F3} second_cpu_s={(cpu2 - cpu1).TotalSeconds:F3} peak_mb={process.PeakWorkingSet64 / 1048576.0:F0}"));
    return 0;
}

var rounds = int.Parse(args[4], inv);
const int Projects = 20;
var existing = (await store.ListProjectsAsync()).Count;
if (existing < Projects)
{
    var sw = Stopwatch.StartNew();
    for (var p = 0; p < Projects; p++)
    {
        var id = "project-" + p.ToString("D2", inv);
        await store.UpsertProjectAsync(new Project(id, "team", (Criticality)(p % 4), ["code"]));
        // Two analyses per project: the second fixes a tenth of the first's findings and adds as many, so states mix.
        var per = count / Projects;
        await store.IngestAsync(new AnalysisUpload(id, "main", "code", "bench", at, true), Results(id, per * 9 / 10, 0, 0));
        await store.IngestAsync(new AnalysisUpload(id, "main", "code", "bench", at.AddDays(20), true), Results(id, per * 9 / 10, per / 10, 1));
    }

    Console.WriteLine(string.Create(inv, $"seeded findings={count} seconds={sw.Elapsed.TotalSeconds:F0}"));
}

var page1 = await store.ListFindingsAsync(new FindingQuery { Project = "project-07", Limit = 100 });
var queries = new (string Name, FindingQuery Query)[]
{
    ("all, newest 100", new FindingQuery { Limit = 100 }),
    ("project", new FindingQuery { Project = "project-07", Limit = 100 }),
    ("project, page 2 by cursor", new FindingQuery { Project = "project-07", Limit = 100, Cursor = page1.NextCursor }),
    ("project + state open", new FindingQuery { Project = "project-03", State = FindingState.Open, Limit = 100 }),
    ("project + severity critical", new FindingQuery { Project = "project-11", Severity = Severity.Critical, Limit = 100 }),
    ("state fixed", new FindingQuery { State = FindingState.Fixed, Limit = 100 }),
    ("rule", new FindingQuery { RuleId = "BENCH-017", Limit = 100 }),
    ("overdue", new FindingQuery { Overdue = true, Limit = 100 }),
    ("category + age > 30 days", new FindingQuery { Category = "code", MinAge = TimeSpan.FromDays(30), Limit = 100 }),
};
foreach (var (_, query) in queries)
{
    await store.ListFindingsAsync(query); // warm
}

var all = new List<double>();
foreach (var (name, query) in queries)
{
    var times = new List<double>();
    for (var i = 0; i < rounds; i++)
    {
        var sw = Stopwatch.StartNew();
        var page = await store.ListFindingsAsync(query);
        times.Add(sw.Elapsed.TotalMilliseconds);
        if (page.Items.Count == 0)
        {
            Console.Error.WriteLine($"query '{name}' returned nothing");
            return 1;
        }
    }

    times.Sort();
    all.AddRange(times);
    Console.WriteLine(string.Create(inv, $"query name={name.Replace(' ', '_')} median_ms={times[times.Count / 2]:F2} p95_ms={times[(int)(times.Count * 0.95)]:F2}"));
}

all.Sort();
Console.WriteLine(string.Create(inv, $"query name=all median_ms={all[all.Count / 2]:F2} p95_ms={all[(int)(all.Count * 0.95)]:F2}"));
return 0;

// Results of one analysis: `count` findings, the first `replaced` of them swapped for new ones of generation `generation`.
// Realistic sizes: a rule among 50, a 100-200 character message, a path, and a code flow on one in ten.
static IEnumerable<IngestedResult> Results(string project, int count, int replaced, int generation)
{
    var severities = new[] { Severity.Critical, Severity.High, Severity.High, Severity.Medium, Severity.Medium, Severity.Medium, Severity.Low, Severity.Note };
    for (var i = 0; i < count; i++)
    {
        var identity = i < replaced ? $"{project}/g{generation}/{i:D7}" : $"{project}/g0/{i:D7}";
        var rule = "BENCH-" + (i % 50).ToString("D3", CultureInfo.InvariantCulture);
        var flow = i % 10 == 0 ? "{\"threadFlows\":[{\"locations\":[" + string.Join(',', Enumerable.Range(1, 4).Select(n => $"{{\"location\":{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":\"src/m{i % 997}/f{n}.cs\"}},\"region\":{{\"startLine\":{n * 10}}}}}}}}}")) + "]}]}" : null;
        yield return new IngestedResult("bench", "code", rule, severities[i % severities.Length],
            $"Untrusted data from a request parameter reaches a SQL command without parameterisation in method Handler{i % 1000}.Process; use a parameterised query instead (finding {i}).",
            $"src/module{i % 997}/File{i % 31}.cs", 10 + i % 500, 12 + i % 500, identity, "primaryLocationLineHash", i % 200 == 0 ? ["CVE-2021-44228"] : [], flow);
    }
}
