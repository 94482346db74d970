using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Scanning.Tests;

public sealed class FileWalkerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-walk-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("sfi-outside-").FullName;
    private readonly List<Notification> _notifications = [];

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private List<string> Walk(bool useIgnoreFiles = true, long maxFileSize = 1 << 20) =>
        [.. new FileWalker(_root, useIgnoreFiles, maxFileSize, _notifications.Add).Enumerate().Select(f => f.RelativePath)];

    private void Write(string relative, string content = "x")
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Fact]
    public void GitIgnoreAndSfiIgnore_AreHonoured_UnlessNoIgnore()
    {
        Write(".gitignore", "*.log\nbuild/\n");
        Write(".sfiignore", "fixtures/\n");
        Write("a.txt");
        Write("debug.log");
        Write("build/out.txt");
        Write("fixtures/fake-key.pem");
        Write(".git/config", "[core]");

        Assert.Equal([".gitignore", ".sfiignore", "a.txt"], Walk());
        var all = Walk(useIgnoreFiles: false);
        Assert.Contains("debug.log", all);
        Assert.Contains("fixtures/fake-key.pem", all);
        Assert.DoesNotContain(".git/config", all);
    }

    [Fact]
    public void SymlinkOutOfTheRoot_IsNotFollowed_AndIsReported()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "outside");
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "escape.txt"), Path.Combine(_outside, "secret.txt"));
        Write("inside.txt");

        Assert.Equal(["inside.txt"], Walk());
        Assert.Equal(2, _notifications.Count(n => n.Id == "symlink-outside-root"));
    }

    [Fact]
    public void SymlinkLoop_EndsTheWalk()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "a", "loop"), _root);
        File.CreateSymbolicLink(Path.Combine(_root, "self"), Path.Combine(_root, "self"));
        Write("a/file.txt");

        Assert.Equal(["a/file.txt"], Walk());
    }

    [Fact]
    [Trait("Category", "Integration")] // python3 builds the tree and rm removes it
    public void TenThousandDeepTree_EndsWithANotificationNotACrash()
    {
        // Paths this deep exceed PATH_MAX (4096), so the tree is built one relative mkdir at a time, and removed by rm,
        // which copes with such trees where Directory.Delete does not.
        Write("shallow.txt");
        try
        {
            Run("python3", "-c", "import os,sys\nos.chdir(sys.argv[1])\nfor _ in range(10000):\n    os.mkdir('d'); os.chdir('d')\nopen('deep.txt', 'w').write('x')", _root);

            var files = Walk();

            Assert.Contains("shallow.txt", files);
            Assert.Contains(_notifications, n => n.Id == "directory-unreadable");
        }
        finally
        {
            Run("rm", "-rf", Path.Combine(_root, "d"));
        }
    }

    [Fact]
    public void FileOverTheSizeLimit_IsSkippedWithANotification()
    {
        Write("big.txt", new string('a', 2048));
        Write("small.txt");
        Assert.Equal(["small.txt"], Walk(maxFileSize: 1024));
        var note = Assert.Single(_notifications);
        Assert.Equal("file-too-large", note.Id);
        Assert.Equal("big.txt", note.Path);
    }

    [Fact]
    public void Fifo_IsNotOpened()
    {
        Write("normal.txt");
        var fifo = Path.Combine(_root, "pipe");
        SpecialFiles.CreateFifo(fifo);

        Assert.Equal(["normal.txt"], Walk());
    }

    private static void Run(string program, params string[] args)
    {
        var (exit, output) = ChildProcess.Run(program, args);
        Assert.True(exit == 0, $"{program}: exit {exit}\n{output}");
    }
}
