using System.Text;
using SecureFuture.Findings.Ingest;
using static SecureFuture.Findings.Tests.Ingest.Sarif;

namespace SecureFuture.Findings.Tests.Ingest;

/// <summary>What a run tells the store besides its results: category, completeness; and what results carry from their run.</summary>
public class RunFactsTests
{
    [Theory]
    [InlineData("\"automationDetails\":{\"id\":\"secrets\"}", "pushed", "secrets")]
    [InlineData("\"automationDetails\":{\"id\":\"code/csharp/2026-12-05T00:00Z\"}", "pushed", "code/csharp")]
    [InlineData("\"automationDetails\":{\"id\":\"/language:csharp/\"}", "pushed", "/language:csharp")]
    [InlineData("\"automationDetails\":{\"id\":\"secrets/\"}", "pushed", "secrets")]
    [InlineData("\"properties\":{}", "secrets/", "secrets")]
    [InlineData("\"automationDetails\":{\"description\":{\"text\":\"no id\"}}", "pushed", "pushed")]
    [InlineData("\"properties\":{}", "pushed", "pushed")]
    [InlineData("\"properties\":{}", null, "Scanner")]
    public void The_category_is_the_automation_id_up_to_its_last_slash_else_the_pushed_one_else_the_tool(string member, string? pushed, string expected)
    {
        var log = Read(Log(Tool(), member, Results(Result())), pushed);

        Assert.Equal(expected, log.Run.Category);
        Assert.Equal(expected, log.Single.Category);
    }

    [Theory]
    [InlineData("\"invocations\":[{\"executionSuccessful\":true}]", true, null)]
    [InlineData("\"properties\":{}", true, null)]
    [InlineData("\"invocations\":[{\"executionSuccessful\":true,\"toolExecutionNotifications\":[{\"message\":{\"text\":\"slow\"}},{\"level\":\"note\",\"message\":{\"text\":\"x\"}}]}]", true, null)]
    [InlineData("\"invocations\":[{\"executionSuccessful\":false}]", false, "invocations[0].executionSuccessful is false")]
    [InlineData("\"invocations\":[{\"executionSuccessful\":true},{\"executionSuccessful\":true,\"toolExecutionNotifications\":[{\"level\":\"error\",\"message\":{\"text\":\"could not parse src/b.cs\"}}]}]", false, "invocations[1].toolExecutionNotifications[0] is an error: could not parse src/b.cs")]
    [InlineData("\"invocations\":[{\"executionSuccessful\":true,\"toolConfigurationNotifications\":[{\"level\":\"error\",\"message\":{\"text\":\"bad rule\"}}]}]", false, "invocations[0].toolConfigurationNotifications[0] is an error: bad rule")]
    public void A_run_is_complete_unless_an_invocation_failed_or_reported_an_error(string member, bool complete, string? reason)
    {
        var log = Read(Log(Tool(), member, Results(Result())));

        Assert.Equal(complete, log.Run.IsComplete);
        Assert.Equal(reason is null ? [] : [reason], log.Run.IncompleteReasons);
    }

    [Fact]
    public void Reasons_and_warnings_are_capped_so_a_log_cannot_fill_memory_with_them()
    {
        var errors = string.Join(",", Enumerable.Repeat("{\"level\":\"error\",\"message\":{\"text\":\"failed\"}}", 5000));
        var unknown = Enumerable.Range(1, 500).Select(i => Result(line: i, extra: "\"level\":\"severe\"")).ToArray();
        var log = Read(Log(Tool(), $"\"invocations\":[{{\"toolExecutionNotifications\":[{errors}]}}]", Results(unknown)));

        Assert.False(log.Run.IsComplete);
        Assert.Equal(21, log.Run.IncompleteReasons.Count);
        Assert.Equal("... and 4980 more", log.Run.IncompleteReasons[^1]);
        Assert.Equal(101, log.Run.Warnings.Count);
        Assert.Equal("... and 400 more warnings", log.Run.Warnings[^1]);
    }

