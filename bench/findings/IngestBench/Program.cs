using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using SecureFuture.Findings.Ingest;

// bench/findings-ingest.sh drives this: `generate` writes a SARIF log shaped like CodeQL's (rules with
// security-severity, results with partialFingerprints, snippets, and a code flow on one result in ten), and `read`
// times SarifLogReader over it and prints one line of key=value figures.
return args switch
{
    ["generate", var path, var count, var seed, var changedPercent, var automation and ("yes" or "no")] => Generate(path,
        int.Parse(count, CultureInfo.InvariantCulture), int.Parse(seed, CultureInfo.InvariantCulture),
        int.Parse(changedPercent, CultureInfo.InvariantCulture), automation == "yes"),
    ["read", var path] => ReadLog(path),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: IngestBench generate FILE(.sarif|.sarif.gz) RESULTS SEED CHANGED_PERCENT AUTOMATION(yes|no) | read FILE");
    return 2;
}

// Without automationDetails (as sfi and DevSkim write), a run's category is only known at its end, so the reader
// spools its results to a temporary file and maps them then; with it before the results, they stream straight through.
static int Generate(string path, int count, int seed, int changedPercent, bool automation)
{
    const int Rules = 60;
    const int Files = 2500;
    var random = new Random(seed);
    using var file = File.Create(path);
    using Stream output = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.Fastest) : file;
    using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
    json.WriteStartObject();
    json.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    json.WriteString("version", "2.1.0");
    json.WriteStartArray("runs");
    json.WriteStartObject();
    json.WriteStartObject("tool");
    json.WriteStartObject("driver");
    json.WriteString("name", "BenchAnalyzer");
    json.WriteString("semanticVersion", "1.0.0");
    json.WriteStartArray("rules");
    for (var r = 0; r < Rules; r++)
    {
        json.WriteStartObject();
        json.WriteString("id", $"bench/rule-{r:D3}");
        json.WriteString("name", $"BenchRule{r}");
        json.WriteStartObject("shortDescription");
        json.WriteString("text", $"Benchmark rule {r}: untrusted data reaches a sensitive sink");
        json.WriteEndObject();
        json.WriteStartObject("defaultConfiguration");
        json.WriteString("level", (r % 3) switch { 0 => "error", 1 => "warning", _ => "note" });
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("security-severity", (1.5 + (r % 17) * 0.5).ToString("0.0", CultureInfo.InvariantCulture));
        json.WriteStartArray("tags");
        json.WriteStringValue("security");
        json.WriteStringValue($"external/cwe/cwe-{(r * 37) % 900:D3}");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    json.WriteEndArray();
    json.WriteEndObject();
    json.WriteEndObject();
    json.WriteStartArray("invocations");
    json.WriteStartObject();
    json.WriteBoolean("executionSuccessful", true);
    json.WriteEndObject();
    json.WriteEndArray();
    if (automation)
    {
        json.WriteStartObject("automationDetails");
        json.WriteString("id", "bench/");
        json.WriteEndObject();
    }

    json.WriteStartArray("results");
    for (var i = 0; i < count; i++)
    {
        var rule = random.Next(Rules);
        var fileIndex = random.Next(Files);
        var line = 1 + random.Next(2000);
        // "Changed" results get a fingerprint of their own: the same log with a percentage of new findings.
        var changed = random.Next(100) < changedPercent;
        json.WriteStartObject();
        json.WriteString("ruleId", $"bench/rule-{rule:D3}");
        json.WriteNumber("ruleIndex", rule);
        json.WriteStartObject("message");
        json.WriteString("text", $"Untrusted data from [the request parameter](1) reaches the sink in method Handler{i % 977} of class Controller{fileIndex} without validation; result {i}.");
        json.WriteEndObject();
        json.WriteStartArray("locations");
        json.WriteStartObject();
        WritePhysicalLocation(json, fileIndex, line, $"            var value = service.Execute(request.Query[\"p{i % 31}\"], options{i % 7});");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("partialFingerprints");
        json.WriteString("primaryLocationLineHash", $"{(ulong)(i * 2654435761L + (changed ? 17 : 0)):x16}:1");
        json.WriteString("primaryLocationStartColumnFingerprint", (i % 40).ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();
        if (i % 10 == 0)
        {
            json.WriteStartArray("codeFlows");
            json.WriteStartObject();
            json.WriteStartArray("threadFlows");
            json.WriteStartObject();
            json.WriteStartArray("locations");
            for (var step = 0; step < 3; step++)
            {
                json.WriteStartObject();
                json.WriteStartObject("location");
                WritePhysicalLocation(json, fileIndex, Math.Max(1, line - 3 + step), $"step {step} of the flow into the sink");
                json.WriteStartObject("message");
                json.WriteString("text", step == 0 ? "request.Query : StringValues" : "value : String");
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    json.WriteEndArray();
    json.WriteString("columnKind", "utf16CodeUnits");
    json.WriteEndObject();
    json.WriteEndArray();
    json.WriteEndObject();
    json.Flush();
    Console.WriteLine($"results={count} seed={seed} changed_percent={changedPercent} automation_details={(automation ? "yes" : "no")}");
    return 0;
}

static void WritePhysicalLocation(Utf8JsonWriter json, int fileIndex, int line, string snippet)
{
    json.WriteStartObject("physicalLocation");
    json.WriteStartObject("artifactLocation");
    json.WriteString("uri", $"src/Module{fileIndex % 50}/Controllers/Controller{fileIndex}.cs");
    json.WriteString("uriBaseId", "%SRCROOT%");
    json.WriteEndObject();
    json.WriteStartObject("region");
    json.WriteNumber("startLine", line);
    json.WriteNumber("startColumn", 13);
    json.WriteNumber("endLine", line);
    json.WriteNumber("endColumn", 13 + snippet.Length);
    json.WriteStartObject("snippet");
    json.WriteString("text", snippet);
    json.WriteEndObject();
    json.WriteEndObject();
    json.WriteEndObject();
}

static int ReadLog(string path)
{
    var clock = Stopwatch.StartNew();
    var results = 0;
    var flows = 0;
    var bySeverity = new int[5];
    using (var file = File.OpenRead(path))
    using (var reader = new SarifLogReader(file, "bench"))
    {
        foreach (var result in reader.ReadResults())
        {
            results++;
            bySeverity[(int)result.Severity]++;
            if (result.FlowJson is not null)
            {
                flows++;
            }
        }

        var run = reader.Runs[0];
        clock.Stop();
        var seconds = clock.Elapsed.TotalSeconds;
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"results={results} flows={flows} duplicates={run.DuplicateCount} complete={run.IsComplete} gzip={reader.WasGzip} " +
            $"severities={string.Join('/', bySeverity)} seconds={seconds:0.000} results_per_s={results / seconds:0} " +
            $"peak_working_set_mb={process.PeakWorkingSet64 / (1024 * 1024)} gc_heap_mb={GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)}"));
    }

    return 0;
}
