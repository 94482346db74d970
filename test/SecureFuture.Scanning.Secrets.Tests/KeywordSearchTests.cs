using System.Text;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// The byte-level keyword search must find exactly what the reference search on UTF-16 text finds (same positions,
/// same keywords, same order): on random text made of the catalogue's keywords, on real files, at the edges of the
/// input, and on UTF-8 with non-ASCII characters (at byte offsets that count to the text's).
/// </summary>
public sealed class KeywordSearchTests
{
    private static readonly KeywordSearch Catalogue = new(
        [.. SecretRuleCatalog.Default.Rules.SelectMany(r => r.Keywords).Distinct(StringComparer.OrdinalIgnoreCase)]);

    private static List<KeywordHit> Reference(KeywordSearch search, string text)
    {
        var hits = new List<KeywordHit>();
        search.FindInText(text, hits);
        return hits;
    }

    private static List<KeywordHit> Bytes(KeywordSearch search, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.True(Ascii.IsValid(bytes));
        var hits = new List<KeywordHit>();
        search.FindInUtf8(bytes, hits);
        return hits;
    }

    [Fact]
    public void TheCatalogueKeywords_CanBeSearchedAsBytes() => Assert.True(Catalogue.CanSearchBytes);

    [Fact]
    public void RandomTextOfKeywordPieces_GivesTheReferenceHits()
    {
        // Keywords whole, cut short, in random case, glued to each other and to noise: overlaps, prefixes of one
        // another and near misses are where a fingerprint search goes wrong.
        var random = new Random(17);
        var keywords = Catalogue.Keywords;
        const string Noise = "abcxyzABCXYZ0123456789_-.:/=$~+ \t\r\n\"'";
        for (var round = 0; round < 200; round++)
        {
            var text = new StringBuilder();
            while (text.Length < 4_000)
            {
                var piece = random.Next(4) switch
                {
                    0 => keywords[random.Next(keywords.Count)],
                    1 => keywords[random.Next(keywords.Count)][..^1],
                    2 => keywords[random.Next(keywords.Count)][random.Next(2)..],
                    _ => new string(Noise[random.Next(Noise.Length)], 1 + random.Next(3)),
                };
                foreach (var c in piece)
                {
                    text.Append(random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
                }
            }

            var s = text.ToString();
            var expected = Reference(Catalogue, s);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, Bytes(Catalogue, s));
        }
    }

    [Fact]
    public void RandomBytes_GiveTheReferenceHits()
    {
        var random = new Random(42);
        var bytes = new byte[200_000];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.Next(0x20, 0x7F);
        }

