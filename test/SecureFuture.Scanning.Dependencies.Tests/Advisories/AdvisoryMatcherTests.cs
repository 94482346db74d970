using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Scanning.Dependencies.Tests.Advisories;

/// <summary>Matching real GHSA and PyPA records with each ecosystem's version rules.</summary>
public class AdvisoryMatcherTests(RealAdvisories advisories) : IClassFixture<RealAdvisories>
{
    private static ResolvedPackage Package(string ecosystem, string name, string version) =>
        new(ecosystem, name, version, true, [], "lock", 1, []);

    private PackageAdvisories? Match(string ecosystem, string name, string version) =>
        advisories.Database.Matcher().Match([Package(ecosystem, name, version)]).SingleOrDefault();

    private string[] Ids(string ecosystem, string name, string version) =>
        Match(ecosystem, name, version)?.Advisories.Select(a => a.Id).Order(StringComparer.Ordinal).ToArray() ?? [];

    [Theory]
    [InlineData("3.2.1", true, "3.2.2")]
    [InlineData("3.2.2", false, null)]
    [InlineData("4.0.0", true, "4.0.1")] // in the explicit versions list and in a range; the fix is on its own line, not 3.2.2
    [InlineData("4.0.1", false, null)]
    [InlineData("5.0.4", true, "5.0.5")]
    [InlineData("5.0.5", false, null)]
    public void Npm_several_ranges_and_a_versions_list_each_with_its_own_fix(string version, bool affected, string? fix)
    {
        var result = Match(Ecosystems.Npm, "y18n", version);
        Assert.Equal(affected, result is not null);
        if (affected)
        {
            var advisory = Assert.Single(result!.Advisories);
            Assert.Equal("GHSA-c4w7-xm78-47vh", advisory.Id);
            Assert.Equal(["CVE-2020-7774"], advisory.Aliases);
            Assert.Equal(["3.2.2", "4.0.1", "5.0.5"], advisory.FixedVersions);
            Assert.Equal(fix, result.SmallestFix);
            Assert.Equal("CVSS 3.1", advisory.Severity.Source);
            Assert.Equal(7.3, advisory.Severity.Score);
            Assert.Equal(Severity.High, advisory.Severity.Level);
        }
    }

    [Theory]
    [InlineData("7.2.1", true)] // last_affected is affected
    [InlineData("7.2.2", false)]
    [InlineData("1.0.0", true)]
    public void NuGet_last_affected_is_inclusive_and_names_compare_case_insensitively(string version, bool affected)
    {
        // GHSA-63c6-w556-3h7q names "SSCMS" (introduced 0, last_affected 7.2.1); GHSA-ff4w-8chr-w2x9 names "sscms".
        var ids = Ids(Ecosystems.NuGet, "SsCmS", version);
        Assert.Equal(affected, ids.Contains("GHSA-63c6-w556-3h7q"));
        if (affected)
        {
            Assert.Null(Match(Ecosystems.NuGet, "SSCMS", version)!.SmallestFix); // no fixed version published
        }
    }

    [Theory]
    [InlineData("7.0.0-preview", true, "7.1.2")]
    [InlineData("7.0.0-preview5", true, "7.1.2")]
    [InlineData("6.34.0", false, null)]
    [InlineData("6.33.0", true, "6.34.0")]
    [InlineData("5.6.0", true, "5.7.0")]
    [InlineData("5.7.0", false, null)]
    [InlineData("6.0.0", false, null)]
    public void NuGet_pre_release_introduced_bounds(string version, bool affected, string? fix)
    {
        var result = Match(Ecosystems.NuGet, "System.IdentityModel.Tokens.Jwt", version);
        Assert.Equal(affected, result is not null);
        Assert.Equal(fix, result?.SmallestFix);
    }

    [Theory]
    [InlineData("3.0.0", "3.1.3")]
    [InlineData("2.1.0", "3.1.3")] // 2.1.7 is inside the other entry's range (introduced 0, fixed 3.1.3): no fix under OSV
    public void An_upgrade_still_inside_another_range_is_no_fix(string version, string fix)
    {
        var result = Match(Ecosystems.NuGet, "SixLabors.ImageSharp", version)!;
        Assert.Equal(["2.1.7", "3.1.3"], Assert.Single(result.Advisories).FixedVersions);
        Assert.Equal(fix, result.SmallestFix);
    }

    [Fact]
    public void An_open_ended_range_affects_every_later_version_and_offers_no_fix()
    {
        var result = Match(Ecosystems.NuGet, "NewRelic.Agent", "10.30.0")!;
        Assert.Equal("GHSA-2rvx-cvfc-mcp2", Assert.Single(result.Advisories).Id);
        Assert.Null(result.SmallestFix);
    }

