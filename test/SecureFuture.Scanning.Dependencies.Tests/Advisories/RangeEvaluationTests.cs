using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Scanning.Dependencies.Tests.Advisories;

/// <summary>OSV range semantics on small records written for one edge case each.</summary>
public class RangeEvaluationTests
{
    private static OsvRecord Record(string id, string ecosystem, string name, OsvRange[] ranges, string[]? versions = null, string[]? aliases = null, OsvSeverity[]? severity = null, bool withdrawn = false) =>
        new(id, aliases ?? [], $"summary of {id}", DateTimeOffset.UnixEpoch, withdrawn, severity ?? [], null, [new OsvAffected(ecosystem, name, ranges, versions ?? [])]);

    private static OsvRange Range(string type, params (OsvEventKind Kind, string Version)[] events) =>
        new(type, [.. events.Select(e => new OsvEvent(e.Kind, e.Version))]);

    private static PackageAdvisories? Match(IEnumerable<OsvRecord> records, string ecosystem, string name, string version, KevCatalog? kev = null) =>
        new AdvisoryMatcher(AdvisoryIndex.Build(records, DateTimeOffset.UnixEpoch, ["test"]), kev)
            .Match([new ResolvedPackage(ecosystem, name, version, true, [], "m", 1, [])]).SingleOrDefault();

    [Theory]
    [InlineData("0.9.0", false)]
    [InlineData("1.0.0", true)]
    [InlineData("1.9.9", true)]
    [InlineData("2.0.0", false)]
    [InlineData("2.9.0", false)]
    [InlineData("3.0.0", true)]
    [InlineData("3.5.0", false)]
    public void Unsorted_events_are_sorted_before_evaluation(string version, bool affected)
    {
        var record = Record("OSV-1", Ecosystems.Cargo, "c", [Range("SEMVER", (OsvEventKind.Fixed, "3.5.0"), (OsvEventKind.Introduced, "3.0.0"), (OsvEventKind.Fixed, "2.0.0"), (OsvEventKind.Introduced, "1.0.0"))]);
        Assert.Equal(affected, Match([record], Ecosystems.Cargo, "c", version) is not null);
    }

    [Theory]
    [InlineData("0.0.1", true)]
    [InlineData("1.9.0", true)]
    [InlineData("2.0.0", false)] // limit is an exclusive upper bound
    [InlineData("5.0.0", false)]
    public void Introduced_zero_is_below_every_version_and_limit_bounds_the_range(string version, bool affected)
    {
        var record = Record("OSV-2", Ecosystems.Npm, "n", [Range("SEMVER", (OsvEventKind.Introduced, "0"), (OsvEventKind.Limit, "2.0.0"))]);
        Assert.Equal(affected, Match([record], Ecosystems.Npm, "n", version) is not null);
    }

    [Fact]
    public void Git_ranges_are_not_evaluated_against_package_versions()
    {
        var record = Record("OSV-3", Ecosystems.PyPI, "p", [Range("GIT", (OsvEventKind.Introduced, "0"), (OsvEventKind.Fixed, "2545222a3853e31ace15d87ae0e2effb7da0c96b"))]);
        Assert.Null(Match([record], Ecosystems.PyPI, "p", "1.0"));
    }

    [Fact]
    public void Records_sharing_an_alias_are_one_finding_with_every_id()
    {
        // The PyPA record of CVE-2021-21330 and GitHub's record of it, as both databases publish them.
        OsvRecord[] records =
        [
            Record("PYSEC-2021-76", Ecosystems.PyPI, "aiohttp", [Range("ECOSYSTEM", (OsvEventKind.Introduced, "0"), (OsvEventKind.Fixed, "3.7.4"))], aliases: ["CVE-2021-21330", "GHSA-v6wp-4m6f-gcjg"]),
            Record("GHSA-v6wp-4m6f-gcjg", Ecosystems.PyPI, "aiohttp", [Range("ECOSYSTEM", (OsvEventKind.Introduced, "0"), (OsvEventKind.Fixed, "3.7.4"))], aliases: ["CVE-2021-21330"], severity: [new("CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:L/A:N")]),
            Record("PYSEC-2099-1", Ecosystems.PyPI, "aiohttp", [Range("ECOSYSTEM", (OsvEventKind.Introduced, "3.0"), (OsvEventKind.Fixed, "3.8.0"))], aliases: ["CVE-2099-1"]),
        ];
        var result = Match(records, Ecosystems.PyPI, "aiohttp", "3.7.3", new KevCatalog("test", ["CVE-2021-21330"]))!;
        Assert.Equal(2, result.Advisories.Count);
        var merged = result.Advisories.Single(a => a.Id == "GHSA-v6wp-4m6f-gcjg");
        Assert.Equal(["CVE-2021-21330", "PYSEC-2021-76"], merged.Aliases);
        Assert.Equal("CVSS 3.1", merged.Severity.Source); // the GHSA record's vector, though the PYSEC record has none
        Assert.True(merged.KnownExploited);
        Assert.False(result.Advisories.Single(a => a.Id == "PYSEC-2099-1").KnownExploited);
        Assert.Equal("3.8.0", result.SmallestFix); // fixes both
    }

    [Fact]
    public void The_versions_list_matches_exactly_even_without_a_range()
    {
        var record = Record("OSV-4", Ecosystems.PyPI, "p", [], versions: ["1.0", "1.1"]);
        Assert.NotNull(Match([record], Ecosystems.PyPI, "p", "1.1"));
        Assert.NotNull(Match([record], Ecosystems.PyPI, "p", "1.1.0")); // equal under PEP 440
        Assert.Null(Match([record], Ecosystems.PyPI, "p", "1.2"));
    }

    [Fact]
    public void A_withdrawn_record_is_left_out_of_the_index()
    {
        var index = AdvisoryIndex.Build([Record("OSV-5", Ecosystems.Npm, "n", [Range("SEMVER", (OsvEventKind.Introduced, "0"))], withdrawn: true)], DateTimeOffset.UnixEpoch, []);
        Assert.Empty(index.For(Ecosystems.Npm, "n"));
        Assert.Equal(1, index.Info.Withdrawn);
    }

    [Fact]
    public void A_semver_range_on_a_pypi_package_reads_the_version_as_semver_and_reports_when_it_cannot()
    {
        var record = Record("OSV-6", Ecosystems.PyPI, "p", [Range("SEMVER", (OsvEventKind.Introduced, "0"), (OsvEventKind.Fixed, "2.0.0"))]);
        Assert.NotNull(Match([record], Ecosystems.PyPI, "p", "1.5.0"));
        var result = Match([record], Ecosystems.PyPI, "p", "1.5")!; // valid PEP 440, not SemVer
        Assert.Empty(result.Advisories);
        Assert.Contains(result.Problems, p => p.Contains("OSV-6", StringComparison.Ordinal));
    }
}
