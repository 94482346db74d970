using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan PATH</c> on a path it cannot read is exit 2 naming the path; an empty directory is legitimately clean.
/// </summary>
public sealed class ScanTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-scan-target-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_empty_directory_is_clean()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", _dir, "--fail-on", "note");
        Assert.True(exit == ExitCodes.Success, stderr);
    }

    [Fact]
    public async Task A_missing_path_is_exit_2()
    {
        var missing = Path.Combine(_dir, "no-such-repo");
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", missing);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"sfi: {missing}: no such file or directory", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_that_cannot_be_resolved_is_exit_2_not_an_internal_error()
    {
        // A symbolic link to itself: every attempt to read through it fails (ELOOP), even for root.
        var loop = Path.Combine(_dir, "loop");
        File.CreateSymbolicLink(loop, loop);
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", loop, "--fail-on", "note");
        Assert.True(exit == ExitCodes.UsageError, stderr);
        Assert.Contains($"sfi: {loop}: cannot read", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_is_refused_instead_of_blocking_the_scan()
    {
        var fifo = Path.Combine(_dir, "pipe");
        SpecialFiles.CreateFifo(fifo);

        var (exit, _, stderr) = await CliRunner.RunAsync("scan", fifo).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"sfi: {fifo}: not a regular file or directory", stderr, StringComparison.Ordinal);
    }
}
