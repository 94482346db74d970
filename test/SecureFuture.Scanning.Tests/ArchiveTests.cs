using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Tests;

/// <summary>
/// Archives met in the walk: opened by their magic bytes, entries named <c>archive!/path</c>, and every hostile shape
/// (bomb, zip slip, truncation, encryption, deep nesting, too many entries) a notification while the scan goes on.
/// The archives are built here; the analyzer finds TOKEN=... (see <see cref="RepositoryScannerTests.TokenAnalyzer"/>).
/// </summary>
public sealed class ArchiveTests : IDisposable
{
    private const string Planted = "TOKEN=abcdefghijklmnop";
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-archive-").FullName;
    private readonly RepositoryScanner _scanner = new([new RepositoryScannerTests.TokenAnalyzer()], new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero)));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void CompressedFile_IsExpandedIntoOneBufferOfItsDeclaredSize()
    {
        // A gzip member declares its size (ISIZE): reading it into a buffer that doubles as it fills allocated about
        // three times the content, in arrays only a full collection frees, and the scan decoded it to UTF-16 on top;
        // on /usr/share/doc that was the peak memory. Now: the content once, and no text nobody asks for.
        var random = new Random(3);
        var content = new byte[6 << 20];
        for (var i = 0; i < content.Length; i++)
        {
            content[i] = (byte)(i % 80 == 79 ? '\n' : 'a' + random.Next(26));
        }

        var compressed = Gzip(content);
        File.WriteAllBytes(Path.Combine(_root, "notes.txt.gz"), compressed);
        var scanner = new RepositoryScanner([new IgnoringAnalyzer()], TimeProvider.System);
        var request = new ScanRequest { Path = _root, Parallelism = 1 };
        _ = scanner.Scan(request);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var run = scanner.Scan(request);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1, run.Statistics["archiveEntriesScanned"]);
        Assert.InRange(allocated, content.Length, content.Length + compressed.Length + (1 << 20));
    }

    private sealed class IgnoringAnalyzer : IContentAnalyzer
    {
        public IReadOnlyList<RuleDescriptor> Rules => [];

        public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
        {
        }
    }

    internal static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    internal static byte[] Tar(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        return buffer.ToArray();
    }

    internal static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return buffer.ToArray();
    }

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private AnalysisRun Scan(string name, byte[] bytes, ArchiveLimits? limits = null)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return _scanner.Scan(new ScanRequest { Path = _root, Archives = limits ?? new ArchiveLimits() });
    }

    [Theory]
    [InlineData("lib/app.jar")]
    [InlineData("site.war")]
    [InlineData("Contoso.Client.1.0.0.nupkg")]
    [InlineData("contoso-1.0-py3-none-any.whl")]
    [InlineData("app.apk")]
    [InlineData("no-extension")]
    public void ZipEntry_IsScanned_AndNamedInsideItsArchive(string name)
    {
        var run = Scan(name, Zip(("conf/app.env", Text("x=1\n" + Planted + "\n"))));
        var finding = Assert.Single(run.Findings);
        Assert.Equal(name + "!/conf/app.env", finding.Location.Path);
        Assert.Equal(2, finding.Location.Region!.StartLine);
        Assert.Equal(1, run.Statistics["archivesOpened"]);
        Assert.Equal(1, run.Statistics["archiveEntriesScanned"]);
    }

    [Fact]
    public void TarGzipAndTarGz_AreOpened_TarGzAsOneArchive()
    {
        var tar = Tar(("etc/app.env", Text(Planted)));
        Scan("bundle.tar.gz", Gzip(tar));
        Scan("bundle.tgz", Gzip(tar));
        Scan("plain.tar", tar);
        var run = Scan("notes.txt.gz", Gzip(Text("notes\n" + Planted)));
        Assert.Equal(
            ["bundle.tar.gz!/etc/app.env", "bundle.tgz!/etc/app.env", "notes.txt.gz!/notes.txt", "plain.tar!/etc/app.env"],
            run.Findings.Select(f => f.Location.Path));
        Assert.Empty(run.Notifications);
    }

    [Fact]
    public void NestedFiveDeep_IsFound_SixDeep_IsANotification()
    {
        var inner = Zip(("deep/app.env", Text(Planted)));
        for (var level = 4; level >= 1; level--)
        {
            inner = Zip(($"level{level}.jar", inner));
        }

        var run = Scan("five.zip", inner);
        Assert.Equal("five.zip!/level1.jar!/level2.jar!/level3.jar!/level4.jar!/deep/app.env", Assert.Single(run.Findings).Location.Path);

        File.Delete(Path.Combine(_root, "five.zip"));
        run = Scan("six.zip", Zip(("level0.zip", inner)));
        Assert.Empty(run.Findings);
        var note = Assert.Single(run.Notifications);
        Assert.Equal("archive-too-deep", note.Id);
        Assert.Equal("six.zip!/level0.zip!/level1.jar!/level2.jar!/level3.jar!/level4.jar", note.Path);
    }

    [Fact]
    public void ZipBomb_IsANotification_AndTheRestOfTheTreeIsScanned()
    {
        // 64 MB of zeros deflate to about 64 KB: a ratio of about 1,000, far over the limit of 100.
        var bomb = Zip(("zeros.bin", new byte[64 * 1024 * 1024]), ("after.env", Text(Planted)));
        File.WriteAllText(Path.Combine(_root, "app.env"), Planted);
        var run = Scan("bomb.zip", bomb);
        Assert.Equal(["app.env"], run.Findings.Select(f => f.Location.Path));
        var note = Assert.Single(run.Notifications);
        Assert.Equal("archive-bomb", note.Id);
        Assert.Equal("bomb.zip", note.Path);
        Assert.Contains("bomb.zip!/zeros.bin", note.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManyEntriesAndLargeExpansion_StopTheArchive_WithANotification()
    {
        var entries = Enumerable.Range(0, 50).Select(i => ($"f{i:D2}.env", Text(Planted))).ToArray();
        var run = Scan("many.zip", Zip(entries), new ArchiveLimits { MaxEntries = 10 });
        Assert.Equal(10, run.Findings.Count);
        Assert.Equal("archive-too-many-entries", Assert.Single(run.Notifications).Id);

        // Nested archives count towards the expansion of the archive on disk (42.zip's trick is many small layers).
        var layer = Zip(("a.env", Text(Planted + new string(' ', 4000))));
        var wide = Zip([.. Enumerable.Range(0, 20).Select(i => ($"part{i:D2}.zip", layer))]);
        File.Delete(Path.Combine(_root, "many.zip"));
        run = Scan("wide.zip", wide, new ArchiveLimits { MaxExpandedBytes = 30_000 });
        Assert.InRange(run.Findings.Count, 1, 9);
        Assert.Equal("archive-too-large", Assert.Single(run.Notifications).Id);
    }

    [Fact]
    public void ZipSlipNames_AreCleaned_AndReported()
    {
        var run = Scan("evil.zip", Zip(("../../etc/app.env", Text(Planted)), ("/abs/b.env", Text(Planted)), ("C:\\win\\c.env", Text(Planted))));
        Assert.Equal(["evil.zip!/abs/b.env", "evil.zip!/etc/app.env", "evil.zip!/win/c.env"], run.Findings.Select(f => f.Location.Path));
        Assert.Equal(3, run.Notifications.Count(n => n.Id == "archive-entry-name-unsafe"));
        Assert.All(run.Findings, f => Assert.DoesNotContain("..", f.Location.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void TruncatedArchives_AreNotifications()
    {
        var zip = Zip(("a.env", Text(Planted)), ("b.env", Text(Planted + new string('x', 5000))));
        var targz = Gzip(Tar(("a.env", Text(Planted)), ("b.bin", new byte[200_000])));
        Scan("cut.zip", zip[..(zip.Length / 2)]);
        var run = Scan("cut.tar.gz", targz[..(targz.Length / 2)]);
        Assert.Equal(["cut.tar.gz", "cut.zip"], run.Notifications.Where(n => n.Id == "archive-unreadable").Select(n => n.Path));
    }

    [Fact]
    public void EncryptedEntry_IsANotification_AndTheOtherEntriesAreScanned()
    {
        var zip = Zip(("locked.env", Text(Planted)), ("open.env", Text(Planted)));
        SetEncryptedFlag(zip, "locked.env");
        var run = Scan("mixed.zip", zip);
        Assert.Equal(["mixed.zip!/open.env"], run.Findings.Select(f => f.Location.Path));
        var note = Assert.Single(run.Notifications);
        Assert.Equal(("archive-entry-encrypted", "mixed.zip!/locked.env"), (note.Id, note.Path));
    }

    [Fact]
    public void ArchivesOff_LeavesThemUnopened()
    {
        var run = Scan("app.jar", Zip(("a.env", Text(Planted))), new ArchiveLimits { MaxDepth = 0 });
        Assert.Empty(run.Findings);
        Assert.False(run.Statistics.ContainsKey("archivesOpened"));
    }

    [Fact]
    public void CorruptedArchives_NeverThrow_AndStayWithinTheirLimits()
    {
        // A small mutation fuzz: bytes of valid archives overwritten at random (seeded, so a failure reproduces).
        var samples = new[]
        {
            Zip(("a.env", Text(Planted)), ("b/c.env", Text(Planted + new string('x', 3000))), ("inner.jar", Zip(("d.env", Text(Planted))))),
            Gzip(Tar(("a.env", Text(Planted)), ("b.bin", new byte[20_000]))),
            Tar(("a.env", Text(Planted)), ("nested.tgz", Gzip(Tar(("b.env", Text(Planted)))))),
        };
        var random = new Random(17);
        var limits = new ArchiveLimits { MaxExpandedBytes = 4 * 1024 * 1024 };
        for (var round = 0; round < 600; round++)
        {
            var bytes = (byte[])samples[round % samples.Length].Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            long visited = 0;
            var expander = new ArchiveExpander(limits, 1024 * 1024, (_, content) => visited += content.Length, _ => { });
            expander.Expand("fuzz.bin", bytes);
            Assert.InRange(visited, 0, limits.MaxExpandedBytes);
        }
    }

    /// <summary>Sets bit 0 of the general purpose flag (APPNOTE.TXT §4.4.4) in the entry's local and central headers.</summary>
    private static void SetEncryptedFlag(byte[] zip, string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        for (var i = 0; i + 46 < zip.Length; i++)
        {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4 && zip.AsSpan(i + 30, nameBytes.Length).SequenceEqual(nameBytes))
            {
                zip[i + 6] |= 1;
            }

            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2 && zip.AsSpan(i + 46, nameBytes.Length).SequenceEqual(nameBytes))
            {
                zip[i + 8] |= 1;
            }
        }
    }
}
