using SecureFuture.Scanning.Dependencies.Versions;

namespace SecureFuture.Scanning.Dependencies.Tests.Versions;

public class VersionSchemeTests
{
    private static int Compare(VersionScheme scheme, string a, string b)
    {
        Assert.True(scheme.TryParse(a, out var x, out var problem), problem);
        Assert.True(scheme.TryParse(b, out var y, out problem), problem);
        return Math.Sign(x.CompareTo(y));
    }

    /// <summary>Each list is in ascending order; adjacent entries joined by '=' have equal precedence.</summary>
    private static void AssertAscending(VersionScheme scheme, params string[] ordered)
    {
        for (var i = 0; i + 1 < ordered.Length; i++)
        {
            var (a, b) = (ordered[i].TrimStart('='), ordered[i + 1]);
            var expected = b.StartsWith('=') ? 0 : -1;
            Assert.True(expected == Compare(scheme, a, b.TrimStart('=')), $"{scheme.Name}: expected {a} {(expected == 0 ? "==" : "<")} {b.TrimStart('=')}");
            Assert.Equal(-expected, Compare(scheme, b.TrimStart('='), a));
        }
    }

    [Fact]
    public void NuGet_orders_by_NuGet_rules_two_and_four_parts_and_case_insensitive_labels()
    {
        AssertAscending(VersionSchemes.NuGet, "1.0.0-alpha", "1.0.0-alpha.2", "1.0.0-alpha.10", "=1.0.0-ALPHA.10", "1.0.0-beta", "1.0.0", "=1.0", "=1.0.0.0", "=1.0.0+build.5", "6.3.123.0", "6.12", "7.0.0-preview", "7.0.0");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1.0.0")]
    [InlineData("1.0.0.0.0")]
    [InlineData("[1.0,2.0)")]
    [InlineData("latest")]
    public void NuGet_refuses_what_is_not_a_version(string text) => Assert.Null(VersionSchemes.NuGet.ParseOrNull(text));

    [Fact]
    public void Npm_follows_semver_precedence_and_ignores_build_metadata()
    {
        // semver.org §11's own example, then build metadata (§10).
        AssertAscending(VersionSchemes.SemVer, "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "=1.0.0+20130313144700", "1.0.1", "2.0.0");
    }

    [Theory]
    [InlineData("1.0")] // npm/GHSA-r683-j2x4-v87g writes "introduced: 1.0": not coerced to 1.0.0
    [InlineData("7.2.4, 6.11.4")] // npm/GHSA-h755-8qp9-cq85: two versions in one string
    [InlineData("01.2.3")]
    [InlineData("v1.2.3")]
    [InlineData("1.2.3-")]
    [InlineData("^1.2.3")]
    public void Npm_refuses_what_strict_semver_refuses(string text) => Assert.Null(VersionSchemes.SemVer.ParseOrNull(text));

    [Fact]
    public void Go_accepts_the_v_prefix_incompatible_and_orders_pseudo_versions_as_the_go_command()
    {
        AssertAscending(VersionSchemes.Go,
            "v0.0.0-20190101000000-aaaaaaaaaaaa", "v0.0.0-20210101000000-abcdef123456", "v0.0.1", "=0.0.1",
            "v1.0.0-rc93", "v1.0.0", "v1.2.3", "v1.2.4-0.20210101000000-abcdef123456", "v1.2.4",
            "v2.0.0+incompatible", "=2.0.0", "v2.8.2-beta.1", "v2.8.2");
    }

    [Theory]
    [InlineData("v1.2")]
    [InlineData("v1.2.3+build")] // Go's only build metadata is +incompatible
    [InlineData("latest")]
    public void Go_refuses_what_go_mod_cannot_hold(string text) => Assert.Null(VersionSchemes.Go.ParseOrNull(text));

    [Fact]
    public void Cargo_is_strict_semver()
    {
        AssertAscending(VersionSchemes.Cargo, "0.1.0-alpha.1", "0.1.0", "0.1.1", "1.0.0");
        Assert.Null(VersionSchemes.Cargo.ParseOrNull("0.1")); // crates.io/GHSA-wcg3-cvx6-7396 writes 0.1 only as a name of a line
    }

    [Fact]
    public void Maven_orders_qualifiers_alpha_beta_milestone_rc_snapshot_release_sp()
    {
        AssertAscending(VersionSchemes.Maven, "1-alpha-1", "=1a1", "1-alpha-2", "1-beta", "1-milestone-1", "=1m1", "1-rc", "=1-cr", "1-snapshot", "1", "=1.0", "=1.0.0", "=1-ga", "=1-final", "=1.0-release", "1-sp", "1-foo", "1-1", "1.0.1", "1.1");
    }

    [Fact]
    public void Maven_orders_numbers_numerically_and_longer_versions_after()
    {
        AssertAscending(VersionSchemes.Maven, "1.0-SNAPSHOT", "1.0", "1.0.1", "1.2", "1.10", "2.12.6", "2.12.6.1", "2.12.7");
    }

    [Theory]
    [InlineData("")]
    [InlineData("${project.version}")]
    [InlineData("[1.0,2.0)")]
    [InlineData("1.0 ")]
    public void Maven_refuses_what_is_no_resolved_version(string text) => Assert.Null(VersionSchemes.Maven.ParseOrNull(text));

    [Theory]
    [InlineData("1.0-1", "1.0.post1")]
    [InlineData("V1.0", "1.0")]
    [InlineData("  1.0  ", "1.0")]
    [InlineData("1.0ALPHA1", "1.0a1")]
    [InlineData("1.0-preview-2", "1.0rc2")]
    [InlineData("1.0c3", "1.0rc3")]
    [InlineData("1.0.dev", "1.0.dev0")]
    [InlineData("1.0-r4", "1.0.post4")]
    [InlineData("1!2.0", "1!2.0")]
    [InlineData("0!2.0", "2.0")]
    [InlineData("1.0+Ubuntu-1", "1.0+ubuntu.1")]
    [InlineData("1.0+ubuntu.01", "1.0+ubuntu.1")]
    [InlineData("0.8.0-alpha2", "0.8.0a2")]
    public void Pep440_normalises_like_packaging(string text, string normalised)
    {
        Assert.True(VersionSchemes.Pep440.TryParse(text, out var v, out var problem), problem);
        Assert.Equal(normalised, v.ToString());
    }

    [Fact]
    public void Pep440_orders_epochs_dev_pre_post_and_local_versions()
    {
        AssertAscending(VersionSchemes.Pep440, "1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0b1", "1.0rc1", "1.0", "=1.0.0", "1.0+local", "1.0+local.2", "1.0+local.10", "1.0.post1.dev1", "1.0.post1", "1.1", "2013.10", "1!0.1");
    }

    [Theory]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("1.0+")]
    [InlineData("1..0")]
    [InlineData("2.0.0.final")]
    [InlineData("3cbb917b4714766030b28eba9fb41bb97ce9ee02")] // a GIT range's commit
    public void Pep440_refuses_what_packaging_refuses(string text) => Assert.Null(VersionSchemes.Pep440.ParseOrNull(text));

    [Fact]
    public void Every_ecosystem_has_a_scheme_and_unknown_ones_none()
    {
        foreach (var e in new[] { Ecosystems.NuGet, Ecosystems.Npm, Ecosystems.PyPI, Ecosystems.Maven, Ecosystems.Go, Ecosystems.Cargo })
        {
            Assert.NotNull(VersionSchemes.ForEcosystem(e));
        }

        Assert.Null(VersionSchemes.ForEcosystem("Packagist"));
    }
}
