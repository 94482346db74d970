using System.Text;
using System.Text.Json;
using SecureFuture.Core.Writers;

namespace SecureFuture.Core.Tests;

/// <summary>
/// What each writer makes of a data-flow result and of the code inventory: the path from source to sink (SARIF
/// codeFlows, a JSON "flow" array, one compact line in text) and lines of code per language with the memory-safe share.
/// SARIF validity under the multitool is checked end to end in SecureFuture.Cli.Tests.
/// </summary>
public sealed class ReportWriterFlowTests
{
    private static readonly Finding FlowFinding = new()
    {
        RuleId = "SFI-CODE-001",
        Severity = Severity.High,
        Message = "SQL query built from request data",
        Location = FindingLocation.InFile("Data/Repo.cs", new Region(9, 38, 9, 52)),
        Fingerprints = new Fingerprints("abc:1", "0123456789abcdef0123456789abcdef"),
        Flow =
        [
            new FlowStep(FindingLocation.InFile("Controllers/UserController.cs", new Region(14, 33, 14, 35)), "request query 'id'"),
            new FlowStep(FindingLocation.InFile("Services/UserService.cs", new Region(22, 16, 22, 40)), "concatenated"),
            new FlowStep(FindingLocation.InFile("Data/Repo.cs", new Region(9, 38, 9, 52)), "SqlCommand"),
        ],
    };

    private static readonly Finding PlainFinding = new()
    {
        RuleId = "SFI-SEC-001",
        Severity = Severity.Medium,
        Message = "A secret",
        Location = FindingLocation.InFile("a.env", new Region(1, 1, 1, 10)),
        Fingerprints = new Fingerprints(null, "fedcba9876543210fedcba9876543210"),
    };

    private static readonly Dictionary<string, long> Inventory = new(StringComparer.Ordinal)
    {
        ["filesScanned"] = 12,
        ["linesOfCode.csharp"] = 973,
        ["linesOfCode.c"] = 27,
        [CodeInventory.MemorySafeLines] = 973,
        [CodeInventory.MemoryUnsafeLines] = 27,
        ["unsafe.blocks"] = 2,
        ["unsafe.stackalloc"] = 1,
    };

    private static AnalysisRun Run(params Finding[] findings) => new()
    {
        ToolName = "SecureFuture",
        ToolVersion = "0.1.0",
        Rules =
        [
            new RuleDescriptor { Id = "SFI-CODE-001", Name = "SqlInjection", DefaultSeverity = Severity.High, ShortDescription = "SQL injection", FullDescription = "SQL built from request data.", HelpMarkdown = "Use parameters.", Tags = ["external/cwe/cwe-089"], Frameworks = ["CWE-89"], Confidence = Confidence.High },
            new RuleDescriptor { Id = "SFI-SEC-001", Name = "Secret", DefaultSeverity = Severity.Medium, ShortDescription = "s", FullDescription = "s", HelpMarkdown = "s" },
        ],
        Findings = findings,
        Root = "/repo",
        Statistics = Inventory,
    };

    [Fact]
    public async Task A_log_of_one_run_per_category_names_each_category_in_automation_details_and_a_mixed_run_has_none()
    {
        using var stream = new MemoryStream();
        await SarifWriter.WriteLogAsync([Run(FlowFinding) with { Category = "code" }, Run() with { Category = "secrets" }, Run(PlainFinding)], stream);
        using var sarif = JsonDocument.Parse(stream.ToArray());

        var runs = sarif.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(3, runs.Count);
        Assert.Equal("code/", runs[0].GetProperty("automationDetails").GetProperty("id").GetString());
        Assert.Equal("secrets/", runs[1].GetProperty("automationDetails").GetProperty("id").GetString());
        Assert.Equal(0, runs[1].GetProperty("results").GetArrayLength()); // an empty run is written: it says nothing was found
        Assert.False(runs[2].TryGetProperty("automationDetails", out _));
        Assert.Equal(["SFI-CODE-001"], runs[0].GetProperty("results").EnumerateArray().Select(r => r.GetProperty("ruleId").GetString()));
    }

