using System.Text;

namespace SecureFuture.Core.Tests;

public sealed class SarifBaselineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sfi-baseline-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void NotJson_IsAnInputErrorNamingLineAndColumn()
    {
        var path = Path.Combine(_directory, "bad.sarif");
        File.WriteAllText(path, "{\n  \"version\": \"2.1.0\",\n  oops\n}");
        var e = Assert.Throws<InputException>(() => SarifBaseline.Read(path));
        Assert.Equal(3, e.Line);
        Assert.StartsWith(path + ":3:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\ud800")] // a lone surrogate, escaped
    [InlineData("invalid UTF-8")] // the bytes F3 28
    public void AStringThatIsNotWellFormedUnicode_IsAnInputErrorNamingItsLine_NotACrash(string ruleId)
    {
        // Found by fuzzing: the log parsed, and reading the rule id threw InvalidOperationException (exit 70).
        byte[] id = ruleId == "invalid UTF-8" ? [0xF3, 0x28] : Encoding.UTF8.GetBytes(ruleId);
        var path = Path.Combine(_directory, "unicode.sarif");
        File.WriteAllBytes(path, [.. "{\"version\": \"2.1.0\", \"runs\": [{\"results\": [\n{\"ruleId\": \""u8, .. id, .. "\", \"message\": {\"text\": \"m\"}}]}]}"u8]);
        var e = Assert.Throws<InputException>(() => SarifBaseline.Read(path));
        Assert.Equal(2, e.Line);
        Assert.Contains("not well-formed Unicode", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonThatIsNotSarif_IsAnInputError()
    {
        var path = Path.Combine(_directory, "other.json");
        File.WriteAllText(path, "{\"hello\": []}");
        var e = Assert.Throws<InputException>(() => SarifBaseline.Read(path));
        Assert.Contains("not a SARIF 2.1.0 log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_IsAnInputError()
    {
        var e = Assert.Throws<InputException>(() => SarifBaseline.Read(Path.Combine(_directory, "nope.sarif")));
        Assert.Contains("cannot read baseline", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ClassifiesNewUnchangedUpdatedAndAbsent()
    {
        var baseline = new List<SarifBaseline.BaselineResult>
        {
            new("R1", "a.txt", 3, "h1:1", "c1", "error", "m"),
            new("R1", "a.txt", 9, "h2:1", "c2", "error", "m"),
            new("R2", "b.txt", 1, "h3:1", "c3", "warning", "gone"),
        };
        var run = new AnalysisRun
        {
            ToolName = "t",
            ToolVersion = "1",
            Rules = [],
            Findings =
            [
                Make("R1", "a.txt", 3, "h1:1", "c1"),   // same content, same line hash
                Make("R1", "a.txt", 12, "h9:1", "c2"),  // same content, moved
                Make("R1", "c.txt", 1, "h4:1", "c4"),   // new
            ],
        };

        var result = SarifBaseline.Apply(run, baseline);

        Assert.Equal(
            [BaselineState.Unchanged, BaselineState.Updated, BaselineState.New, BaselineState.Absent],
            result.Findings.Select(f => f.BaselineState));
        Assert.Equal("b.txt", result.Findings[3].Location.Path);
        // Only the new finding can trip a gate.
        Assert.Single(result.GatingFindings);
        Assert.True(result.TripsGate(Severity.High));
    }

    private static Finding Make(string rule, string path, int line, string hash, string content) => new()
    {
        RuleId = rule,
        Severity = Severity.High,
        Message = "m",
        Location = FindingLocation.InFile(path, new Region(line, 1, line, 5)),
        Fingerprints = new Fingerprints(hash, content),
    };
}
