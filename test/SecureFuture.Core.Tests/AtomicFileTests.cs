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
    }
}