    private static async Task<string> WriteAsync(IReportWriter writer, AnalysisRun run)
    {
        using var stream = new MemoryStream();
        await writer.WriteAsync(run, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Text_shows_the_path_compactly_under_the_finding()
    {
        var lines = (await WriteAsync(new TextReportWriter(new ReportOptions()), Run(FlowFinding, PlainFinding))).Split('\n');

        var at = Array.FindIndex(lines, l => l.Contains("SFI-CODE-001 SQL query built from request data", StringComparison.Ordinal));
        Assert.True(at >= 0, string.Join('\n', lines));
        Assert.Equal(
            "source Controllers/UserController.cs:14:33 request query 'id' -> Services/UserService.cs:22:16 concatenated -> Data/Repo.cs:9:38 SqlCommand (sink)",
            lines[at + 1].Trim());
        Assert.DoesNotContain(lines, l => l.Contains("a.env", StringComparison.Ordinal) && l.Contains("->", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Text_does_not_repeat_source_and_sink_when_the_steps_say_so()
    {
        var finding = FlowFinding with
        {
            Flow = [FlowFinding.Flow![0] with { Message = "request query 'id' (source)" }, FlowFinding.Flow[2] with { Message = "SqlCommand.CommandText (sink)" }],
        };
        var text = await WriteAsync(new TextReportWriter(new ReportOptions()), Run(finding));
        Assert.Contains("Controllers/UserController.cs:14:33 request query 'id' (source) -> Data/Repo.cs:9:38 SqlCommand.CommandText (sink)\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("source Controllers", text, StringComparison.Ordinal);
        Assert.DoesNotContain("(sink) (sink)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_summary_gives_lines_per_language_the_memory_safe_share_and_the_unsafe_inventory()
    {
        var text = await WriteAsync(new TextReportWriter(new ReportOptions()), Run());
        Assert.Contains("Lines of code: c 27, csharp 973; memory-safe share: 97.3 %\n", text, StringComparison.Ordinal);
        Assert.Contains("Unsafe code (inventory): blocks 2, stackalloc 1\n", text, StringComparison.Ordinal);
        var lines = text.TrimEnd().Split('\n');
        Assert.Equal("Statistics: filesScanned 12", lines[^2]);
        Assert.DoesNotContain("linesOfCode", lines[^2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_piped_reads_line_by_line_the_summary_a_sentence_of_its_own_and_no_escape_codes()
    {
        var text = await WriteAsync(new TextReportWriter(new ReportOptions()), Run(PlainFinding with { Suppression = new Suppression("inSource", "test fixture") }));
        var lines = text.TrimEnd().Split('\n');
        Assert.Equal("No findings, 1 suppressed.", lines[^1]);
        Assert.Equal("Statistics: filesScanned 12", lines[^2]);
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public async Task Text_at_a_terminal_is_styled_but_input_cannot_write_escape_sequences()
    {
        // A file name or message from a scanned repository can carry an escape sequence that would rewrite the
        // terminal (clear it, retitle it, hide the lines before): shown escaped, never written raw.
        var hostile = PlainFinding with { Message = "A secret \u001b[2J\u001b]0;pwned\u0007", Location = FindingLocation.InFile("a\u001b[8m.env", new Region(1, 1, 1, 10)) };
        var text = await WriteAsync(new TextReportWriter(new ReportOptions { Ansi = true }), Run(hostile));
        Assert.Contains("\u001b[1;4m", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[33m", text, StringComparison.Ordinal);
        Assert.Contains("A secret \\u001b[2J\\u001b]0;pwned\\u0007", text, StringComparison.Ordinal);
        Assert.Contains("a\\u001b[8m.env", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[2J", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', text);
    }

    [Fact]
    public async Task Text_notification_whose_message_names_its_file_is_not_prefixed_twice()
    {
        var run = Run() with
        {
            Notifications =
            [
                new Notification("x", NotificationLevel.Error, "empty.json:1:1: the file is empty") { Path = "empty.json", Region = new Region(1, 1, 1, 1) },
                new Notification("y", NotificationLevel.Warning, "too large, skipped") { Path = "big.bin" },
            ],
        };
        var text = await WriteAsync(new TextReportWriter(new ReportOptions()), run);
        Assert.Contains("error: empty.json:1:1: the file is empty\n", text, StringComparison.Ordinal);
        Assert.Contains("warning: big.bin: too large, skipped\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_memory_safe_share_is_rounded_down_so_that_100_means_no_unsafe_line()
    {
        Assert.Equal(99.9, CodeInventory.MemorySafeShare(new Dictionary<string, long> { [CodeInventory.MemorySafeLines] = 99_999, [CodeInventory.MemoryUnsafeLines] = 1 }));
        Assert.Equal(100.0, CodeInventory.MemorySafeShare(new Dictionary<string, long> { [CodeInventory.MemorySafeLines] = 5 }));
        Assert.Null(CodeInventory.MemorySafeShare(new Dictionary<string, long> { ["filesScanned"] = 5 }));
    }

    [Fact]
    public async Task Json_has_the_flow_of_each_finding_and_the_inventory_in_the_summary()
    {
        using var json = JsonDocument.Parse(await WriteAsync(new JsonReportWriter(), Run(FlowFinding, PlainFinding)));
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var flow = findings.Single(f => f.GetProperty("ruleId").GetString() == "SFI-CODE-001").GetProperty("flow").EnumerateArray()
            .Select(s => $"{s.GetProperty("path").GetString()}:{s.GetProperty("line").GetInt32()}:{s.GetProperty("column").GetInt32()}-{s.GetProperty("endLine").GetInt32()}:{s.GetProperty("endColumn").GetInt32()} {s.GetProperty("message").GetString()}");
        Assert.Equal(["Controllers/UserController.cs:14:33-14:35 request query 'id'", "Services/UserService.cs:22:16-22:40 concatenated", "Data/Repo.cs:9:38-9:52 SqlCommand"], flow);
        Assert.False(findings.Single(f => f.GetProperty("ruleId").GetString() == "SFI-SEC-001").TryGetProperty("flow", out _));

        var summary = json.RootElement.GetProperty("summary");
        Assert.Equal(973, summary.GetProperty("linesOfCode.csharp").GetInt64());
        Assert.Equal(2, summary.GetProperty("unsafe.blocks").GetInt64());
        Assert.Equal(97.3, summary.GetProperty("memorySafeShare").GetDouble());
    }

    [Fact]
    public async Task Sarif_writes_the_flow_as_one_thread_flow_and_the_inventory_as_run_properties()
    {
        using var sarif = JsonDocument.Parse(await WriteAsync(new SarifWriter(), Run(FlowFinding, PlainFinding)));
        var run = sarif.RootElement.GetProperty("runs")[0];
        var results = run.GetProperty("results").EnumerateArray().ToList();
        var codeFlow = Assert.Single(results.Single(r => r.GetProperty("ruleId").GetString() == "SFI-CODE-001").GetProperty("codeFlows").EnumerateArray());
        var locations = Assert.Single(codeFlow.GetProperty("threadFlows").EnumerateArray()).GetProperty("locations").EnumerateArray().ToList();
        Assert.Equal(3, locations.Count);
        for (var i = 0; i < locations.Count; i++)
        {
            var expected = FlowFinding.Flow![i];
            var location = locations[i].GetProperty("location");
            var physical = location.GetProperty("physicalLocation");
            Assert.Equal(expected.Location.Path, physical.GetProperty("artifactLocation").GetProperty("uri").GetString());
            Assert.Equal("%SRCROOT%", physical.GetProperty("artifactLocation").GetProperty("uriBaseId").GetString());
            var region = physical.GetProperty("region");
            Assert.Equal(expected.Location.Region, new Region(region.GetProperty("startLine").GetInt32(), region.GetProperty("startColumn").GetInt32(), region.GetProperty("endLine").GetInt32(), region.GetProperty("endColumn").GetInt32()));
            Assert.Equal(expected.Message, location.GetProperty("message").GetProperty("text").GetString());
            Assert.Equal(i + 1, locations[i].GetProperty("executionOrder").GetInt32());
            Assert.False(locations[i].TryGetProperty("nestingLevel", out _));
        }

        Assert.False(results.Single(r => r.GetProperty("ruleId").GetString() == "SFI-SEC-001").TryGetProperty("codeFlows", out _));

        var rule = run.GetProperty("tool").GetProperty("driver").GetProperty("rules")[0];
        Assert.Equal("Use parameters.", rule.GetProperty("help").GetProperty("markdown").GetString());
        Assert.Equal("8.0", rule.GetProperty("properties").GetProperty("security-severity").GetString());
        Assert.Equal("high", rule.GetProperty("properties").GetProperty("precision").GetString());
        Assert.Contains("external/cwe/cwe-089", rule.GetProperty("properties").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var properties = run.GetProperty("properties");
        Assert.Equal(27, properties.GetProperty("statistics").GetProperty("linesOfCode.c").GetInt64());
        Assert.Equal(1, properties.GetProperty("statistics").GetProperty("unsafe.stackalloc").GetInt64());
        Assert.Equal(97.3, properties.GetProperty("memorySafeShare").GetDouble());
    }
}