    [Theory]
    [InlineData("\"results\":null")]
    [InlineData("\"invocations\":[]")]
    public void A_run_without_results_did_not_run_and_is_incomplete(string member)
    {
        var log = Read(Log(Tool(), member));

        Assert.False(log.Run.IsComplete);
        Assert.Contains("results is absent or null", Assert.Single(log.Run.IncompleteReasons), StringComparison.Ordinal);
        Assert.True(Read(Log(Tool(), "\"results\":[]")).Run.IsComplete);
    }

    [Fact]
    public void Results_before_the_tool_read_the_same_as_results_after_it()
    {
        var rules = """[{"id":"R1","defaultConfiguration":{"level":"error"}},{"id":"R2","properties":{"security-severity":"9.5"}}]""";
        var results = Results(Result("R1"), Result("R2", line: 7, extra: "\"ruleIndex\":1"), Result("R1", line: 9, extra: "\"kind\":\"pass\""));
        var automation = "\"automationDetails\":{\"id\":\"code\"}";

        var streamed = Read(Log(Tool(rules), automation, results));
        var spooled = Read(Log(results, automation, Tool(rules)));

        Assert.Equal(2, streamed.Results.Count);
        Assert.Equal(streamed.Results, spooled.Results, (a, b) => a with { Cves = [] } == b with { Cves = [] });
        Assert.Equal(streamed.Run, spooled.Run, (a, b) => a.ToString() == b.ToString());
        Assert.Equal(1, spooled.Run.SkippedCount);
    }

    [Fact]
    public void Several_runs_each_report_their_own_facts_and_results()
    {
        var first = "{" + Tool(name: "A") + ",\"automationDetails\":{\"id\":\"secrets\"}," + Results(Result()) + "}";
        var second = "{" + Results(Result("R9"), Result("R9", line: 5)) + "," + Tool(name: "B") + ",\"invocations\":[{\"executionSuccessful\":false}]}";
        var log = Read($$"""{"version":"2.1.0","runs":[{{first}},{{second}}]}""", "pushed");

        Assert.Equal([("A", "secrets", true, 1), ("B", "pushed", false, 2)], log.Runs.Select(r => (r.Tool, r.Category, r.IsComplete, r.ResultCount)));
        Assert.Equal(["A", "B", "B"], log.Results.Select(r => r.Tool));
    }

    [Fact]
    public void Suppressed_passing_and_absent_results_are_not_open_findings()
    {
        var log = Read(Log(Tool(), Results(
            Result(line: 1, extra: "\"suppressions\":[{\"kind\":\"inSource\"}]"),
            Result(line: 2, extra: "\"suppressions\":[{\"kind\":\"external\",\"status\":\"accepted\"}]"),
            Result(line: 3, extra: "\"suppressions\":[{\"kind\":\"external\",\"status\":\"underReview\"}]"),
            Result(line: 4, extra: "\"suppressions\":[{\"kind\":\"external\",\"status\":\"rejected\"}]"),
            Result(line: 5, extra: "\"kind\":\"notApplicable\""),
            Result(line: 6, extra: "\"baselineState\":\"absent\""),
            Result(line: 7, extra: "\"baselineState\":\"unchanged\""))));

        Assert.Equal([3, 4, 7], log.Results.Select(r => r.StartLine!.Value));
        Assert.Equal(4, log.Run.SkippedCount);
    }

    [Fact]
    public void CVE_ids_come_from_the_rule_id_the_rules_tags_and_properties_and_the_results_properties()
    {
        var rules = """
            [{"id":"CVE-2021-44228","properties":{"tags":["security","cve-2021-45046"]}},
             {"id":"pkg/log4j","properties":{"cve":{"id":"CVE-2017-5645"},"security-severity":"9.8"}},
             {"id":"R3"}]
            """;
        var log = Read(Log(Tool(rules), Results(
            Result("CVE-2021-44228", line: 1),
            Result("pkg/log4j", line: 2, extra: "\"properties\":{\"advisories\":[\"GHSA-jfh8-c2jp-5v3q (CVE-2021-44228)\"]}"),
            Result("R3", line: 3, message: "mentions CVE-2099-0001 in prose only"))));

        Assert.Equal(["CVE-2021-44228", "CVE-2021-45046"], log.Results[0].Cves);
        Assert.Equal(["CVE-2017-5645", "CVE-2021-44228"], log.Results[1].Cves);
        Assert.Empty(log.Results[2].Cves);
    }

