using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Baseline;
using SecureFuture.Baseline.Input;
using SecureFuture.Core;

// Usage:
//   BaselineBench generate DIR COUNT   writes a deterministic snapshot of COUNT resources (ARM + Graph) into DIR
//   BaselineBench assess DIR KEEP OUT  assesses DIR with all 99 controls, as `sfi baseline` does, once (cold process),
//                                      streaming every result to OUT as JSON; KEEP says which results stay in memory
//                                      as well: none (`--format json`), failures (the text, SARIF and HTML reports)
//                                      or all (the library's AssessAsync without a sink)
//   BaselineBench parse DIR            the reference: parses every *.json file of DIR with JsonDocument, nothing else
//   BaselineBench profile DIR          reads DIR once, then times each control alone (slowest first)
// assess and parse print one line of key=value pairs; bench/baseline-assess.sh runs them and reports.
if (args.Length < 2)
{
    return Usage();
}

try
{
    switch (args[0])
    {
        case "generate" when args.Length == 3:
            return SnapshotGenerator.Generate(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        case "assess" when args.Length == 4 && args[2] is "none" or "failures" or "all":
            return await Bench.AssessAsync(args[1], args[2], args[3]);
        case "parse" when args.Length == 2:
            return Bench.Parse(args[1]);
        case "profile" when args.Length == 2:
            return await Bench.ProfileAsync(args[1]);
        default:
            return Usage();
    }
}
catch (Exception ex) when (ex is IOException or InputException or FormatException or UnauthorizedAccessException)
{
    await Console.Error.WriteLineAsync($"BaselineBench: {ex.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: BaselineBench generate DIR COUNT | assess DIR none|failures|all OUT | parse DIR | profile DIR");
    return 2;
}

/// <summary>The measured modes.</summary>
internal static class Bench
{
    public static async Task<int> AssessAsync(string dir, string keep, string output)
    {
        var inputBytes = InputBytes(dir);
        var cpu0 = CpuSeconds();
        var clock = Stopwatch.StartNew();
        // What `sfi baseline assess DIR --format json --output OUT` does: one pass, every result written as it comes.
        Func<ControlResult, bool>? keeping = keep switch
        {
            "failures" => r => r.Status == ControlStatus.Fail,
            "all" => _ => true,
            _ => null,
        };
        Assessment assessment;
        if (output == "-")
        {
            // No output: the results are only counted (what the summary line and the --fail-on gate need).
            assessment = await new BaselineAssessor().AssessAsync([dir], new ResultSink { Keep = keeping ?? (_ => false) });
        }
        else
        {
            await using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            await using var writer = new AssessmentJsonWriter(file);
            assessment = await new BaselineAssessor().AssessAsync([dir], writer.Sink(keeping));
            writer.Complete(assessment);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        // The high-water mark of the assessment itself, before the full collections below.
        var peak = HighWaterMark();
        var gcPause = GC.GetTotalPauseDuration().TotalSeconds;
        // CPU time of the process (all its threads, all on the one core) while measured: on a loaded machine the
        // seconds of wall time also include waiting for that core.
        var cpu = CpuSeconds() - cpu0;
        var objects = assessment.Files.Sum(f => (long)f.ResourceCount + f.SkippedCount);
        var kept = assessment.Files.Sum(f => (long)f.ResourceCount);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        // Managed heap still reachable with what the assessment kept alive (a full, compacting collection).
        var live = GC.GetTotalMemory(forceFullCollection: true);
        var tally = assessment.Tally;
        var statuses = Enum.GetValues<ControlStatus>().Where(s => tally.Count(s) > 0).Select(s => $"{s}:{tally.Count(s)}");
        var errors = tally.Count(ControlStatus.Error);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"keep={keep} resources={objects} read={kept} files={assessment.Files.Count} seconds={seconds:F3} "
            + $"cpu_seconds={cpu:F3} rate={objects / seconds:F0} cpu_rate={objects / cpu:F0} peak_working_set_mb={peak / 1048576.0:F1} "
            + $"input_mb={inputBytes / 1048576.0:F1} output_mb={(output == "-" ? 0 : new FileInfo(output).Length / 1048576.0):F1} live_heap_mb={live / 1048576.0:F1} allocated_mb={allocated / 1048576.0:F0} "
            + $"gc_pause_seconds={gcPause:F3} gen2_collections={GC.CollectionCount(2)} results={tally.Total} kept_results={assessment.Results.Count} statuses={string.Join(',', statuses)} "
            + $"controls={tally.ControlIds.Count()} errors={errors}"));
        GC.KeepAlive(assessment);
        return errors == 0 ? 0 : 3;
    }

    public static async Task<int> ProfileAsync(string dir)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var snapshot = await SnapshotReader.ReadAsync([dir]);
        var snapshotHeap = GC.GetTotalMemory(forceFullCollection: true) - before;
        var all = new BaselineAssessor().Assess(snapshot);
        var resultsHeap = GC.GetTotalMemory(forceFullCollection: true) - before - snapshotHeap;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"heap: snapshot_mb={snapshotHeap / 1048576.0:F1} ({snapshot.Resources.Count} resources) results_mb={resultsHeap / 1048576.0:F1} ({all.Results.Count} results)"));
        GC.KeepAlive(all);
        all = null;
        var assessor = new BaselineAssessor();
        var times = new List<(string Id, double Seconds, int Results)>();
        foreach (var control in ControlCatalogue.Default.Controls)
        {
            var clock = Stopwatch.StartNew();
            var results = assessor.Assess(snapshot, new HashSet<string> { control.Id }).Results.Count;
            times.Add((control.Id, clock.Elapsed.TotalSeconds, results));
        }

        foreach (var (id, seconds, results) in times.OrderByDescending(t => t.Seconds).Take(25))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id} seconds={seconds:F3} results={results}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total seconds={times.Sum(t => t.Seconds):F3}"));
        return 0;
    }

    public static int Parse(string dir)
    {
        var inputBytes = InputBytes(dir);
        var clock = Stopwatch.StartNew();
        long elements = 0;
        foreach (var file in Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            var list = root.ValueKind == JsonValueKind.Array ? root
                : root.TryGetProperty("value", out var v) ? v
                : root.TryGetProperty("data", out var d) ? d
                : default;
            elements += list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 1;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var peak = PeakWorkingSet();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"parse elements={elements} seconds={seconds:F3} rate={elements / seconds:F0} peak_working_set_mb={peak / 1048576.0:F1} input_mb={inputBytes / 1048576.0:F1}"));
        return 0;
    }

    private static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    private static long InputBytes(string dir) =>
        Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    /// <summary>Peak resident set size of this process (VmHWM), after a full collection.</summary>
    private static long PeakWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return HighWaterMark();
    }

    /// <summary>Peak resident set size of this process so far (VmHWM).</summary>
    private static long HighWaterMark()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }
}

