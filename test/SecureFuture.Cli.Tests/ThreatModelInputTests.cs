using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>A model nothing could be read from is exit 2, not a gate that passes.</summary>
public sealed class ThreatModelInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-threatmodel-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_model_without_elements_is_exit_2_under_a_gate_for_analyze_and_for_the_new_side_of_diff()
    {
        var empty = Path.Combine(_dir, "empty.yaml");
        await File.WriteAllTextAsync(empty, "name: nothing here\nelements: []\nflows: []\n");
        var (exit, stdout, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", empty, "--fail-on", "low");
        Assert.True(exit == ExitCodes.UsageError, stdout + stderr);
        Assert.Contains($"sfi: {empty}: the model has no elements", stderr, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("threatmodel", "diff", empty, empty, "--fail-on", "low")).Exit);
    }

    [Fact]
    public async Task A_directory_given_as_the_model_is_named_as_a_directory_and_a_file_without_extension_as_such()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", _dir);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains("is a directory, not a regular file", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown model format ''", stderr, StringComparison.Ordinal);

        var bare = Path.Combine(_dir, "model");
        await File.WriteAllTextAsync(bare, "elements: []\n");
        (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", bare);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"{bare}: no file extension to tell the model format; expected .yaml", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_model_is_exit_2()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", Path.Combine(_dir, "none.yaml"), "--fail-on", "low");
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains("none.yaml", stderr, StringComparison.Ordinal);
    }
}
