namespace SecureFuture.Cli.Tests;

/// <summary>A mistyped command or option is refused (exit 2) with the closest name and the help to read.</summary>
public sealed class SuggestionTests
{
    [Theory]
    [InlineData(new[] { "scna", "." }, "'scna': did you mean 'scan'?", "Run 'sfi --help' for usage.")]
    [InlineData(new[] { "scan", ".", "--fial-on", "high" }, "'--fial-on': did you mean '--fail-on'?", "Run 'sfi scan --help' for usage.")]
    [InlineData(new[] { "threatmodel", "analyse", "m.yaml" }, "'analyse': did you mean 'analyze'?", "Run 'sfi threatmodel --help' for usage.")]
    [InlineData(new[] { "baseline", "asses", "x" }, "'asses': did you mean 'assess'?", "Run 'sfi baseline --help' for usage.")]
    public async Task Typo_IsRefused_WithTheClosestName(string[] args, string suggestion, string help)
    {
        var (exit, _, err) = await CliRunner.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Contains(suggestion, err, StringComparison.Ordinal);
        Assert.Contains(help, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherWord_GetsNoSuggestion()
    {
        var (exit, _, err) = await CliRunner.RunAsync("sign", ".");
        Assert.Equal(2, exit);
        Assert.DoesNotContain("did you mean", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scan", "scna", 1)]
    [InlineData("fail-on", "fial-on", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Distance_CountsAnAdjacentSwapAsOneEdit(string a, string b, int expected) => Assert.Equal(expected, Suggestions.Distance(a, b));
}
