using SecureFuture.Core;

namespace SecureFuture.Scanning.Tests;

/// <summary><c>--log-opts</c> is split like shell words (without a shell) and only commit and path choices pass.</summary>
public sealed class GitLogOptionsTests
{
    [Fact]
    public void Words_AreSplitWithQuotesAndBackslashes_AndNothingIsExpanded()
    {
        var options = GitLogOptions.Parse("--author='Jane Doe' --grep \"fix \\\"auth\\\"\" -n 5 -Spass\\ word main..HEAD ^v1 $HOME -- 'docs/my file.md' *.cs ~");

        Assert.Equal(["--author=Jane Doe", "--grep=fix \"auth\"", "-n5", "-Spass word"], options.Options);
        Assert.Equal(["main..HEAD", "^v1", "$HOME"], options.Revisions);
        Assert.Equal(["docs/my file.md", "*.cs", "~"], options.Paths);
        Assert.True(options.SelectsRevisions);
        Assert.False(GitLogOptions.Parse("--since=1.week -- src").SelectsRevisions);
    }

    [Theory]
    [InlineData("--all=x")]
    [InlineData("--pretty=format:%H")]
    [InlineData("--follow")]
    [InlineData("-iE")]
    [InlineData("--output-indicator-new=x")]
    [InlineData("--no-ext-diff --ext-diff")]
    public void AnythingOutsideTheAllowList_IsRefused(string text)
    {
        var e = Assert.Throws<InputException>(() => GitLogOptions.Parse(text));
        Assert.Contains("is not allowed", e.Message, StringComparison.Ordinal);
    }
}
