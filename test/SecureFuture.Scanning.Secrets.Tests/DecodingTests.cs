using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// Secrets inside base64, hex and percent-encoded values, through the whole catalogue. The encoded samples are
/// built here from a token generated at run time, so no encoded secret sits in the repository for its self-scan.
/// </summary>
public sealed class DecodingTests
{
    private static readonly string Token = GitHubToken();

    private static string GitHubToken()
    {
        var random = "Zq4Yb7Ld2Xv9Ns6Wm1Pz8Tc3Rj5Hf0";
        return "ghp_" + random + GitHubChecksumValidator.Checksum(random);
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(string text) => Base64(text).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));

    private static string Percent(string text) => Uri.EscapeDataString(text);

    private static (List<Detection> Detections, List<Notification> Notifications) Scan(string text, string path = "deploy/values.yaml", int depth = 2, long maxDecoded = 4L * 1024 * 1024)
    {
        var analyzer = new SecretAnalyzer(SecretRuleCatalog.Default, new SecretScanSettings
        {
            Clock = new FakeTimeProvider(RuleExampleTests.Today),
            DecodeDepth = depth,
            MaxDecodedChars = maxDecoded,
        });
        var sink = new RuleExampleTests.CollectingSink();
        analyzer.Analyze(new ScanTarget(path, text), sink, CancellationToken.None);
        return (sink.Detections, sink.Notifications);
    }

    public static TheoryData<string, string> SingleLayers => new()
    {
        { Base64("github_token=" + Token), "base64" },
        { Base64Url("github_token=" + Token + "?>"), "base64" },
        { Hex("github_token=" + Token), "hex" },
        { Percent("github_token=" + Token + " & more"), "percent" },
    };

    [Theory]
    [MemberData(nameof(SingleLayers))]
    public void SecretInOneEncodedLayer_IsFound_AtTheEncodedValue_WithItsEncoding(string encoded, string encoding)
    {
        var text = $"config:\n  blob: \"{encoded}\"\n";
        var hit = Assert.Single(Scan(text).Detections);
        Assert.Equal("SFI-SEC-045", hit.RuleId);
        Assert.Equal(Token, hit.Secret);
        Assert.Equal(encoding, hit.Properties![SecretAnalyzer.EncodingProperty]);
        Assert.Equal(text.IndexOf(encoded, StringComparison.Ordinal), hit.Start);
        Assert.Equal(encoded.Length, hit.Length);
        Assert.Contains($"{encoding}-encoded", hit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base64OfPercentOfSecret_ReportsTheChain_OutermostFirst()
    {
        var encoded = Base64("url=https://ci.contoso.com/hook?" + Percent("github_token=" + Token));
        var text = $"WEBHOOK_CONFIG={encoded}\n";
        var hit = Assert.Single(Scan(text).Detections);
        Assert.Equal("SFI-SEC-045", hit.RuleId);
        Assert.Equal("base64>percent", hit.Properties![SecretAnalyzer.EncodingProperty]);
        Assert.Equal((text.IndexOf(encoded, StringComparison.Ordinal), encoded.Length), (hit.Start, hit.Length));
    }

    [Fact]
    public void LayersBeyondTheDepth_AreNotDecoded_AndADeeperSettingFindsThem()
    {
        var encoded = Base64(Base64(Base64("github_token=" + Token)));
        Assert.Empty(Scan($"x: {encoded}\n").Detections);
        var hit = Assert.Single(Scan($"x: {encoded}\n", depth: 3).Detections);
        Assert.Equal("base64>base64>base64", hit.Properties![SecretAnalyzer.EncodingProperty]);
        Assert.Empty(Scan($"x: {Base64("github_token=" + Token)}\n", depth: 0).Detections);
    }

    [Fact]
    public void DecodingLoop_DeepNestingAndManyValues_AreBounded_WithANotification()
    {
        // Twenty layers of base64 (each decodes to the next), then a file of 20,000 encoded values: the depth and the
        // per-file budget bound the work, and the scan says what it skipped.
        var nested = "github_token=" + Token;
        for (var i = 0; i < 20; i++)
        {
            nested = Base64(nested);
        }

        var many = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => Base64($"value number {i:D6} is harmless text")));
        var watch = Stopwatch.StartNew();
        var (detections, notifications) = Scan(nested + "\n" + many, maxDecoded: 100_000);
        watch.Stop();
        Assert.Empty(detections);
        Assert.True(notifications.Count == 1, string.Join("\n", notifications.Select(n => $"{n.Id}: {n.Message}")));
        var note = Assert.Single(notifications, n => n.Id != "rule-timeout");
        Assert.Equal("decoding-limit", note.Id);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void AValueADetectorMatchedAsItIs_IsNotDecodedAgain()
    {
        // A JWT is base64url JSON: its payload, decoded, holds the token too. One value, one finding: the JWT's.
        var jwt = $"{Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")}.{Base64Url("{\"sub\":\"ci\",\"github_token\":\"" + Token + "\"}")}.{Base64Url("signature bytes, 32 of them.....")}";
        var hit = Assert.Single(Scan($"id_token: {jwt}\n").Detections);
        Assert.Equal("SFI-SEC-095", hit.RuleId);

        // The same token, in clear on one line and hex-encoded on the next: each place is reported once.
        var hits = Scan($"github_token={Token}\nnext={Hex("github_token=" + Token)}\n").Detections;
        Assert.Equal([null, "hex"], hits.Select(h => h.Properties?.GetValueOrDefault(SecretAnalyzer.EncodingProperty)));
    }

    [Theory]
    [InlineData("sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("static int __attribute_warn_unused_result__ ThisIsAVeryLongIdentifierName_With_Parts(void);")]
    [InlineData("#include <linux/netfilter_bridge/ebt_ip6.h> /usr/lib/x86_64-linux-gnu/libssl.so.3")]
    [InlineData("printf(\"%02x%02x%02x%02x\", a, b, c, d);")]
    [InlineData("commit 26f11a98e7b054f824f553098a5bc0dace8654c5 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void HashesIdentifiersPathsAndFormats_AreNotDecoded(string text) =>
        Assert.Empty(EncodedText.Find(text));

    [Fact]
    public void RandomBytes_InBase64OrHex_AreNotDecoded()
    {
        var random = RandomNumberGenerator.GetBytes(48);
        Assert.Empty(EncodedText.Find($"a: {Convert.ToBase64String(random)}\nb: {Convert.ToHexString(random)}\n"));
    }

    [Fact]
    public void EndToEnd_TheFindingPointsAtTheEncodedText_AndItsEvidenceIsMasked()
    {
        var root = Directory.CreateTempSubdirectory("sfi-decode-").FullName;
        try
        {
            var encoded = Base64("github_token=" + Token);
            File.WriteAllText(Path.Combine(root, "app.env"), $"# settings\nBLOB={encoded}\n");
            var scanner = new RepositoryScanner([new SecretAnalyzer(SecretRuleCatalog.Default)], new FakeTimeProvider(RuleExampleTests.Today));
            var finding = Assert.Single(scanner.Scan(new ScanRequest { Path = root }).Findings);
            Assert.Equal(new Region(2, 6, 2, 6 + encoded.Length), finding.Location.Region);
            Assert.Equal("base64", finding.Properties[SecretAnalyzer.EncodingProperty]);
            var evidence = finding.Evidence!.ToString();
            Assert.DoesNotContain(Token, evidence, StringComparison.Ordinal);
            Assert.DoesNotContain(encoded, evidence, StringComparison.Ordinal);
            Assert.StartsWith("ghp_", evidence, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
