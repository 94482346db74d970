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

    [Fact]
    public void EncodedValues_FoundOnUtf8Bytes_AreThoseFoundOnTheText()
    {
        // Non-ASCII characters (two, three and four UTF-8 bytes, a surrogate pair in UTF-16) glued to runs and percent
        // tokens: offsets after them differ between bytes and characters, and a token with one is not percent-encoded.
        var random = new Random(29);
        string[] pieces =
        [
            Convert.ToBase64String(Encoding.ASCII.GetBytes("password=hunter2-and-more")),
            Convert.ToHexStringLower(Encoding.ASCII.GetBytes("api_key = abcdefgh")),
            Uri.EscapeDataString("token=a b&c=d/e?f"), "%41%42%43%44%45", "\u00e9%41%42%43%44%45", "%41%42%43%44%45\u00fc",
            "abcdefghijklmnopqrstuvwxyz012345", "AAAAAAAAAAAAAAAAAAAA==", "\u00e9", "\u20ac", "\U0001F600", "\u212A", "\uFEFF",
            " ", "\n", "\r\n", "\r", "\"", "(", "=", "%", "-", "_", "/",
        ];
        for (var round = 0; round < 300; round++)
        {
            var text = new StringBuilder();
            while (text.Length < 3_000)
            {
                text.Append(pieces[random.Next(pieces.Length)]);
            }

            var s = text.ToString();
            Assert.Equal(EncodedText.Find(s), EncodedText.Find(Encoding.UTF8.GetBytes(s)));
        }
    }

    [Fact]
    public void EncodedValues_FoundOnInvalidUtf8_AreThoseFoundOnItsDecodedText()
    {
        // Bytes no decoder accepts (a lone continuation byte, 0xFF, a sequence cut short by an ASCII byte, an overlong
        // slash, a UTF-16 surrogate) each become U+FFFD in the text: one character for one or more bytes.
        var random = new Random(31);
        byte[][] pieces =
        [
            Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.ASCII.GetBytes("password=hunter2-and-more"))),
            "%41%42%43%44%45"u8.ToArray(), [0x80], [0xFF], [0xE2, 0x82], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98],
            "\u00e9"u8.ToArray(), " "u8.ToArray(), "\n"u8.ToArray(), "="u8.ToArray(), "QUJD"u8.ToArray(),
        ];
        for (var round = 0; round < 300; round++)
        {
            var bytes = new List<byte>();
            while (bytes.Count < 2_000)
            {
                bytes.AddRange(pieces[random.Next(pieces.Length)]);
            }

            var content = bytes.ToArray();
            Assert.Equal(EncodedText.Find(Encoding.UTF8.GetString(content)), EncodedText.Find(content));
        }
    }

    [Fact]
    public void Base64OfReadableText_InEitherAlphabet_IsFoundAndDecoded_OnBytesAndOnText()
    {
        // What the cheap looks before decoding (the first characters, the first decoded bytes) must never turn away:
        // base64 of text whose first 12 bytes (16 characters, the shortest run) are printable ASCII, the rest any
        // readable text (tabs, line breaks, accents, emoji), padded or not, in the standard and the URL-safe alphabet.
        var random = new Random(37);
        const string Printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
        string[] rest = ["\t", "\n", "\r\n", "\u00e9", "\u20ac", "\U0001F600", "x", "=", " "];
        for (var round = 0; round < 2_000; round++)
        {
            var plain = new StringBuilder();
            for (var i = 0; i < 12; i++)
            {
                plain.Append(Printable[random.Next(Printable.Length)]);
            }

            for (var i = random.Next(20); i > 0; i--)
            {
                plain.Append(random.Next(2) == 0 ? rest[random.Next(rest.Length)] : Printable[random.Next(Printable.Length)].ToString());
            }

            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(plain.ToString()));
            if (random.Next(2) == 0)
            {
                encoded = encoded.Replace('+', '-').Replace('/', '_').TrimEnd('=');
            }

            var text = "value: " + encoded + "\n";
            var found = EncodedText.Find(text);
            if (found is [{ Encoding: "hex" }])
            {
                continue; // an even run of hex digits is decoded as hex first, by design
            }

            Assert.True(found is [{ Encoding: "base64" }] && found[0].Decoded == plain.ToString(), $"{encoded} ({plain})");
            Assert.Equal(found, EncodedText.Find(Encoding.ASCII.GetBytes(text)));
        }
    }

    [Fact]
    public void Base64Runs_AroundTheEdgesOfTheBlocksSearchedAtOnce_AreThoseFoundOnTheText()
    {
        // The byte search looks at 64 bytes at a time and moves on by 49: runs one shorter, as long as and one longer
        // than the minimum, at every offset across the first blocks and at the end of the input.
        var run = Convert.ToBase64String(Encoding.ASCII.GetBytes("user=admin;password=hunter2;host=db"));
        for (var length = EncodedText.MinLength - 1; length <= EncodedText.MinLength + 1; length++)
        {
            for (var offset = 0; offset < 120; offset++)
            {
                foreach (var tail in new[] { string.Empty, ".", new string('.', 60) })
                {
                    var s = new string('.', offset) + run[..length] + tail + (offset % 2 == 0 ? run : string.Empty);
                    Assert.Equal(EncodedText.Find(s), EncodedText.Find(Encoding.ASCII.GetBytes(s)));
                }
            }
        }
    }

    [Fact]
    public void NonAsciiUtf8_WithSecrets_ReportsTheTextsOffsets()
    {
        // Keyword lines, windows and encoded values after characters of two, three and four bytes, CRLF and lone CR
        // line ends: the bytes are searched, the findings are where the text has them.
        var encoded = Convert.ToBase64String(Encoding.ASCII.GetBytes("github_token=" + DecodingTestsToken));
        foreach (var text in new[]
                 {
                     "# r\u00e9sum\u00e9 \u20ac \U0001F600\r\ngithub_token: \"" + DecodingTestsToken + "\"\r\nblob: " + encoded + "\r\n",
                     "\u00a9 2026\rpassword = \"Zr8kQ2mV5xT9wB3nL7pC\" # Kelvin: \u212A, long s: \u017F\r\u4e2d\u6587 blob: " + encoded,
                     "\uFEFF\u017Fecret = \"p8Lw2Qz7Rk4Tn9Vb3Xc6\"\n\u00fc token = \"p8Lw2Qz7Rk4Tn9Vb3Xc6\"\n\U0001F511 " + DecodingTestsToken,
                 })
        {
            var detections = RuleExampleTests.ScanBothWays(new SecretAnalyzer(SecretRuleCatalog.Default), text, "app/settings.yaml");
            Assert.NotEmpty(detections);
            Assert.All(detections, d => Assert.InRange(d.Start + d.Length, 1, text.Length));
        }
    }

    [Fact]
    public void InvalidUtf8_WithSecrets_ReportsWhatItsDecodedTextReports()
    {
        var analyzer = new SecretAnalyzer(SecretRuleCatalog.Default);
        var line = "github_token: \"" + DecodingTestsToken + "\"\nblob: " + Convert.ToBase64String(Encoding.ASCII.GetBytes("github_token=" + DecodingTestsToken)) + "\n";
        byte[][] invalid = [[0x80], [0xFF, 0xFE, 0x41], [0xE2, 0x82], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], [0xC3]];
        foreach (var bad in invalid)
        {
            byte[] content = [.. bad, .. "x "u8, .. bad, .. "\r\n"u8, .. Encoding.UTF8.GetBytes(line), .. bad, .. Encoding.UTF8.GetBytes(line)];
            var fromBytes = new RuleExampleTests.CollectingSink();
            analyzer.Analyze(ScanTarget.FromUtf8("deploy/values.yaml", content), fromBytes, CancellationToken.None);
            var fromText = new RuleExampleTests.CollectingSink();
            analyzer.Analyze(new ScanTarget("deploy/values.yaml", Encoding.UTF8.GetString(content)), fromText, CancellationToken.None);
            Assert.Equal(4, fromText.Detections.Count);
            Assert.Equal(fromText.Detections.Select(RuleExampleTests.Describe), fromBytes.Detections.Select(RuleExampleTests.Describe));
        }
    }

    [Fact]
    public void NonAsciiUtf8File_WithKeywordsAndEncodedRuns_ButNoSecret_IsNeverDecoded()
    {
        // The same C-header-like text with a copyright sign and accented names: it used to be decoded whole for the
        // keyword and encoded-value searches on text.
        var text = string.Concat(Enumerable.Range(0, 200).Select(i =>
            $"/* \u00a9 Jos\u00e9 M\u00fcller {i} */\n#define PASSWORD_MAX_LENGTH_{i} 64\nextern int secret_token_count_{i}; /* printf(\"%d\", x) */\nstatic const char *ABCDEFGHIJKLMNOPQRSTUV_{i};\n"));
        var target = ScanTarget.FromUtf8("include/auth.h", Encoding.UTF8.GetBytes(text));
        var sink = new RuleExampleTests.CollectingSink();
        new SecretAnalyzer(SecretRuleCatalog.Default).Analyze(target, sink, CancellationToken.None);
        Assert.Empty(sink.Detections);
        Assert.False(target.IsDecoded);
    }

    private static readonly string DecodingTestsToken = "ghp_" + "Zq4Yb7Ld2Xv9Ns6Wm1Pz8Tc3Rj5Hf0" + SecureFuture.Scanning.Secrets.Validators.GitHubChecksumValidator.Checksum("Zq4Yb7Ld2Xv9Ns6Wm1Pz8Tc3Rj5Hf0");
}
