using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Tests;

/// <summary>
/// The orchestrator with a tiny analyzer (finds the word TOKEN=...); the real secret analyzer is tested in
/// SecureFuture.Scanning.Secrets.Tests and end to end in SecureFuture.Cli.Tests.
/// </summary>
public sealed class RepositoryScannerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-scan-").FullName;
    private readonly RepositoryScanner _scanner = new([new TokenAnalyzer()], new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero)));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Finding_HasRegionFingerprintsAndMaskedEvidence_NeverTheSecret()
    {
        File.WriteAllText(Path.Combine(_root, "a.env"), "x=1\nTOKEN=abcdefghijklmnop\n");
        var finding = Assert.Single(_scanner.Scan(new ScanRequest { Path = _root }).Findings);
        Assert.Equal(new Region(2, 1, 2, 23), finding.Location.Region);
        Assert.Equal(LineHash.Compute("x=1\nTOKEN=abcdefghijklmnop\n")[1], finding.Fingerprints.PrimaryLocationLineHash);
        Assert.Equal(16, finding.Evidence!.Length);
        Assert.DoesNotContain("abcdefghijklmnop", finding.Evidence.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ContentFingerprint_SurvivesLineMoves()
    {
        var path = Path.Combine(_root, "a.env");
        File.WriteAllText(path, "TOKEN=abcdefghijklmnop\n");
        var before = Assert.Single(_scanner.Scan(new ScanRequest { Path = _root }).Findings);
        File.WriteAllText(path, "# new header\n\nTOKEN=abcdefghijklmnop\n");
        var after = Assert.Single(_scanner.Scan(new ScanRequest { Path = _root }).Findings);
        Assert.Equal(before.Fingerprints.Content, after.Fingerprints.Content);
        Assert.Equal(before.Fingerprints.PrimaryLocationLineHash, after.Fingerprints.PrimaryLocationLineHash);
        Assert.NotEqual(before.Location.Region!.StartLine, after.Location.Region!.StartLine);
    }

    [Fact]
    public void InvalidUtf8AndLongLines_AreScanned_BinaryIsSkipped()
    {
        File.WriteAllBytes(Path.Combine(_root, "latin1.txt"), [0x63, 0x61, 0x66, 0xE9, 0x0A, .. "TOKEN=abcdefghijklmnop"u8]);
        File.WriteAllText(Path.Combine(_root, "long.txt"), new string('x', 100_000) + " TOKEN=abcdefghijklmnop");
        File.WriteAllBytes(Path.Combine(_root, "bin.dat"), [0, 1, 2, .. "TOKEN=abcdefghijklmnop"u8]);
        var run = _scanner.Scan(new ScanRequest { Path = _root });
        Assert.Equal(["latin1.txt", "long.txt"], run.Findings.Select(f => f.Location.Path));
        Assert.Equal(1, run.Statistics["filesSkippedBinary"]);
    }

    [Fact]
    public void Analyzers_GetTheUtf8BytesTheTextCameFrom_WithoutByteOrderMark_AndNoneForUtf16()
    {
        // An analyzer that searches the bytes instead of the text (the secret detectors) must get exactly the bytes
        // that decode to the text it reports offsets in, or its findings would point elsewhere.
        File.WriteAllBytes(Path.Combine(_root, "plain.txt"), "TOKEN=abcdefghijklmnop"u8.ToArray());
        File.WriteAllBytes(Path.Combine(_root, "bom.txt"), [0xEF, 0xBB, 0xBF, .. "TOKEN=abcdefghijklmnop"u8]);
        File.WriteAllBytes(Path.Combine(_root, "utf16.txt"), [0xFF, 0xFE, .. System.Text.Encoding.Unicode.GetBytes("TOKEN=abcdefghijklmnop")]);
        File.WriteAllText(Path.Combine(_root, "large.txt"), new string('x', 2 << 20) + " TOKEN=abcdefghijklmnop");
        var recorder = new BytesRecorder();
        _ = new RepositoryScanner([recorder], TimeProvider.System).Scan(new ScanRequest { Path = _root });
        Assert.Equal("TOKEN=abcdefghijklmnop"u8.ToArray(), recorder.Bytes["plain.txt"]);
        Assert.Equal("TOKEN=abcdefghijklmnop"u8.ToArray(), recorder.Bytes["bom.txt"]);
        Assert.Empty(recorder.Bytes["utf16.txt"]);
        Assert.Equal((2 << 20) + 23, recorder.Bytes["large.txt"].Length);
    }

    [Fact]
    public void Utf8Files_ReachAnalyzersUndecoded_AndTheirFindingsAreLocatedInTheText()
    {
        // Decoding every file to UTF-16 doubled the memory a file takes and was a large part of a scan's time; a file
        // is now decoded only if an analyzer or a finding needs its text, and then to the text it always was.
        File.WriteAllBytes(Path.Combine(_root, "a.c"), [.. "int caf"u8, 0xC3, 0xA9, .. ";\r\n/* "u8, 0xFF, .. " */ TOKEN=abcdefghijklmnop\n"u8]);
        File.WriteAllText(Path.Combine(_root, "b.c"), "int main(void) { return 0; }\n");
        var recorder = new BytesRecorder();
        var run = new RepositoryScanner([recorder, new TokenAnalyzer()], TimeProvider.System).Scan(new ScanRequest { Path = _root });
        Assert.Equal([false, false], recorder.Decoded.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value));
        var finding = Assert.Single(run.Findings);
        Assert.Equal(new Region(2, 9, 2, 31), finding.Location.Region);
        Assert.Equal(3, run.Statistics["linesOfCode.c"]);
    }

    private sealed class BytesRecorder : IContentAnalyzer
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Bytes { get; } = new();

        public System.Collections.Concurrent.ConcurrentDictionary<string, bool> Decoded { get; } = new();

        public IReadOnlyList<RuleDescriptor> Rules => [];

        public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
        {
            Bytes[target.Path] = target.Utf8.ToArray();
            Decoded[target.Path] = target.IsDecoded;
        }
    }

    [Fact]
    public void MissingPath_IsAnInputError() =>
        Assert.Throws<InputException>(() => _scanner.Scan(new ScanRequest { Path = Path.Combine(_root, "missing") }));

    [Fact]
    public void SingleFile_CanBeScanned()
    {
        var path = Path.Combine(_root, "one.txt");
        File.WriteAllText(path, "TOKEN=abcdefghijklmnop");
        Assert.Equal("one.txt", Assert.Single(_scanner.Scan(new ScanRequest { Path = path }).Findings).Location.Path);
    }

    [Fact]
    public void InlineSuppression_KeepsTheFindingButMarksIt()
    {
        File.WriteAllText(Path.Combine(_root, "a.env"), "TOKEN=abcdefghijklmnop # sfi:ignore TEST-001 until 2027-01-01 fixture\n");
        var run = _scanner.Scan(new ScanRequest { Path = _root });
        Assert.True(Assert.Single(run.Findings).IsSuppressed);
        Assert.False(run.TripsGate(Severity.Low));
    }

    [Fact]
    [Trait("Category", "Integration")] // git builds the history
    public void History_ReportsSecretsDeletedFromTheWorkingTree()
    {
        GitHistoryTests.Git(_root, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(_root, "a.env"), "one\nTOKEN=abcdefghijklmnop\n");
        GitHistoryTests.Git(_root, "add", ".");
        GitHistoryTests.Git(_root, "commit", "-q", "-m", "oops");
        File.WriteAllText(Path.Combine(_root, "a.env"), "one\n");
        GitHistoryTests.Git(_root, "commit", "-q", "-am", "remove");

        Assert.Empty(_scanner.Scan(new ScanRequest { Path = _root }).Findings);
        var finding = Assert.Single(_scanner.Scan(new ScanRequest { Path = _root, History = true }).Findings);
        Assert.Equal(2, finding.Location.Region!.StartLine);
        Assert.Equal(40, finding.Properties["commit"].Length);
        Assert.True(DateTimeOffset.TryParse(finding.Properties["date"], System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    [Trait("Category", "Integration")] // git builds the history
    public void History_HonoursSfiIgnore_ButNotGitIgnore()
    {
        GitHistoryTests.Git(_root, "init", "-q", "-b", "main");
        Directory.CreateDirectory(Path.Combine(_root, "fixtures"));
        File.WriteAllText(Path.Combine(_root, "fixtures", "fake.env"), "TOKEN=abcdefghijklmnop\n");
        File.WriteAllText(Path.Combine(_root, "local.env"), "TOKEN=qrstuvwxyzabcdef\n");
        File.WriteAllText(Path.Combine(_root, ".sfiignore"), "fixtures/\n");
        GitHistoryTests.Git(_root, "add", ".");
        GitHistoryTests.Git(_root, "commit", "-q", "-m", "add");
        File.WriteAllText(Path.Combine(_root, ".gitignore"), "local.env\n");
        GitHistoryTests.Git(_root, "rm", "-q", "--cached", "local.env");
        GitHistoryTests.Git(_root, "add", ".gitignore");
        GitHistoryTests.Git(_root, "commit", "-q", "-m", "ignore local.env");

        var history = _scanner.Scan(new ScanRequest { Path = _root, History = true });
        Assert.Equal(["local.env"], history.Findings.Select(f => f.Location.Path));
    }

    internal sealed class TokenAnalyzer : IContentAnalyzer
    {
        public IReadOnlyList<RuleDescriptor> Rules { get; } =
        [
            new RuleDescriptor { Id = "TEST-001", Name = "Token", DefaultSeverity = Severity.High, ShortDescription = "t", FullDescription = "t", HelpMarkdown = "t" },
        ];

        public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
        {
            var at = target.Text.IndexOf("TOKEN=", StringComparison.Ordinal);
            if (at >= 0)
            {
                sink.Report(new Detection("TEST-001", Severity.High, "Token found.", at, 22, target.Text.Substring(at + 6, 16)));
            }
        }
    }
}