    [Theory]
    [InlineData("v1.0.0-rc92", false)]
    [InlineData("v1.0.0-rc93", true)]
    [InlineData("1.0.0-rc93", true)]
    [InlineData("v1.1.11", true)]
    [InlineData("v1.1.12", false)]
    public void Go_pre_release_bounds_with_and_without_the_v_prefix(string version, bool affected) =>
        Assert.Equal(affected, Ids(Ecosystems.Go, "github.com/opencontainers/runc", version).Contains("GHSA-xr7r-f8xq-vfvv"));

    [Theory]
    [InlineData("v0.0.0-20140101000000-aaaaaaaaaaaa", false)] // a pseudo-version before the one introduced
    [InlineData("v0.0.0-20150717181359-44718f8a89b0", true)]
    [InlineData("v3.2.0+incompatible", true)] // last_affected 3.2.0; +incompatible does not change precedence
    [InlineData("v3.2.1+incompatible", false)]
    public void Go_pseudo_versions_and_incompatible(string version, bool affected) =>
        Assert.Equal(affected, Ids(Ecosystems.Go, "github.com/dgrijalva/jwt-go", version).Contains("GHSA-w73w-5m7g-f7qc"));

    [Fact]
    public void Go_fix_that_is_a_pre_release_is_offered()
    {
        var result = Match(Ecosystems.Go, "github.com/docker/distribution", "v2.8.1+incompatible")!;
        Assert.Equal("2.8.2-beta.1", result.SmallestFix);
        Assert.Null(Match(Ecosystems.Go, "github.com/docker/distribution", "v2.8.2-beta.1+incompatible"));
    }

    [Theory]
    [InlineData("golang.org/x/text", "v0.3.7", "GHSA-69ch-w2m2-3vjp")] // the record names the package golang.org/x/text/language
    [InlineData("github.com/prometheus/client_golang", "v1.11.0", "GHSA-cg3q-j54f-5p7p")] // .../prometheus/promhttp
    public void Go_advisories_on_a_package_reach_the_module_that_holds_it(string module, string version, string id)
    {
        Assert.Contains(id, Ids(Ecosystems.Go, module, version));
        Assert.Empty(Ids(Ecosystems.Go, "golang.org/x/tex", "v0.3.7")); // a path element is whole: x/tex is not x/text
    }

    [Theory]
    [InlineData("github.com/go-git/go-git", "github.com/go-git/go-git/v5", false)] // /v5 is another module
    [InlineData("golang.org/x/text", "golang.org/x/text/language", true)]
    [InlineData("golang.org/x/text", "golang.org/x/textual", false)]
    [InlineData("golang.org/x/text", "golang.org/x/text", true)]
    public void Go_module_covers_its_packages_but_not_other_major_versions(string module, string advisoryName, bool covers) =>
        Assert.Equal(covers, PackageNames.Covers(Ecosystems.Go, module, advisoryName));

    [Theory]
    [InlineData("0.22.0", true)]
    [InlineData("0.22.1", false)]
    public void Cargo_last_affected(string version, bool affected) =>
        Assert.Equal(affected, Ids(Ecosystems.Cargo, "webpki", version).Contains("GHSA-8qv2-5vq6-g2g7"));

    [Fact]
    public void Maven_four_part_versions()
    {
        Assert.Contains("GHSA-57j2-w4cx-62h2", Ids(Ecosystems.Maven, "com.fasterxml.jackson.core:jackson-databind", "2.12.6"));
        Assert.DoesNotContain("GHSA-57j2-w4cx-62h2", Ids(Ecosystems.Maven, "com.fasterxml.jackson.core:jackson-databind", "2.12.6.1"));
    }

    [Fact]
    public void Withdrawn_advisories_are_never_matched()
    {
        Assert.Null(Match(Ecosystems.Maven, "net.bramp.ffmpeg:ffmpeg", "0.7.0")); // GHSA-2jx3-fx5f-r2c6, withdrawn
        Assert.DoesNotContain("PYSEC-2023-73", Ids(Ecosystems.PyPI, "redis", "4.5.0"));
        Assert.Equal(4, advisories.Import.Info.Withdrawn);
    }

