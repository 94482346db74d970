using SecureFuture.Scanning.Dependencies.Inventory;
using SecureFuture.Scanning.Dependencies.Sbom;

namespace SecureFuture.Scanning.Dependencies.Tests.Sbom;

public class PackageUrlTests
{
    [Theory]
    [InlineData(Ecosystems.Npm, "@angular/animation", "12.3.1", "pkg:npm/%40angular/animation@12.3.1")]
    [InlineData(Ecosystems.Npm, "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0")]
    [InlineData(Ecosystems.NuGet, "EnterpriseLibrary.Common", "6.0.1304", "pkg:nuget/EnterpriseLibrary.Common@6.0.1304")]
    [InlineData(Ecosystems.PyPI, "Django_Allauth", "12.23", "pkg:pypi/django-allauth@12.23")]
    [InlineData(Ecosystems.Maven, "org.apache.commons:commons-text", "1.2", "pkg:maven/org.apache.commons/commons-text@1.2")]
    [InlineData(Ecosystems.Go, "github.com/Azure/azure-sdk-for-go", "v68.0.0+incompatible", "pkg:golang/github.com/azure/azure-sdk-for-go@v68.0.0%2Bincompatible")]
    [InlineData(Ecosystems.Cargo, "rand", "0.7.2", "pkg:cargo/rand@0.7.2")]
    [InlineData(Ecosystems.NuGet, "Weird Name", "1.0.0-beta+build.5", "pkg:nuget/Weird%20Name@1.0.0-beta%2Bbuild.5")]
    public void Package_url_follows_each_type_and_percent_encodes_its_parts(string ecosystem, string name, string version, string expected) =>
        Assert.Equal(expected, PackageUrl.For(ecosystem, name, version));

    [Fact]
    public void A_version_cannot_inject_qualifiers_or_a_subpath()
    {
        var purl = PackageUrl.For(Ecosystems.Npm, "x", "1.0.0?download_url=https://evil#/etc");

        Assert.Equal("pkg:npm/x@1.0.0%3Fdownload_url%3Dhttps%3A%2F%2Fevil%23%2Fetc", purl);
    }

    [Fact]
    public void Hashes_become_hex_digests_only_when_they_name_one_artifact()
    {
        var sri = "sha512-" + Convert.ToBase64String(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        var agreed = SbomDocument.AgreedHashes([sri, "sha256-" + new string('a', 64), "sha256-" + new string('b', 64), "h1-abc=", "sha1-nothex"]);

        // Two sha256 values (a wheel and an sdist) describe no single artifact; h1 is Go's directory hash, not a file digest.
        var (algorithm, hex) = Assert.Single(agreed);
        Assert.Equal("sha512", algorithm);
        Assert.Equal(Convert.ToHexStringLower(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()), hex);
    }

    [Fact]
    public void Document_merges_a_package_resolved_by_several_manifests_into_one_component()
    {
        var inventory = new DependencyInventory().Read([
            new("a/requirements.txt", "six==1.16.0\n"),
            new("b/requirements.txt", "six==1.16.0\nSix==1.16.0\n"),
        ]);

        var document = SbomDocument.From(inventory, "p", DateTimeOffset.UnixEpoch, Guid.Empty, "0");

        var component = Assert.Single(document.Components);
        Assert.Equal(["a/requirements.txt", "b/requirements.txt"], component.Manifests);
        Assert.Equal(["pkg:pypi/six@1.16.0"], document.DirectDependencies);
    }
}
