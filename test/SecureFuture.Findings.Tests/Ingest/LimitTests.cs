using System.Diagnostics;
using System.Text;
using SecureFuture.Findings.Ingest;
using static SecureFuture.Findings.Tests.Ingest.Sarif;

namespace SecureFuture.Findings.Tests.Ingest;

/// <summary>
/// SARIF bombs are refused after reading at most about the limit they break, in bounded memory: the streams here are
/// endless, so a reader that tried to read them whole would never return.
/// </summary>
public class LimitTests
{
    private const string Head = """{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"automationDetails":{"id":"c"},"results":[""";

    [Fact]
    public void Deep_nesting_is_refused_at_the_depth_limit()
    {
        var bomb = new EndlessStream(Head + """{"ruleId":"R","message":{"text":"m"},"properties":{"a":""", "[");

        var error = RefusedQuickly(bomb, IngestLimits.Default);

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Contains("nest deeper than 64", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("$.runs[0].results[0].properties.a[0][0][0]", error.JsonPath, StringComparison.Ordinal);
        Assert.True(bomb.Delivered < 1 << 20, $"{bomb.Delivered} bytes read");
    }

    [Fact]
    public void A_huge_string_is_refused_at_the_string_limit_without_reading_it_whole()
    {
        var bomb = new EndlessStream(Head + """{"ruleId":"R","message":{"text":" """, "A");

        var error = RefusedQuickly(bomb, IngestLimits.Default, out var allocated);

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Contains("longer than 4194304 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal("$.runs[0].results[0].message.text", error.JsonPath);
        Assert.True(bomb.Delivered < 8 << 20, $"{bomb.Delivered} bytes read");
        Assert.True(allocated < 64 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_huge_property_name_is_refused_too()
    {
        var error = Refused(Log(Tool(), Results(Result(extra: $"\"{new string('k', 5000)}\":1"))), IngestLimits.Default with { MaxStringBytes = 4096 });

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Contains("a property name is longer than 4096 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Results_beyond_the_limit_are_refused_at_the_first_one_too_many()
    {
        var bomb = new EndlessStream(Head + Result(), "," + Result());

        var error = RefusedQuickly(bomb, IngestLimits.Default with { MaxResults = 10_000 }, out var allocated);

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Equal("$.runs[0].results[10000]", error.JsonPath);
        Assert.Contains("more than 10000 results", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 256 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void Runs_beyond_the_limit_are_refused()
    {
        var run = """{"tool":{"driver":{"name":"t"}},"results":[]}""";
        var error = Refused($$"""{"version":"2.1.0","runs":[{{run}},{{run}},{{run}}]}""", IngestLimits.Default with { MaxRuns = 2 });

        Assert.Equal("$.runs[2]", error.JsonPath);
        Assert.Contains("more than 2 runs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_larger_than_the_object_limit_is_refused()
    {
        var properties = string.Join(",", Enumerable.Range(0, 4000).Select(i => $"\"p{i}\":\"{new string('v', 100)}\""));
        var error = Refused(Log(Tool(), Results(Result(extra: $"\"properties\":{{{properties}}}"))), IngestLimits.Default with { MaxObjectBytes = 64 * 1024 });

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Contains("the result object is larger than 65536 bytes", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("$.runs[0].results[0].properties", error.JsonPath, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_over_the_pushed_size_limit_is_refused()
    {
        var log = Log(Tool(), Results(Enumerable.Range(1, 100).Select(i => Result(line: i)).ToArray()));

        var error = Refused(log, IngestLimits.Default with { MaxBytes = 2048 });

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Contains("the pushed log is larger than 2048 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_bomb_is_refused_at_the_decompressed_limit_having_read_little()
    {
        // One gzip member of 4 MB of results (64 kB messages), compressed to a few kB, repeated: gzip readers join
        // members (RFC 1952 §2.2).
        var result = Result(message: new string('A', 64 * 1024));
        var member = Gzip(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("," + result, 64))));
        var head = Gzip(Encoding.UTF8.GetBytes(Head + Result()));
        var bomb = new EndlessStream(head, member);
        var limits = IngestLimits.Default with { MaxDecompressedBytes = 64 << 20, MaxResults = int.MaxValue };

        // What is read before the refusal is mapped as results (the caller discards them), so the work is bounded by
        // the decompressed limit, not by the compressed size.
        var error = RefusedQuickly(bomb, limits);

        Assert.Equal(SarifIngestError.LimitExceeded, error.Error);
        Assert.Contains("decompresses to more than 67108864 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(bomb.Delivered < 2 << 20, $"{bomb.Delivered} compressed bytes read");
    }

    private static SarifIngestException RefusedQuickly(Stream bomb, IngestLimits limits) => RefusedQuickly(bomb, limits, out _);

    private static SarifIngestException RefusedQuickly(Stream bomb, IngestLimits limits, out long allocated)
    {
        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SarifIngestException>(() => Read(bomb, "c", limits));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"refused after {clock.Elapsed}");
        return error;
    }

    /// <summary>A prefix, then a unit repeated for ever.</summary>
    private sealed class EndlessStream(byte[] prefix, byte[] unit) : ForwardReadStream
    {
        public EndlessStream(string prefix, string unit)
            : this(Encoding.UTF8.GetBytes(prefix), Encoding.UTF8.GetBytes(unit))
        {
        }

        public long Delivered { get; private set; }

        public override long Position { get => Delivered; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = 0;
            while (n < count)
            {
                var position = Delivered + n;
                var source = position < prefix.Length ? prefix.AsSpan((int)position) : unit.AsSpan((int)((position - prefix.Length) % unit.Length));
                var take = Math.Min(source.Length, count - n);
                source[..take].CopyTo(buffer.AsSpan(offset + n));
                n += take;
            }

            Delivered += n;
            return n;
        }

    }
}