/// <summary>
/// Writes a deterministic snapshot: copies of the templates (the sample tenant and every control's pass and fail
/// golden files) under new names, so that every ARM and Graph control meets passing and failing configurations.
/// 90 % of the objects are ARM resources (files of 5,000 in the three documented shapes: <c>{"value":[...]}</c>,
/// <c>az resource list</c>'s bare array and Resource Graph's <c>{"data":[...]}</c>), 10 % Graph entities
/// (applications and their service principals, users, directory role assignments, in pages of 999), plus the
/// tenant-wide Graph objects once (CA policies, authorization policy, security defaults, ...).
/// </summary>
internal static class SnapshotGenerator
{
    private const int ArmPerFile = 5000;
    private const int GraphPage = 999;
    private const string GraphRoot = "https://graph.microsoft.com/v1.0/$metadata#";

    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static int Generate(string dir, int count)
    {
        if (count < 100)
        {
            throw new FormatException("COUNT must be at least 100");
        }

        JsonObject templates;
        using (var stream = typeof(SnapshotGenerator).Assembly.GetManifestResourceStream("templates.json")
            ?? throw new InvalidOperationException("templates.json is not embedded"))
        {
            templates = JsonNode.Parse(stream)!.AsObject();
        }

        var random = new Random(20261129);
        Directory.CreateDirectory(Path.Combine(dir, "arm"));
        Directory.CreateDirectory(Path.Combine(dir, "graph"));
        var written = 0;

        // Tenant-wide Graph objects, once: singletons and the small collections (CA policies, PIM, registration details...).
        var collections = templates["graph"]!.AsArray();
        var small = collections.Where(c => !IsBulk(Context(c!))).ToList();
        foreach (var singleton in templates["singletons"]!.AsArray())
        {
            var name = Context(singleton!).Split('/').Reverse().Skip(1).First();
            WriteDocument(Path.Combine(dir, "graph", name + ".json"), singleton!);
            written++;
        }

        var index = 0;
        foreach (var c in small)
        {
            var items = c!["items"]!.AsArray();
            var page = new JsonArray();
            foreach (var item in items)
            {
                page.Add(Rename(item!, 900_000_000 + written++));
            }

            WriteDocument(Path.Combine(dir, "graph", $"tenant-{index++:D2}.json"), new JsonObject { ["@odata.context"] = Context(c), ["value"] = page });
        }

        // Bulk Graph entities: 10 % of COUNT. Applications and their service principals, users, role assignments.
        var graphBudget = Math.Max(count / 10, 4);
        var apps = Items(collections, "applications");
        var users = Items(collections, "users");
        var roles = Items(collections, "roleManagement/directory/roleAssignments");
        var appCount = graphBudget * 35 / 100;
        var userCount = graphBudget * 25 / 100;
        var roleCount = graphBudget - 2 * appCount - userCount;
        var applications = new List<JsonNode>(appCount);
        var principals = new List<JsonNode>(appCount);
        var userIds = new List<string>(userCount);
        for (var i = 0; i < appCount; i++)
        {
            var app = Rename(apps[random.Next(apps.Count)], i);
            app["appId"] = Guid(0x0a, i);
            app["displayName"] = string.Create(CultureInfo.InvariantCulture, $"{app["displayName"]}-{i}");
            applications.Add(app);
            principals.Add(ServicePrincipal(app, i, random));
        }

        var userList = new List<JsonNode>(userCount);
        for (var i = 0; i < userCount; i++)
        {
            var user = Rename(users[random.Next(users.Count)], 100_000_000 + i);
            user["userPrincipalName"] = string.Create(CultureInfo.InvariantCulture, $"user{i}@contoso.example");
            userIds.Add((string)user["id"]!);
            userList.Add(user);
        }

        WritePages(dir, "applications", GraphRoot + "applications", applications);
        WritePages(dir, "servicePrincipals", GraphRoot + "servicePrincipals", principals);
        WritePages(dir, "users", GraphRoot + "users(id,displayName,userPrincipalName,userType,accountEnabled,createdDateTime,signInActivity,onPremisesSyncEnabled)", userList);
        var assignments = new List<JsonNode>(roleCount);
        for (var i = 0; i < roleCount; i++)
        {
            var a = Rename(roles[random.Next(roles.Count)], 200_000_000 + i);
            if (userIds.Count > 0 && a["principal"] is null)
            {
                a["principalId"] = userIds[random.Next(userIds.Count)];
            }

            assignments.Add(a);
        }

        WritePages(dir, "roleAssignments", GraphRoot + "roleManagement/directory/roleAssignments", assignments);
        written += applications.Count + principals.Count + userList.Count + assignments.Count;

        // ARM resources: the rest. Every template in turn, so that each type keeps its share of passing and failing copies.
        var arm = templates["arm"]!.AsArray().Select(n => n!).ToList();
        var armCount = count - written;
        var file = 0;
        for (var start = 0; start < armCount; start += ArmPerFile)
        {
            var n = Math.Min(ArmPerFile, armCount - start);
            var batch = new JsonArray();
            for (var i = 0; i < n; i++)
            {
                var k = start + i;
                batch.Add(RenameArm(arm[(k + random.Next(3)) % arm.Count], k));
            }

            JsonNode doc = (file % 3) switch
            {
                0 => new JsonObject { ["value"] = batch },
                1 => batch,
                _ => new JsonObject { ["totalRecords"] = n, ["count"] = n, ["data"] = batch, ["facets"] = new JsonArray(), ["resultTruncated"] = "false" },
            };
            WriteDocument(Path.Combine(dir, "arm", $"resources-{file++:D3}.json"), doc);
        }

        written += armCount;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated resources={written} arm={armCount} graph={written - armCount} dir={dir}"));
        return 0;
    }

