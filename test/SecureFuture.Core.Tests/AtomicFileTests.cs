using SecureFuture.Testing;

namespace SecureFuture.Core.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sfi-atomic-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task FailedWrite_LeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        var path = Path.Combine(_directory, "report.sarif");
        await File.WriteAllTextAsync(path, "previous");

        await Assert.ThrowsAsync<InvalidOperationException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("half a rep"u8.ToArray(), ct);
            throw new InvalidOperationException("writer failed");
        }));

        Assert.Equal("previous", await File.ReadAllTextAsync(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task SuccessfulWrite_ReplacesTheFile()
    {
        var path = Path.Combine(_directory, "report.json");
        await File.WriteAllTextAsync(path, "previous");
        await AtomicFile.WriteAsync(path, (stream, ct) => stream.WriteAsync("new"u8.ToArray(), ct).AsTask());
        Assert.Equal("new", await File.ReadAllTextAsync(path));
        Assert.Equal(FileKind.Regular, FileKinds.Of(path));
    }

    [Fact]
    public async Task Fifo_IsWrittenThrough_AndStaysAFifo()
    {
        // `sfi scan --output >(consumer)` or a named pipe: renaming a temporary file over it would leave the reader
        // waiting forever and the pipe replaced by a regular file.
        var fifo = Path.Combine(_directory, "pipe");
        SpecialFiles.CreateFifo(fifo);
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));

        var reader = Task.Run(() => File.ReadAllTextAsync(fifo));
        await AtomicFile.WriteAsync(fifo, (stream, ct) => stream.WriteAsync("through the pipe"u8.ToArray(), ct).AsTask()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("through the pipe", await reader.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
        Assert.Single(Directory.GetFileSystemEntries(_directory)); // no temporary file left behind
    }

    [RootFact]
    public async Task CharacterDevice_IsWrittenThrough_AndNotReplaced()
    {
        // The incident: `--output /dev/null` run as root renamed a regular file over /dev/null. A copy of the null
        // device (major 1, minor 3) in a temporary directory stands in for it.
        var device = Path.Combine(_directory, "null");
        SpecialFiles.CreateCharacterDevice(device, 1, 3);
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(device));

        await AtomicFile.WriteAsync(device, (stream, ct) => stream.WriteAsync("discarded"u8.ToArray(), ct).AsTask());

        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(device));
        Assert.Equal(0, new FileInfo(device).Length);
        Assert.Single(Directory.GetFileSystemEntries(_directory));

        // Through a symbolic link too: the link is followed to the device, not replaced.
        var link = Path.Combine(_directory, "report.json");
        File.CreateSymbolicLink(link, device);
        await AtomicFile.WriteAsync(link, (stream, ct) => stream.WriteAsync("discarded"u8.ToArray(), ct).AsTask());
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(device));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public async Task Directory_IsRefused_NamingThePath()
    {
        var error = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(_directory, (stream, ct) => Task.CompletedTask));
        Assert.StartsWith(_directory + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains("directory", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(_directory));
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public async Task MissingDirectory_IsAnInputError_NamingThePath()
    {
        var path = Path.Combine(_directory, "no-such-dir", "report.json");
        var error = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(path, (stream, ct) => Task.CompletedTask));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);

        var file = Path.Combine(_directory, "a-file");
        await File.WriteAllTextAsync(file, "kept");
        var under = Path.Combine(file, "report.json");
        var notADirectory = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(under, (stream, ct) => Task.CompletedTask));
        Assert.Equal($"{under}: cannot write: '{file}' is not a directory", notADirectory.Message);
        Assert.Equal("kept", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task UnwritableLocation_IsAnInputError_NamingThePath()
    {
        // Root may write anywhere permissions allow, so the test uses /proc, where nobody can create a file.
        var path = "/proc/sfi-report.json";
        var error = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(path, (stream, ct) => stream.WriteAsync("x"u8.ToArray(), ct).AsTask()));
        Assert.StartsWith(path + ": cannot write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SymbolicLinkToARegularFile_StaysALink_AndTheTargetIsReplacedAtomically()
    {
        var target = Path.Combine(_directory, "target.json");
        await File.WriteAllTextAsync(target, "previous");
        var link = Path.Combine(_directory, "lreg");
        File.CreateSymbolicLink(link, "target.json"); // relative: resolved against the link's directory

        // A reader holding the old file keeps the old content: the target was renamed over, not rewritten in place.
        using var before = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        await AtomicFile.WriteAsync(link, (stream, ct) => stream.WriteAsync("new"u8.ToArray(), ct).AsTask());

        Assert.Equal("target.json", new FileInfo(link).LinkTarget);
        Assert.Equal("new", await File.ReadAllTextAsync(target));
        Assert.Equal("previous", await new StreamReader(before).ReadToEndAsync());
        Assert.Equal(2, Directory.GetFileSystemEntries(_directory).Length); // no temporary file left behind
    }

    [Fact]
    public async Task SymbolicLinkChain_IsFollowedToTheFinalTarget()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_directory, "sub")).FullName;
        var target = Path.Combine(sub, "target.json");
        await File.WriteAllTextAsync(target, "previous");
        File.CreateSymbolicLink(Path.Combine(sub, "hop2"), "target.json");
        File.CreateSymbolicLink(Path.Combine(_directory, "hop1"), Path.Combine("sub", "hop2"));
        var link = Path.Combine(_directory, "hop0");
        File.CreateSymbolicLink(link, Path.Combine(_directory, "hop1"));

        await AtomicFile.WriteAsync(link, (stream, ct) => stream.WriteAsync("new"u8.ToArray(), ct).AsTask());

        Assert.Equal("new", await File.ReadAllTextAsync(target));
        Assert.All(new[] { link, Path.Combine(_directory, "hop1"), Path.Combine(sub, "hop2") }, l => Assert.NotNull(new FileInfo(l).LinkTarget));
        Assert.Equal(2, Directory.GetFileSystemEntries(sub).Length);
    }

    [Fact]
    public async Task DanglingSymbolicLink_CreatesItsTarget_AndStaysALink()
    {
        var link = Path.Combine(_directory, "dangling");
        File.CreateSymbolicLink(link, "created.json");
        await AtomicFile.WriteAsync(link, (stream, ct) => stream.WriteAsync("new"u8.ToArray(), ct).AsTask());
        Assert.Equal("created.json", new FileInfo(link).LinkTarget);
        Assert.Equal("new", await File.ReadAllTextAsync(Path.Combine(_directory, "created.json")));

        // A link into a directory that does not exist is refused naming the path given, never replaced.
        var nowhere = Path.Combine(_directory, "nowhere");
        File.CreateSymbolicLink(nowhere, Path.Combine("missing-dir", "x.json"));
        var error = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(nowhere, (stream, ct) => Task.CompletedTask));
        Assert.StartsWith(nowhere + ": ", error.Message, StringComparison.Ordinal);
        Assert.NotNull(new FileInfo(nowhere).LinkTarget);
    }

    [Fact]
    public async Task SymbolicLinkLoop_IsRefusedNamingThePath()
    {
        var a = Path.Combine(_directory, "a");
        File.CreateSymbolicLink(a, "b");
        File.CreateSymbolicLink(Path.Combine(_directory, "b"), "a");
        var error = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(a, (stream, ct) => Task.CompletedTask));
        Assert.StartsWith(a + ": ", error.Message, StringComparison.Ordinal);
        Assert.Equal("b", new FileInfo(a).LinkTarget);
    }

    [Fact]
    public async Task SymbolicLinkToAFifo_IsWrittenThrough()
    {
        var fifo = Path.Combine(_directory, "pipe");
        SpecialFiles.CreateFifo(fifo);
        var link = Path.Combine(_directory, "report.json");
        File.CreateSymbolicLink(link, "pipe");

        var reader = Task.Run(() => File.ReadAllTextAsync(fifo));
        await AtomicFile.WriteAsync(link, (stream, ct) => stream.WriteAsync("through the link"u8.ToArray(), ct).AsTask()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("through the link", await reader.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
        Assert.Equal("pipe", new FileInfo(link).LinkTarget);
        Assert.Equal(2, Directory.GetFileSystemEntries(_directory).Length);
    }

    [Fact]
    public async Task LinkThroughProcSelfFd_IsWrittenThrough_AsDevStdoutIs()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // /dev/stdout is a link to /proc/self/fd/1: the open file must be written, the link never replaced.
        var file = Path.Combine(_directory, "redirected.txt");
        await File.WriteAllTextAsync(file, "previous content, longer than the new one");
        using var open = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var stdoutLike = Path.Combine(_directory, "stdout");
        File.CreateSymbolicLink(stdoutLike, $"/proc/self/fd/{open.SafeFileHandle.DangerousGetHandle()}");

        await AtomicFile.WriteAsync(stdoutLike, (stream, ct) => stream.WriteAsync("report"u8.ToArray(), ct).AsTask());

        Assert.NotNull(new FileInfo(stdoutLike).LinkTarget);
        Assert.Equal("report", await File.ReadAllTextAsync(file));
        Assert.Equal(2, Directory.GetFileSystemEntries(_directory).Length);
    }

    [Fact]
    public async Task LinkToAKernelFileUnderProc_IsNotWrittenThrough()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Only open file descriptors (/proc/self/fd/N, /dev/fd/N) are written through; /proc/self/comm (this process's
        // name, writable by the process itself) stands for any kernel setting a report must never be written into.
        var before = await File.ReadAllTextAsync("/proc/self/comm");
        var link = Path.Combine(_directory, "report.json");
        File.CreateSymbolicLink(link, "/proc/self/comm");

        await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(link, (stream, ct) => stream.WriteAsync("report"u8.ToArray(), ct).AsTask()));

        Assert.Equal(before, await File.ReadAllTextAsync("/proc/self/comm"));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public async Task WriteError_IsAnInputErrorNamingThePath()
    {
        if (!File.Exists("/dev/full"))
        {
            return;
        }

        var error = await Assert.ThrowsAsync<InputException>(() =>
            AtomicFile.WriteAsync("/dev/full", (stream, ct) => stream.WriteAsync(new byte[100_000], ct).AsTask()));
        Assert.StartsWith("/dev/full: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of("/dev/full"));
    }

    [RootFact]
    [Trait("Category", "Integration")] // chattr sets and clears the immutable attribute
    public async Task AnExistingFileInADirectoryThatRefusesNewFiles_IsRefusedNamingTheOutputNotTheTemporaryFile()
    {
        // Root writes anywhere, except into an immutable directory: the file could be rewritten, the temporary file
        // beside it cannot be created.
        var locked = Directory.CreateDirectory(Path.Combine(_directory, "locked")).FullName;
        var path = Path.Combine(locked, "report.json");
        await File.WriteAllTextAsync(path, "previous");
        if (ChildProcess.Run("chattr", ["+i", locked]).ExitCode != 0)
        {
            return; // a file system without the immutable attribute
        }

        try
        {
            var error = await Assert.ThrowsAsync<InputException>(() => AtomicFile.WriteAsync(path, (stream, ct) => stream.WriteAsync("new"u8.ToArray(), ct).AsTask()));
            Assert.StartsWith(path + ": cannot write: ", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(".tmp", error.Message, StringComparison.Ordinal);
            Assert.Equal("previous", await File.ReadAllTextAsync(path));
        }
        finally
        {
            Run("chattr", "-i", locked);
        }
    }

    private static void Run(string program, params string[] args) => Assert.Equal(0, ChildProcess.Run(program, args).ExitCode);
}