        var text = Encoding.ASCII.GetString(bytes);
        Assert.Equal(Reference(Catalogue, text), Bytes(Catalogue, text));
    }

    [Theory]
    [InlineData("pat")]
    [InlineData("PAT")]
    [InlineData("x pat")]
    [InlineData("pa")]
    [InlineData("")]
    [InlineData("ghp_ghp_")]
    [InlineData("-----BEGIN RSA PRIVATE KEY")]
    [InlineData("-----BEGIN RSA PRIVATE KE")]
    public void KeywordsAtTheEdgesOfTheInput_GiveTheReferenceHits(string text) =>
        Assert.Equal(Reference(Catalogue, text), Bytes(Catalogue, text));

    [Fact]
    public void OverlappingKeywordsAtOnePosition_AreAllReported_InListOrder()
    {
        var search = new KeywordSearch(["password", "pass", "ASSWORD", "word"]);
        Assert.Equal(
            [new KeywordHit(2, 0), new KeywordHit(2, 1), new KeywordHit(3, 2), new KeywordHit(6, 3)],
            Bytes(search, "x PassWord"));
        Assert.Equal(Reference(search, "x PassWord"), Bytes(search, "x PassWord"));
    }

    [Fact]
    public void RealFiles_GiveTheReferenceHits()
    {
        // This repository's own sources, rules and samples: real text, mostly ASCII, with many keyword hits.
        var root = RepositoryRoot();
        var files = new[] { "src", "rules", "samples", "docs" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var compared = 0;
        var hits = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            if (!Ascii.IsValid(bytes))
            {
                continue;
            }

            var text = Encoding.ASCII.GetString(bytes);
            var expected = Reference(Catalogue, text);
            var actual = new List<KeywordHit>();
            Catalogue.FindInUtf8(bytes, actual);
            Assert.True(expected.SequenceEqual(actual), file);
            compared++;
            hits += expected.Count;
        }

        Assert.True(compared > 500 && hits > 10_000, $"only {compared} files with {hits} hits compared");
    }

    [Fact]
    public void NonAsciiText_FindsWhatTheTextFinds()
    {
        // Characters a case-insensitive comparison might be thought to fold onto ASCII letters (Kelvin sign, long s):
        // the analyzer reads such a file's bytes and must report what the text path reports.
        var analyzer = new SecretAnalyzer(SecretRuleCatalog.Default);
        foreach (var text in new[]
                 {
                     "// © 2026\nAWS_SECRET_ACCESS_KEY = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\"\n",
                     "password = \"Zr8kQ2mV5xT9wB3nL7pC\" # Kelvin: \u212A, long s: \u017F\n",
                     "\u017Fecret = \"p8Lw2Qz7Rk4Tn9Vb3Xc6\"\ntoken = \"p8Lw2Qz7Rk4Tn9Vb3Xc6\"\n",
                 })
        {
            _ = RuleExampleTests.ScanBothWays(analyzer, text, "app/settings.py");
        }
    }

    [Fact]
    public void KeywordsAtEveryOffsetOfTheVectorLoop_GiveTheReferenceHits()
    {
        // The byte search probes eight positions per step while 20 bytes are left, then four, then one: a keyword
        // (the shortest and a long one) at every offset of inputs that end in each of those loops.
        foreach (var keyword in new[] { "pat", "PWD", "-----BEGIN RSA PRIVATE KEY", "secret_key" })
        {
            for (var length = keyword.Length; length < 56; length++)
            {
                for (var at = 0; at + keyword.Length <= length; at++)
                {
                    var text = new string('.', at) + keyword + new string(' ', length - at - keyword.Length);
                    var expected = Reference(Catalogue, text);
                    Assert.NotEmpty(expected);
                    Assert.Equal(expected, Bytes(Catalogue, text));
                }
            }
        }
    }

    [Fact]
    public void Utf8Bytes_GiveTheReferenceHits_AtTheirCharacterOffsets()
    {
        // Non-ASCII UTF-8 is searched as bytes too: a keyword is ASCII and ordinal case-insensitive comparison never
        // equates a non-ASCII character (Kelvin sign, long s, dotless i ...) with an ASCII one, so the hits are the
        // text's, at byte offsets that count in characters to the text's offsets.
        var random = new Random(19);
        var keywords = Catalogue.Keywords;
        string[] noise = ["\u00e9", "\u20ac", "\U0001F600", "\u212A", "\u017F", "\u0131", "\u0130", "\uFEFF", " ", "\r\n", "_", "x"];
        for (var round = 0; round < 200; round++)
        {
            var text = new StringBuilder();
            while (text.Length < 3_000)
            {
                var piece = random.Next(3) == 0 ? keywords[random.Next(keywords.Count)] : noise[random.Next(noise.Length)];
                text.Append(random.Next(2) == 0 ? piece.ToUpperInvariant() : piece);
            }

            var s = text.ToString();
            var utf8 = Encoding.UTF8.GetBytes(s);
            var hits = new List<KeywordHit>();
            Catalogue.FindInUtf8(utf8, hits);
            var offsets = default(CharacterOffsets);
            var expected = Reference(Catalogue, s);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, hits.Select(h => h with { Position = offsets.Of(utf8, h.Position) }));
        }
    }

    [Fact]
    public void ShortOrNonAsciiKeywords_DisableTheByteSearch()
    {
        Assert.False(new KeywordSearch(["ab", "password"]).CanSearchBytes);
        Assert.False(new KeywordSearch(["pässword"]).CanSearchBytes);
        Assert.Throws<InvalidOperationException>(() => new KeywordSearch(["ab"]).FindInUtf8("ab"u8, []));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SecureFuture.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SecureFuture.slnx not found above " + AppContext.BaseDirectory);
    }
}
