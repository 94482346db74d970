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
        Run("mkfifo", fifo);
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
        Run("mknod", "-m", "666", device, "c", "1", "3");
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

    private static void Run(string program, params string[] args) => Assert.Equal(0, ChildProcess.Run(program, args).ExitCode);
}