    [Fact]
    public void A_malformed_range_version_is_reported_and_never_guessed()
    {
        // node-fetch: "introduced: 1.0" is no semver version. 3.0.0 lies only in that range: reported, not matched.
        var fetch = Match(Ecosystems.Npm, "node-fetch", "3.0.0")!;
        Assert.Empty(fetch.Advisories);
        Assert.Contains(fetch.Problems, p => p.Contains("GHSA-r683-j2x4-v87g", StringComparison.Ordinal) && p.Contains("'1.0'", StringComparison.Ordinal));
        // The record's other, well-formed range still matches 2.6.6.
        Assert.Equal("GHSA-r683-j2x4-v87g", Assert.Single(Match(Ecosystems.Npm, "node-fetch", "2.6.6")!.Advisories).Id);

        // protobufjs: "fixed: '7.2.4, 6.11.4'" is one malformed string.
        var protobuf = Match(Ecosystems.Npm, "protobufjs", "6.11.3")!;
        Assert.Empty(protobuf.Advisories);
        Assert.Contains(protobuf.Problems, p => p.Contains("'7.2.4, 6.11.4'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Ecosystems.PyPI, "aiohttp", "latest")]
    [InlineData(Ecosystems.Npm, "y18n", "4.0")]
    [InlineData(Ecosystems.NuGet, "NewRelic.Agent", "$(Version)")]
    public void A_package_version_that_does_not_parse_is_reported_not_matched(string ecosystem, string name, string version)
    {
        var result = Match(ecosystem, name, version)!;
        Assert.Empty(result.Advisories);
        Assert.Contains(result.Problems, p => p.Contains($"'{version}'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("3.7.3", true)]
    [InlineData("3.7.3+ubuntu1", true)] // a local version sorts after 3.7.3, still below the fix
    [InlineData("3.7.4rc1", true)] // pre-release of the fix is below it
    [InlineData("3.7.4", false)]
    [InlineData("3.7.4.post1", false)]
    public void PyPI_pep440_ranges_with_local_and_pre_releases_and_normalised_names(string version, bool affected) =>
        Assert.Equal(affected, Ids(Ecosystems.PyPI, "AioHTTP", version).Contains("PYSEC-2021-76"));

    [Fact]
    public void PyPI_last_affected_and_an_unrated_advisory_counts_as_high()
    {
        var result = Match(Ecosystems.PyPI, "py", "1.11.0")!;
        var advisory = Assert.Single(result.Advisories, a => a.Id == "PYSEC-2022-42969");
        Assert.Equal(AdvisorySeverity.Unrated, advisory.Severity); // PyPA records carry no severity
        Assert.Null(Match(Ecosystems.PyPI, "py", "1.11.1"));
    }

    [Fact]
    public void Database_severity_is_the_fallback_when_there_is_no_vector()
    {
        // GHSA-63c6-w556-3h7q has no CVSS vector; GitHub rates it MODERATE.
        var advisory = Assert.Single(Match(Ecosystems.NuGet, "SSCMS", "7.2.1")!.Advisories, a => a.Id == "GHSA-63c6-w556-3h7q");
        Assert.Equal(new AdvisorySeverity(Severity.Medium, null, null, "database"), advisory.Severity);
    }

    [Fact]
    public void The_message_names_the_advisory_its_aliases_rating_and_the_upgrade()
    {
        Assert.Equal(
            "y18n 4.0.0: GHSA-c4w7-xm78-47vh (CVE-2020-7774; high 7.3, CVSS 3.1) Prototype Pollution in y18n. Upgrade to 4.0.1, which fixes all of them.",
            Match(Ecosystems.Npm, "y18n", "4.0.0")!.Message);
        Assert.EndsWith("No published version fixes all of them.", Match(Ecosystems.NuGet, "NewRelic.Agent", "10.30.0")!.Message, StringComparison.Ordinal);
        Assert.StartsWith("protobufjs 6.11.3: advisories could not be evaluated: GHSA-h755-8qp9-cq85: fixed: '7.2.4, 6.11.4'", Match(Ecosystems.Npm, "protobufjs", "6.11.3")!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_with_many_advisories_describes_the_most_severe_and_names_the_rest()
    {
        var result = Match(Ecosystems.PyPI, "aiohttp", "3.7.0")!; // every PyPA aiohttp record up to 3.9.2 affects it
        Assert.True(result.Advisories.Count > PackageAdvisories.DescribedInFull, $"expected many advisories, got {result.Advisories.Count}");
        var message = result.Message;
        Assert.Contains($"; and {result.Advisories.Count - PackageAdvisories.DescribedInFull} more: ", message, StringComparison.Ordinal);
        Assert.All(result.Advisories, a => Assert.Contains(a.Id, message, StringComparison.Ordinal));
        Assert.True(message.Length < 1500, $"message of {message.Length} characters");
    }

    [Fact]
    public void Every_result_names_its_package_manifest_and_line()
    {
        var package = new ResolvedPackage(Ecosystems.Npm, "y18n", "4.0.0", false, ["yargs"], "package-lock.json", 42, []);
        var result = Assert.Single(advisories.Database.Matcher().Match([package, Package(Ecosystems.Npm, "left-pad", "1.0.0")]));
        Assert.Same(package, result.Package);
        Assert.Equal(Severity.High, result.Severity!.Level);
    }
}
