using SecureFuture.Core;
using SecureFuture.Scanning.Code.Taint;

namespace SecureFuture.Scanning.Code.Tests.Taint;

public sealed class TaintSpecValidationTests
{
    private const string Rule = """
        id: SFI-CODE-090
        name: CustomSink
        title: Custom sink
        description: A user's own sink.
        help: Do not.
        severity: high
        precision: medium
        cwe: [74]
        message: Untrusted data from {source} reaches {sink}
        taint:
          kind: custom
          sinks:
            - { type: Acme.Data.RawQuery, members: [Run], arguments: [0] }
        examples:
          vulnerable: ["class A {}"]
          safe: ["class B {}"]
        """;

    [Fact]
    public void A_users_taint_rule_loads_and_its_sink_is_followed()
    {
        var catalog = CodeRuleCatalog.Load([("rules/SFI-CODE-090.CustomSink.yaml", Rule)]);
        var model = TaintModel.Create(catalog, TaintModel.LoadEmbeddedDocument());
        const string code = """
            using Acme.Data;
            using Microsoft.AspNetCore.Mvc;

            public class ReportController : ControllerBase
            {
                public void Run(string filter) => RawQuery.Run("select " + filter);
            }
            """;
        var sink = new RecordingSink();

        new CodeAnalyzer([new TaintCheck(model)]).Analyze(new ProjectInput("/repo", [new ScanTarget("src/R.cs", code)]), sink, CancellationToken.None);

        var (_, detection) = Assert.Single(sink.Of("SFI-CODE-090"));
        Assert.Equal("Untrusted data from action parameter 'filter' reaches RawQuery.Run (sink matched by name: its type could not be resolved)", detection.Message);
    }

    [Theory]
    [InlineData("kind: custom\n  sinks: []", "taint.sinks must list at least one sink")]
    [InlineData("kind: Not Valid\n  sinks:\n    - { type: Acme.X, members: [Run] }", "taint.kind must be a lower-case name")]
    [InlineData("kind: custom\n  sinks:\n    - { type: RawQuery, members: [Run] }", "taint.sinks[0]: type must be a full type name")]
    [InlineData("kind: custom\n  sinks:\n    - { type: Acme.X, members: [] }", "taint.sinks[0]: members must list")]
    [InlineData("kind: custom\n  sinks:\n    - { type: Acme.X, members: [Run], context: \"(\" }", "taint.sinks[0]: context is not a valid regular expression")]
    [InlineData("kind: custom\n  sinks:\n    - { type: Acme.X, members: [Run], parameterTypes: [string] }", "taint.sinks[0]: parameterTypes must list full type names")]
    [InlineData("kind: custom\n  sinks:\n    - { type: Acme.X, members: [Run], parameterTypesSince: [Acme 2.1] }", "taint.sinks[0]: parameterTypesSince needs parameterTypes")]
    [InlineData("kind: custom\n  sinks:\n    - { type: Acme.X, members: [Run], parameterTypes: [System.String], parameterTypesSince: [Acme] }", "lists packages as \"Id Version\"")]
    [InlineData("kind: custom\n  sinks:\n    - { type: Acme.X, members: [Run], sinkz: 1 }", "sinkz")]
    public void A_malformed_taint_part_fails_loading_with_the_file_and_the_problem(string taint, string expected)
    {
        var yaml = Rule.Replace("kind: custom\n  sinks:\n    - { type: Acme.Data.RawQuery, members: [Run], arguments: [0] }", taint, StringComparison.Ordinal);

        var e = Assert.Throws<InputException>(() => CodeRuleCatalog.Load([("rules/SFI-CODE-090.CustomSink.yaml", yaml)]));

        Assert.Contains("rules/SFI-CODE-090.CustomSink.yaml", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
