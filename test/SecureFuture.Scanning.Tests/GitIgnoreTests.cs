namespace SecureFuture.Scanning.Tests;

public sealed class GitIgnoreTests
{
    [Theory]
    [InlineData("*.log", "a.log", false, true)]
    [InlineData("*.log", "dir/sub/a.log", false, true)]
    [InlineData("/build", "build", true, true)]
    [InlineData("/build", "src/build", true, null)]
    [InlineData("build/", "src/build", true, true)]
    [InlineData("build/", "src/build", false, null)]
    [InlineData("doc/*.txt", "doc/notes.txt", false, true)]
    [InlineData("doc/*.txt", "doc/server/arch.txt", false, null)]
    [InlineData("**/foo", "a/b/foo", false, true)]
    [InlineData("a/**/b", "a/x/y/b", false, true)]
    [InlineData("a/**/b", "a/b", false, true)]
    [InlineData("abc/**", "abc/x/y", false, true)]
    [InlineData("[Bb]in", "src/Bin", true, true)]
    [InlineData("file?.txt", "file1.txt", false, true)]
    [InlineData("\\#hash", "#hash", false, true)]
    [InlineData("# comment", "# comment", false, null)]
    // Each pattern's literal text (the suffix every match ends with, the longest run every match contains) refuses a
    // path before its regex runs: these are the edges of what counts as literal.
    [InlineData("**/.netrc", ".netrc", false, true)] // the slash after a leading "**" is optional
    [InlineData("**/.netrc", "home/u/.netrc", false, true)]
    [InlineData("**/.netrc", "home/u/x.netrc", false, null)]
    [InlineData("**/.netrc", "home/u/.netrc.bak", false, null)]
    [InlineData("**/*.pubxml", "Properties/Profile.pubxml", false, true)]
    [InlineData("**/*.pubxml", "Properties/Profile.pubxml.user", false, null)]
    [InlineData("**/.env.*", "app/.env.local", false, true)]
    [InlineData("**/.env.*", "app/env.local", false, null)]
    [InlineData("**/.cargo/credentials", ".cargo/credentials", false, true)]
    [InlineData("**/.cargo/credentials", "home/.cargo/credentials", false, true)]
    [InlineData("**/.cargo/credentials", "home/cargo/credentials", false, null)]
    [InlineData("a**/b", "axy/b", false, true)] // "**" not at a segment start is two stars: its slash is literal
    [InlineData("a**/b", "a/x/b", false, null)]
    [InlineData("foo/**", "foo/a/b", false, true)]
    [InlineData("\\*star", "*star", false, true)] // an escaped star is literal
    [InlineData("\\*star", "xstar", false, null)]
    [InlineData("[ab]c.txt", "bc.txt", false, true)]
    [InlineData("*.LOG", "a.log", false, null)] // case-sensitive, as git is by default
    public void Pattern_MatchesAsGitDoes(string pattern, string path, bool isDirectory, bool? expected) =>
        Assert.Equal(expected, GitIgnore.Parse(string.Empty, pattern).Match(path, isDirectory));

    [Theory]
    [InlineData("a?c[9-0].txt")] // a range written backwards: no character is in it, as in git's wildmatch
    [InlineData("a?c[z-a]*")]
    [InlineData("logs[")] // '[' as the last character
    [InlineData("x[")]
    public void A_pattern_that_cannot_be_translated_does_not_stop_the_file_and_the_others_apply(string odd)
    {
        // Found by fuzzing: RegexParseException (backwards range) and ArgumentOutOfRangeException (trailing '[') were
        // thrown out of GitIgnore.Parse, so one odd line in a scanned repository's .gitignore stopped the scan.
        var ignore = GitIgnore.Parse(string.Empty, "*.log\n" + odd + "\nbuild/\n");
        Assert.True(ignore.Match("debug.log", false));
        Assert.True(ignore.Match("build", true));
        Assert.Null(ignore.Match("abc5.txt", false));
    }

    [Fact]
    public void LastMatchingPattern_Wins_SoNegationReincludes()
    {
        var ignore = GitIgnore.Parse(string.Empty, "*.env\n!example.env\n");
        Assert.True(ignore.Match("prod.env", false));
        Assert.False(ignore.Match("example.env", false));
    }

    [Fact]
    public void NestedIgnoreFile_AppliesOnlyBelowItsDirectory_AndOverridesTheRoot()
    {
        var rules = new IgnoreRules()
            .With(GitIgnore.Parse(string.Empty, "*.secret\n"))
            .With(GitIgnore.Parse("config", "!keep.secret\n/local.json\n"));
        Assert.True(rules.IsIgnored("a.secret", false));
        Assert.True(rules.IsIgnored("config/other.secret", false));
        Assert.False(rules.IsIgnored("config/keep.secret", false));
        Assert.True(rules.IsIgnored("config/local.json", false));
        Assert.False(rules.IsIgnored("local.json", false));
    }
}
