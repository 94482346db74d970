using System.Text.RegularExpressions;

namespace SecureFuture.Cli.Tests;

/// <summary>docs/README.md is the way into the documentation: it names every page, and every page it names exists.</summary>
public sealed partial class DocsIndexTests
{
    [Fact]
    public void The_docs_index_links_every_page_and_every_link_resolves()
    {
        var docs = Path.Combine(CliRunner.RepoRoot(), "docs");
        var index = File.ReadAllText(Path.Combine(docs, "README.md"));
        var links = Link().Matches(index).Select(m => m.Groups["target"].Value.Split('#')[0]).Where(t => !t.Contains("://", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.All(links, link => Assert.True(File.Exists(Path.Combine(docs, link)), $"docs/README.md links to {link}, which does not exist"));
        var pages = Directory.EnumerateFiles(docs, "*.md").Select(Path.GetFileName).Where(p => p != "README.md");
        Assert.All(pages, page => Assert.Contains(page!, links));
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();
}
