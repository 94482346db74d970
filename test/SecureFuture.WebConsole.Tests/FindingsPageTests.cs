using System.Net;
using System.Text.RegularExpressions;
using SecureFuture.Testing;

namespace SecureFuture.WebConsole.Tests;

/// <summary>The findings page sorts the whole listing (the store's order), not the page it happens to show.</summary>
[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed partial class FindingsPageTests(HsmFixture hsm)
{
    [Fact]
    public async Task Sorting_by_severity_puts_the_oldest_high_finding_first_even_when_fifty_newer_notes_fill_a_page()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        await server.SeedFindingsAsync("old", "team old", new HubSarif.Result("SFI-CODE-001", "src/Old.cs", 7, "0000000000000001:1"));
        await server.SeedFindingsAsync("new", "team new", [.. Enumerable.Range(1, 50).Select(i => new HubSarif.Result("SFI-CODE-002", $"src/N{i}.cs", i, $"{i:x16}:1", Level: "note"))]);
        var (owner, key) = await SessionTests.EnrolOwnerAsync(server);
        using (owner)
        using (key)
        {
            var (status, newest, _) = await owner.GetAsync("/findings");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("src/Old.cs", newest, StringComparison.Ordinal); // newest first, it is on the second page

            var (_, bySeverity, _) = await owner.GetAsync("/findings?sort=severity");
            var severities = SeverityCell().Matches(bySeverity).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(50, severities.Count);
            Assert.Equal("high", severities[0]);
            Assert.Contains("src/Old.cs", bySeverity, StringComparison.Ordinal);

            // The next page continues the same order: the note left over, and nothing from the first page again.
            var next = WebUtility.HtmlDecode(NextLink().Match(bySeverity).Groups[1].Value);
            Assert.Contains("sort=severity", next, StringComparison.Ordinal);
            var (_, second, _) = await owner.GetAsync(next);
            Assert.Single(SeverityCell().Matches(second));
            Assert.DoesNotContain("src/Old.cs", second, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("<td class=\"sev-([a-z]+)\">")]
    private static partial Regex SeverityCell();

    [GeneratedRegex("<a href=\"([^\"]+)\" rel=\"next\">")]
    private static partial Regex NextLink();
}