    private static bool IsBulk(string context) =>
        context.StartsWith(GraphRoot + "applications", StringComparison.Ordinal)
        || context.StartsWith(GraphRoot + "users", StringComparison.Ordinal)
        || context.StartsWith(GraphRoot + "roleManagement/directory/roleAssignments", StringComparison.Ordinal);

    private static string Context(JsonNode node) => (string)(node["context"] ?? node["@odata.context"])!;

    private static List<JsonNode> Items(JsonArray collections, string entity) =>
        [.. collections.Where(c => Context(c!).StartsWith(GraphRoot + entity, StringComparison.Ordinal)).SelectMany(c => c!["items"]!.AsArray()).Select(n => n!)];

    private static string Guid(int kind, int n) => string.Create(CultureInfo.InvariantCulture, $"{n:x8}-5eed-4000-8000-{kind:x4}{n:x8}");

    private static JsonObject Rename(JsonNode template, int n)
    {
        var copy = template.DeepClone().AsObject();
        copy["id"] = Guid(0x01, n);
        return copy;
    }

    /// <summary>A service principal for an application, with the credentials of one (as an app's SP often has).</summary>
    private static JsonObject ServicePrincipal(JsonObject app, int n, Random random)
    {
        var sp = new JsonObject
        {
            ["id"] = Guid(0x5b, n),
            ["appId"] = app["appId"]?.DeepClone(),
            ["displayName"] = app["displayName"]?.DeepClone(),
            ["servicePrincipalType"] = "Application",
            ["accountEnabled"] = true,
            ["appOwnerOrganizationId"] = "00000000-0000-0000-0000-0000000000t1",
            ["signInAudience"] = app["signInAudience"]?.DeepClone(),
            ["appRoleAssignmentRequired"] = random.Next(2) == 0,
            ["tags"] = new JsonArray("WindowsAzureActiveDirectoryIntegratedApp"),
            ["passwordCredentials"] = app["passwordCredentials"]?.DeepClone() ?? new JsonArray(),
            ["keyCredentials"] = app["keyCredentials"]?.DeepClone() ?? new JsonArray(),
        };
        return sp;
    }