    [Fact]
    public void Rules_are_found_by_hierarchical_id_by_reference_and_in_extensions()
    {
        var tool = """
            "tool":{"driver":{"name":"T","rules":[{"id":"CA2000","defaultConfiguration":{"level":"note"}}]},
                    "extensions":[{"name":"pack","rules":[{"id":"x/a"},{"id":"x/b","defaultConfiguration":{"level":"error"}}]}]}
            """;
        var log = Read(Log(tool, Results(
            Result("CA2000/1"),
            """{"rule":{"index":1,"toolComponent":{"name":"pack"}},"message":{"text":"m"}}""",
            """{"ruleId":"x/b","message":{"text":"n"}}""")));

        Assert.Equal([("CA2000/1", Core.Severity.Low), ("x/b", Core.Severity.High), ("x/b", Core.Severity.High)], log.Results.Select(r => (r.RuleId, r.Severity)));
    }

    [Fact]
    public void Messages_come_from_the_rules_message_strings_with_arguments()
    {
        var rules = """[{"id":"R1","messageStrings":{"default":{"text":"'{0}' flows to {1} ({{not an argument}})"}}}]""";
        var log = Read(Log(Tool(rules), Results("""{"ruleId":"R1","message":{"id":"default","arguments":["name","Query"]}}""")));

        Assert.Equal("'name' flows to Query ({not an argument})", log.Single.Message);
    }

    [Fact]
    public void Paths_come_from_the_uri_or_the_artifact_index_and_are_decoded()
    {
        var artifacts = Q("'artifacts':[{'location':{'uri':'src/My%20App/a.cs'}},{'location':{'uri':'file:///home/ci/repo/b.cs'}}]");
        var byIndex = """{"ruleId":"R1","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"index":INDEX},"region":{"startLine":2,"endLine":4}}}]}""";
        var log = Read(Log(Tool(), artifacts, Results(
            byIndex.Replace("INDEX", "0", StringComparison.Ordinal),
            byIndex.Replace("INDEX", "1", StringComparison.Ordinal),
            Result(path: "./src/c.cs"))));

        Assert.Equal(["src/My App/a.cs", "/home/ci/repo/b.cs", "src/c.cs"], log.Results.Select(r => r.Path));
        Assert.Equal((2, 4), (log.Results[0].StartLine!.Value, log.Results[0].EndLine!.Value));
        Assert.Equal(3, log.Results[2].EndLine);
    }

    [Fact]
    public async Task Reading_asynchronously_gives_the_same_results_and_runs()
    {
        var bytes = File.ReadAllBytes(TestData("sfi/before.sarif.gz"));
        var sync = Read(new MemoryStream(bytes), "code");

        // An ASP.NET Core request body refuses synchronous reads: so does this stream.
        using var reader = new SarifLogReader(new AsyncOnlyStream(bytes), "code");
        var results = new List<IngestedResult>();
        await foreach (var result in reader.ReadResultsAsync())
        {
            results.Add(result);
        }

        Assert.True(reader.WasGzip);
        Assert.Equal(sync.Results.Select(r => r.Identity), results.Select(r => r.Identity));
        Assert.Equal(sync.Run.ToString(), Assert.Single(reader.Runs).ToString());
    }

    [Fact]
    public void Runs_are_known_only_after_every_result_has_been_read()
    {
        using var reader = new SarifLogReader(new MemoryStream(Encoding.UTF8.GetBytes(Log(Tool(), Results(Result())))), "c");
        using var results = reader.ReadResults().GetEnumerator();

        Assert.Throws<InvalidOperationException>(() => reader.Runs);
        while (results.MoveNext())
        {
        }

        Assert.Single(reader.Runs);
        Assert.Throws<InvalidOperationException>(() => reader.ReadResults());
    }

    private sealed class AsyncOnlyStream(byte[] bytes) : ForwardReadStream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("Synchronous operations are disallowed.");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return _inner.Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
