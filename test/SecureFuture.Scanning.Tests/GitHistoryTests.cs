using System.Diagnostics;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Tests;

[Trait("Category", "Integration")]
public sealed class GitHistoryTests : IDisposable
{
    private static readonly string[] Identity = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"];
    private readonly string _repo = Directory.CreateTempSubdirectory("sfi-git-").FullName;

    public void Dispose() => Directory.Delete(_repo, recursive: true);

    internal static void Git(string repo, params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repo };
        foreach (var a in Identity.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
    }

    [Fact]
    public void AddedLines_AreReportedWithTheirCommitAndLineNumbers_EvenWhenLaterDeleted()
    {
        Git(_repo, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(_repo, "app.cfg"), "a\nb\n");
        Git(_repo, "add", ".");
        Git(_repo, "commit", "-q", "-m", "first");
        File.WriteAllText(Path.Combine(_repo, "app.cfg"), "a\ninserted\nb\nlast\n");
        Git(_repo, "commit", "-q", "-am", "second");
        File.Delete(Path.Combine(_repo, "app.cfg"));
        Git(_repo, "commit", "-q", "-am", "delete");

        var chunks = GitHistory.Enumerate(_repo, 1 << 20, _ => { }).ToList();

        Assert.Equal(2, chunks.Count);
        var second = chunks[0];
        Assert.Equal("app.cfg", second.Path);
        Assert.Equal("inserted\nlast\n", second.Text);
        Assert.Equal([2, 4], second.Lines);
        Assert.Equal(40, second.Commit.Length);
        Assert.Equal([1, 2], chunks[1].Lines);
    }

    [Fact]
    public void NotARepository_IsAnInputError()
    {
        var e = Assert.Throws<InputException>(() => GitHistory.Enumerate(_repo, 1 << 20, _ => { }).ToList());
        Assert.Contains("git repository", e.Message, StringComparison.Ordinal);
    }
}
