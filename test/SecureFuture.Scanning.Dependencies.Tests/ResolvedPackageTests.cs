namespace SecureFuture.Scanning.Dependencies.Tests;

public class ResolvedPackageTests
{
    [Fact]
    public void A_direct_package_has_no_path_and_keeps_its_version_verbatim()
    {
        var p = new ResolvedPackage(Ecosystems.PyPI, "Django", "4.2.0rc1", true, [], "requirements.txt", 1, []);
        Assert.Empty(p.Via);
        Assert.Equal("4.2.0rc1", p.Version);
        Assert.Equal("crates.io", Ecosystems.Cargo);
    }
}
