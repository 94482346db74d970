using SecureFuture.Core;
using static SecureFuture.Findings.Tests.Ingest.Sarif;

namespace SecureFuture.Findings.Tests.Ingest;

public class SeverityTests
{
    [Theory]
    [InlineData("\"10.0\"", Severity.Critical)]
    [InlineData("\"9.0\"", Severity.Critical)]
    [InlineData("\"8.9\"", Severity.High)]
    [InlineData("\"7.0\"", Severity.High)]
    [InlineData("\"6.9\"", Severity.Medium)]
    [InlineData("\"4.0\"", Severity.Medium)]
    [InlineData("\"3.9\"", Severity.Low)]
    [InlineData("\"0.1\"", Severity.Low)]
    [InlineData("\"0.0\"", Severity.Note)]
    [InlineData("9.8", Severity.Critical)]
    public void Security_severity_is_banded_as_GitHub_does_and_wins_over_level(string score, Severity expected)
    {
        var log = Read(Log(Tool(), Results(Result(extra: Q("'level':'note','properties':{'security-severity':") + score + "}"))));

        Assert.Equal(expected, log.Single.Severity);
        Assert.Empty(log.Run.Warnings);
    }

    [Fact]
    public void The_rules_security_severity_applies_when_the_result_has_none()
    {
        var rules = """[{"id":"R1","defaultConfiguration":{"level":"note"},"properties":{"security-severity":"9.1"}}]""";

        Assert.Equal(Severity.Critical, Read(Log(Tool(rules), Results(Result(extra: "\"level\":\"warning\"")))).Single.Severity);
    }

    [Theory]
    [InlineData("error", Severity.High)]
    [InlineData("warning", Severity.Medium)]
    [InlineData("note", Severity.Low)]
    [InlineData("none", Severity.Note)]
    public void Level_maps_to_a_severity_never_above_high(string level, Severity expected)
    {
        Assert.Equal(expected, Read(Log(Tool(), Results(Result(extra: $"\"level\":\"{level}\"")))).Single.Severity);
    }

    [Fact]
    public void Without_a_level_the_rules_default_level_applies_then_SARIFs_default_warning()
    {
        var rules = """[{"id":"R1","defaultConfiguration":{"level":"error"}},{"id":"R2"}]""";
        var log = Read(Log(Tool(rules), Results(Result("R1"), Result("R2", line: 4))));

        Assert.Equal([Severity.High, Severity.Medium], log.Results.Select(r => r.Severity));
    }

    [Fact]
    public void A_result_that_is_not_a_failure_and_states_no_level_is_a_note()
    {
        var rules = """[{"id":"R1","defaultConfiguration":{"level":"error"}}]""";

        Assert.Equal(Severity.Note, Read(Log(Tool(rules), Results(Result(extra: "\"kind\":\"review\"")))).Single.Severity);
    }

    [Fact]
    public void Unknown_values_never_raise_the_severity_and_are_reported()
    {
        var rules = """[{"id":"R1","defaultConfiguration":{"level":"severe"},"properties":{"security-severity":"high"}}]""";
        var log = Read(Log(Tool(rules), Results(
            // An unparseable score falls through to the level the producer also gave.
            Result("R2", line: 1, extra: Q("'level':'warning','properties':{'security-severity':'urgent'}")),
            // A score out of range is not a score.
            Result("R2", line: 2, extra: Q("'level':'note','properties':{'security-severity':'11'}")),
            // A level SARIF does not define is not "critical": with nothing else understood, the result is a note.
            Result("R2", line: 3, extra: "\"level\":\"critical\""),
            // Every statement unknown (result and rule): a note, not SARIF's default.
            Result("R1", line: 4, extra: "\"level\":\"blocker\""))));

        Assert.Equal([Severity.Medium, Severity.Low, Severity.Note, Severity.Note], log.Results.Select(r => r.Severity));
        var warnings = log.Run.Warnings;
        Assert.Contains(warnings, w => w.StartsWith("$.runs[0].results[0]: properties.security-severity 'urgent'", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("$.runs[0].results[1]: properties.security-severity '11'", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("$.runs[0].results[2]: level \"critical\"", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("$.runs[0].results[3]: the rule's security-severity 'high'", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("$.runs[0].results[3]: the rule's defaultConfiguration.level 'severe'", StringComparison.Ordinal));
    }
}