    /// <summary>A copy of an ARM resource under a new name, subscription and resource group (the id's last segment gets -N).</summary>
    private static JsonObject RenameArm(JsonNode template, int n)
    {
        var copy = template.DeepClone().AsObject();
        var id = (string?)copy["id"] ?? "";
        var segments = id.Split('/');
        if (segments.Length > 4 && segments[1].Equals("subscriptions", StringComparison.OrdinalIgnoreCase))
        {
            segments[2] = string.Create(CultureInfo.InvariantCulture, $"00000000-5eed-4000-8000-{n % 20:x12}");
            if (segments[3].Equals("resourceGroups", StringComparison.OrdinalIgnoreCase))
            {
                segments[4] = string.Create(CultureInfo.InvariantCulture, $"rg-bench-{n % 400:D3}");
            }
        }

        segments[^1] = string.Create(CultureInfo.InvariantCulture, $"{segments[^1]}-{n}");
        copy["id"] = string.Join('/', segments);
        if (copy["name"] is JsonValue nameValue && nameValue.TryGetValue<string>(out var name))
        {
            copy["name"] = string.Create(CultureInfo.InvariantCulture, $"{name}-{n}");
        }

        return copy;
    }

    private static void WritePages(string dir, string name, string context, List<JsonNode> items)
    {
        for (int start = 0, page = 0; start < items.Count; start += GraphPage, page++)
        {
            var value = new JsonArray();
            foreach (var item in items.Skip(start).Take(GraphPage))
            {
                value.Add(item.Parent is null ? item : item.DeepClone());
            }

            WriteDocument(Path.Combine(dir, "graph", string.Create(CultureInfo.InvariantCulture, $"{name}-{page:D3}.json")),
                new JsonObject { ["@odata.context"] = context, ["value"] = value });
        }
    }

    private static void WriteDocument(string path, JsonNode doc)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, Indented);
        doc.WriteTo(writer);
        writer.Flush();
        stream.WriteByte((byte)'\n');
    }
}
