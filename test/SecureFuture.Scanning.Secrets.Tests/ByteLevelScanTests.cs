using System.Text;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// An ASCII file is scanned on its bytes, never decoded to UTF-16 unless a match needs its context: the encoded-value
/// search on bytes must find exactly what the search on text finds, and a file with keywords but no secret must come
/// out of the analyzer undecoded (that is the memory and time a scan of a large tree saves).
/// </summary>
public sealed class ByteLevelScanTests
{
    [Fact]
    public void EncodedValues_FoundOnAsciiBytes_AreThoseFoundOnTheText()
    {
        // Base64 and hex runs of every length around the minimum, padding, both alphabets, percent tokens with and
        // without valid escapes, glued to the characters that end tokens and runs: where the two searches could part.
        var random = new Random(23);
        string[] pieces =
        [
            Convert.ToBase64String(Encoding.ASCII.GetBytes("password=hunter2-and-more")),
            Convert.ToBase64String(Encoding.ASCII.GetBytes("user:secret")).TrimEnd('='),
            Convert.ToHexStringLower(Encoding.ASCII.GetBytes("api_key = abcdefgh")),
            Uri.EscapeDataString("token=a b&c=d/e?f"),
            "%41%42%43%44%45", "%zz%4", "abcdefghijklmnopqrstuvwxyz012345", "AAAAAAAAAAAAAAAAAAAA==", "=", "==", "%",
            " ", "\t", "\n", "\r\n", "\"", "'", "(", ")", "<", ">", "{", "}", "[", "]", "\\", "`", "-", "_", "+", "/",
        ];
        for (var round = 0; round < 300; round++)
        {
            var text = new StringBuilder();
            while (text.Length < 3_000)
            {
                var piece = pieces[random.Next(pieces.Length)];
                text.Append(random.Next(4) == 0 ? piece[random.Next(piece.Length)..] : piece);
            }

            var s = text.ToString();
            Assert.Equal(EncodedText.Find(s), EncodedText.Find(Encoding.ASCII.GetBytes(s)));
        }
    }

    [Fact]
    public void AsciiFile_WithKeywordsAndEncodedRuns_ButNoSecret_IsNeverDecoded()
    {
        // C-header-like text: keywords (password, token, secret) on many lines, base64-looking identifiers and a
        // percent sign, as /usr/include has them. The detectors read the bytes and the few lines around keywords.
        var text = string.Concat(Enumerable.Range(0, 200).Select(i =>
            $"#define PASSWORD_MAX_LENGTH_{i} 64\nextern int secret_token_count_{i}; /* printf(\"%d\", x) */\nstatic const char *ABCDEFGHIJKLMNOPQRSTUV_{i};\n"));
        var target = ScanTarget.FromUtf8("include/auth.h", Encoding.ASCII.GetBytes(text));
        var sink = new RuleExampleTests.CollectingSink();
        new SecretAnalyzer(SecretRuleCatalog.Default).Analyze(target, sink, CancellationToken.None);
        Assert.Empty(sink.Detections);
        Assert.False(target.IsDecoded);
    }

    [Fact]
    public void AsciiFile_WithASecret_ReportsTheTextsOffsets()
    {
        var text = "line one\n\tconfig:\r\n  github_token: \"" + DecodingTestsToken + "\"\n  blob: " +
            Convert.ToBase64String(Encoding.ASCII.GetBytes("github_token=" + DecodingTestsToken)) + "\n";
        var detections = RuleExampleTests.ScanBothWays(new SecretAnalyzer(SecretRuleCatalog.Default), text, "deploy/values.yaml");
        Assert.Equal(2, detections.Count);
        Assert.Contains(DecodingTestsToken, text.Substring(detections[0].Start, detections[0].Length), StringComparison.Ordinal);
        Assert.Equal(text.IndexOf("blob: ", StringComparison.Ordinal) + 6, detections[1].Start);
    }

    private static readonly string DecodingTestsToken = "ghp_" + "Zq4Yb7Ld2Xv9Ns6Wm1Pz8Tc3Rj5Hf0" + SecureFuture.Scanning.Secrets.Validators.GitHubChecksumValidator.Checksum("Zq4Yb7Ld2Xv9Ns6Wm1Pz8Tc3Rj5Hf0");
}
