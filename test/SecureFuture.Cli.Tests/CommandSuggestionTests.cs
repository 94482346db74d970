using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>A mistyped command is still exit 2, and names the command that was probably meant.</summary>
public sealed class CommandSuggestionTests
{
    [Theory]
    [InlineData(new[] { "scna", "." }, "sfi scan")]
    [InlineData(new[] { "baseilne", "controls" }, "sfi baseline")]
    [InlineData(new[] { "keys", "lsit" }, "sfi keys list")]
    [InlineData(new[] { "threatmodel", "analyse", "m.yaml" }, "sfi threatmodel analyze")]
    public async Task A_typo_is_exit_2_with_the_closest_command(string[] args, string meant)
    {
        var (exit, _, error) = await CliRunner.RunAsync(args);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"Did you mean '{meant}'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_is_suggested_for_a_word_unlike_any_command()
    {
        var (exit, _, error) = await CliRunner.RunAsync("frobnicate");
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.DoesNotContain("Did you mean", error, StringComparison.Ordinal);
    }
}
