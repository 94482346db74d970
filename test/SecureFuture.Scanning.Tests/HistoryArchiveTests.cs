using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace SecureFuture.Scanning.Tests;

/// <summary>
/// Archives and other binary files in <c>--history</c> and <c>--staged</c> scans: git shows no lines for them, so
/// their committed content is read from the object store and scanned as in a directory scan, with the same limits.
/// A secret in an archive that was committed and deleted later is still in the history, and still leaked.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HistoryArchiveTests : IDisposable
{
    private const string Planted = "TOKEN=abcdefghijklmnop";
    private readonly string _repo = Directory.CreateTempSubdirectory("sfi-git-archive-").FullName;
    private readonly RepositoryScanner _scanner = new([new RepositoryScannerTests.TokenAnalyzer()], new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero)));

    public void Dispose() => Directory.Delete(_repo, recursive: true);

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private void Commit(string message, params (string Name, byte[]? Content)[] files)
    {
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(_repo, name);
            if (content is null)
            {
                File.Delete(path);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }

        GitHistoryTests.Git(_repo, "add", "-A");
        GitHistoryTests.Git(_repo, "commit", "-q", "-m", message);
    }

    private string Head()
    {
        var start = new System.Diagnostics.ProcessStartInfo("git", ["-C", _repo, "rev-parse", "HEAD"]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var head = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return head;
    }

    [Fact]
    public void ZipCommittedThenDeleted_IsExpanded_AndTheFindingNamesItsCommit()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        Commit("add the build output", ("lib/app.jar", ArchiveTests.Zip(("conf/app.env", Text("x=1\n" + Planted + "\n")))));
        var added = Head();
        Commit("remove it", ("lib/app.jar", null));

        var run = _scanner.Scan(new ScanRequest { Path = _repo, History = true });

        var finding = Assert.Single(run.Findings);
        Assert.Equal("lib/app.jar!/conf/app.env", finding.Location.Path);
        Assert.Equal(2, finding.Location.Region!.StartLine);
        Assert.Equal(added, finding.Properties["commit"]);
        Assert.True(finding.Properties.ContainsKey("date"));
        Assert.Equal(1, run.Statistics["archivesOpened"]);
    }

    [Fact]
    public void TarGzAndNupkgInHistory_AreOpened_NamesWithSpacesAndAndIncluded()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        Commit("bundles",
            ("dist/site and api.tar.gz", ArchiveTests.Gzip(ArchiveTests.Tar(("etc/app.env", Text(Planted))))),
            ("packages/Contoso.Client.1.0.0.nupkg", ArchiveTests.Zip(("content/appsettings.env", Text(Planted)))));

        var run = _scanner.Scan(new ScanRequest { Path = _repo, History = true });

        Assert.Equal(
            ["dist/site and api.tar.gz!/etc/app.env", "packages/Contoso.Client.1.0.0.nupkg!/content/appsettings.env"],
            run.Findings.Select(f => f.Location.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ModifiedArchive_IsScannedAsTheCommitLeftIt()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        Commit("clean", ("app.zip", ArchiveTests.Zip(("a.env", Text("x=1\n")))));
        Commit("leak", ("app.zip", ArchiveTests.Zip(("a.env", Text("x=1\n")), ("b.env", Text(Planted)))));
        var leak = Head();

        var run = _scanner.Scan(new ScanRequest { Path = _repo, History = true });

        var finding = Assert.Single(run.Findings);
        Assert.Equal("app.zip!/b.env", finding.Location.Path);
        Assert.Equal(leak, finding.Properties["commit"]);
    }

    [Fact]
    public void StagedArchive_IsExpanded_BeforeItIsCommitted()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        Commit("first", ("README.md", Text("hello\n")));
        File.WriteAllBytes(Path.Combine(_repo, "release.zip"), ArchiveTests.Zip(("deploy/prod.env", Text(Planted))));
        GitHistoryTests.Git(_repo, "add", "release.zip");

        var run = _scanner.Scan(new ScanRequest { Path = _repo, Staged = true });

        var finding = Assert.Single(run.Findings);
        Assert.Equal("release.zip!/deploy/prod.env", finding.Location.Path);
        Assert.Equal(GitHistory.StagedCommit, finding.Properties["commit"]);
    }

    [Fact]
    public void ArchiveLimits_HoldInHistory_ABombIsANotification()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        var entries = Enumerable.Range(0, 20).Select(i => ($"f{i:D2}.env", Text(Planted))).ToArray();
        Commit("many", ("many.zip", ArchiveTests.Zip(entries)));
        Commit("bomb", ("bomb.zip", ArchiveTests.Zip(("zeros.bin", new byte[16 * 1024 * 1024]), ("after.env", Text(Planted)))));

        var run = _scanner.Scan(new ScanRequest { Path = _repo, History = true, Archives = new ArchiveLimits { MaxEntries = 5 } });

        Assert.Equal(5, run.Findings.Count(f => f.Location.Path!.StartsWith("many.zip!/", StringComparison.Ordinal)));
        Assert.Contains(run.Notifications, n => n.Id == "archive-too-many-entries" && n.Path == "many.zip");
        Assert.Contains(run.Notifications, n => n.Id == "archive-bomb" && n.Path == "bomb.zip");

        // Archives off: the blobs are still read as files, but not opened.
        run = _scanner.Scan(new ScanRequest { Path = _repo, History = true, Archives = new ArchiveLimits { MaxDepth = 0 } });
        Assert.Empty(run.Findings);
    }

    [Fact]
    public void BinaryBlobOverTheSizeLimit_IsANote_AndIsNotRead()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        var large = ArchiveTests.Zip(("a.env", Text(Planted)), ("noise.bin", System.Security.Cryptography.RandomNumberGenerator.GetBytes(64 * 1024)));
        Commit("large", ("large.zip", large), ("small.zip", ArchiveTests.Zip(("b.env", Text(Planted)))));

        var run = _scanner.Scan(new ScanRequest { Path = _repo, History = true, MaxFileSize = 32 * 1024 });

        Assert.Equal(["small.zip!/b.env"], run.Findings.Select(f => f.Location.Path));
        var note = Assert.Single(run.Notifications, n => n.Path == "large.zip");
        Assert.Equal("file-too-large", note.Id);
    }

    [Fact]
    public void GitHistory_ReadsTheCommittedBytesOfBinaryFiles_AndSkipsDeletions()
    {
        GitHistoryTests.Git(_repo, "init", "-q", "-b", "main");
        var zip = ArchiveTests.Zip(("a.env", Text(Planted)));
        Commit("add", ("a.zip", zip));
        Commit("delete", ("a.zip", null));

        var binaries = GitHistory.Enumerate(_repo, 1 << 20, _ => { }).Where(c => c.Binary is not null).ToList();

        var chunk = Assert.Single(binaries);
        Assert.Equal("a.zip", chunk.Path);
        Assert.Equal(zip, chunk.Binary);
        Assert.Equal(40, chunk.Blob!.Length);
    }
}
