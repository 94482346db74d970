using System.Text;
using SecureFuture.Findings.Ingest;
using static SecureFuture.Findings.Tests.Ingest.Sarif;

namespace SecureFuture.Findings.Tests.Ingest;

/// <summary>A log that cannot be read is refused with where: the JSON path and the line, column and byte.</summary>
public class MalformedLogTests
{
    [Fact]
    public void A_truncated_upload_names_the_result_it_stops_in_and_the_end_position()
    {
        var bytes = File.ReadAllBytes(TestData("codeql/before.sarif"));
        var text = Encoding.UTF8.GetString(bytes);
        // Cut inside the third result's location.
        var cut = text.IndexOf("\"ruleId\": \"cs/hardcoded-credentials\"", StringComparison.Ordinal);
        cut = text.IndexOf("\"region\"", cut, StringComparison.Ordinal) + 3;

        var error = Refused(bytes.AsSpan(0, cut).ToArray());

        Assert.Equal(SarifIngestError.Malformed, error.Error);
        Assert.StartsWith("$.runs[0].results[2].locations[0].physicalLocation", error.JsonPath, StringComparison.Ordinal);
        Assert.Equal(cut, error.BytePosition);
        Assert.Equal(text[..cut].Count(c => c == '\n') + 1, error.Line);
        Assert.Contains("ends early", error.Message, StringComparison.Ordinal);
        Assert.StartsWith(error.JsonPath + $" (line {error.Line}, column {error.Column}, byte {cut}): ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_deep_in_a_large_log_is_placed_exactly_across_buffer_refills()
    {
        // About 700 kB, so the fault is far beyond the first buffer: positions must survive the buffer moving on.
        var log = new StringBuilder("{\"version\":\"2.1.0\",\"runs\":[{\n\"tool\":{\"driver\":{\"name\":\"t\"}},\n\"results\":[\n");
        for (var i = 0; i < 5000; i++)
        {
            log.Append(i == 0 ? "" : ",\n").Append(Result(line: i + 1, message: new string('x', 60)));
        }

        log.Append("\n]}]}");
        var text = log.ToString();
        var fault = text.IndexOf("\"startLine\":4321}", StringComparison.Ordinal) + "\"startLine\":432".Length;
        Assert.True(fault > 500_000);
        text = text[..fault] + "x" + text[(fault + 1)..];

        var error = Refused(text);

        Assert.True(error.Error == SarifIngestError.Malformed, error.Message);
        Assert.Equal("$.runs[0].results[4320].locations[0].physicalLocation.region.startLine", error.JsonPath);
        Assert.Equal(text[..fault].Count(c => c == '\n') + 1, error.Line);
        Assert.Equal(fault - text.LastIndexOf('\n', fault), error.Column);
        Assert.Equal(fault, error.BytePosition);
    }

    [Theory]
    [InlineData("", "$")]
    [InlineData("   ", "$")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":[]} trailing", "$")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{\"ruleId\":\"a\",}]}]}", "$.runs[0].results[0].ruleId")]
    public void Text_that_is_not_JSON_is_malformed(string json, string path)
    {
        var error = Refused(json);

        Assert.Equal(SarifIngestError.Malformed, error.Error);
        Assert.Equal(path, error.JsonPath);
        Assert.NotNull(error.Line);
    }

    [Theory]
    [InlineData("[]", "$", "a SARIF log is a JSON object")]
    [InlineData("{\"version\":\"2.0.0\",\"runs\":[]}", "$.version", "version '2.0.0' is not supported")]
    [InlineData("{\"runs\":[]}", "$", "the log has no version")]
    [InlineData("{\"version\":\"2.1.0\"}", "$", "the log has no runs")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":{}}", "$.runs", "runs is not an array")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":[{\"results\":[]}]}", "$.runs[0]", "the run has no tool")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{}},\"results\":[]}]}", "$.runs[0].tool.driver.name", "the tool has no name")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[42]}]}", "$.runs[0].results[0]", "a result is not an object")]
    [InlineData("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[],\"results\":[]}]}", "$.runs[0].results", "'results' appears twice")]
    public void JSON_that_is_not_a_SARIF_log_is_refused_with_the_reason(string json, string path, string reason)
    {
        var error = Refused(json);

        Assert.Equal(SarifIngestError.NotSarif, error.Error);
        Assert.Equal(path, error.JsonPath);
        Assert.Contains(reason, error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_naming_a_rule_that_does_not_exist_is_refused_at_that_result()
    {
        var error = Refused(Log(Tool("""[{"id":"R1"}]"""), Results(Result(), Result(line: 5, extra: "\"ruleIndex\":7"))));

        Assert.Equal(SarifIngestError.NotSarif, error.Error);
        Assert.Equal("$.runs[0].results[1].ruleIndex", error.JsonPath);
        Assert.Contains("rule index 7 is not in $.runs[0].tool.driver.rules (1 rules)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void A_result_without_any_rule_is_refused()
    {
        var error = Refused(Log(Tool(), Results("""{"message":{"text":"m"}}""")));

        Assert.Equal("$.runs[0].results[0]", error.JsonPath);
        Assert.Contains("names no rule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_with_a_member_twice_is_refused_rather_than_read_last_wins()
    {
        var error = Refused(Log(Tool(), Results("""{"ruleId":"R1","ruleId":"R2","message":{"text":"m"}}""")));

        Assert.Equal(SarifIngestError.Malformed, error.Error);
        Assert.Equal("$.runs[0].results[0]", error.JsonPath);
        Assert.Contains("ruleId", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_string_that_is_not_UTF8_is_malformed_not_a_crash(bool automationFirst)
    {
        var log = automationFirst
            ? Log(Tool(), "\"automationDetails\":{\"id\":\"c\"}", Results(Result(message: "BAD")))
            : Log(Tool(), Results(Result(message: "BAD")));
        var bytes = Encoding.UTF8.GetBytes(log);
        var at = log.IndexOf("BAD", StringComparison.Ordinal);
        bytes[at] = 0xff;
        bytes[at + 1] = 0xfe;

        var error = Refused(bytes);

        Assert.Equal(SarifIngestError.Malformed, error.Error);
        Assert.Equal("$.runs[0].results[0]", error.JsonPath);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_order_mark_before_the_JSON_is_ignored_plain_or_gzip()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Log(Tool(), Results(Result())))).ToArray();

        Assert.Single(Read(new MemoryStream(bytes)).Results);
        Assert.Single(Read(new MemoryStream(Gzip(bytes))).Results);
    }

    [Fact]
    public void A_log_whose_runs_are_null_has_no_runs()
    {
        var log = Read("{\"version\":\"2.1.0\",\"runs\":null}");

        Assert.Empty(log.Runs);
        Assert.Empty(log.Results);
    }

    [Fact]
    public void Corrupt_gzip_is_malformed()
    {
        var gzip = Gzip(Encoding.UTF8.GetBytes(Log(Tool(), Results(Result()))));
        for (var i = 12; i < gzip.Length - 8; i++)
        {
            gzip[i] ^= 0x5a;
        }

        var error = Refused(gzip);

        Assert.Equal(SarifIngestError.Malformed, error.Error);
    }

    [Fact]
    public void Gzip_cut_short_is_malformed()
    {
        var gzip = Gzip(Encoding.UTF8.GetBytes(Log(Tool(), Results(Result(), Result(line: 8)))));

        var error = Refused(gzip.AsSpan(0, gzip.Length / 2).ToArray());

        Assert.Equal(SarifIngestError.Malformed, error.Error);
    }
}

/// <summary>
/// Damaged copies of real logs (cut anywhere, bytes overwritten anywhere) are either read or refused with a
/// <see cref="SarifIngestException"/>: never another exception, which the server would answer with a 500.
/// </summary>
public class DamagedLogTests
{
    // JSON's structural characters, a quote, a backslash, a digit, a letter, a minus, and a byte that is not UTF-8.
    private static readonly byte[] Damage = [.. "{}[],:\"\\0a-"u8, 0xff];

    [Theory]
    [InlineData("codeql/before.sarif")]
    [InlineData("semgrep/before.sarif")]
    [InlineData("devskim/before.sarif")]
    public void Every_damaged_copy_is_read_or_refused_with_a_position(string file)
    {
        var original = File.ReadAllBytes(Sarif.TestData(file));
        var random = new Random(16);
        for (var i = 0; i < 300; i++)
        {
            var damaged = i % 2 == 0 ? original.AsSpan(0, random.Next(original.Length)).ToArray() : Overwrite(original, random);
            try
            {
                Sarif.Read(new MemoryStream(damaged));
            }
            catch (SarifIngestException e)
            {
                Assert.StartsWith("$", e.JsonPath, StringComparison.Ordinal);
            }
        }
    }

    private static byte[] Overwrite(byte[] original, Random random)
    {
        var copy = (byte[])original.Clone();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            copy[random.Next(copy.Length)] = Damage[random.Next(Damage.Length)];
        }

        return copy;
    }
}
