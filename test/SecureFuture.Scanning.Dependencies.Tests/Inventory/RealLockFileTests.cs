using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Inventory;

namespace SecureFuture.Scanning.Dependencies.Tests.Inventory;

/// <summary>
/// Lock files and manifests from real projects (TestData/README.md names each source, commit and licence) parse to
/// exactly the package set, with direct/transitive, that an independent reading with Python's json, yaml and tomllib
/// gives (each case's expected.txt).
/// </summary>
public class RealLockFileTests
{
    public static TheoryData<string> Cases() =>
        [.. Directory.GetDirectories(InventoryTestData.Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Real_lock_file_parses_to_the_exact_package_set(string name)
    {
        var result = InventoryTestData.Read(name);

        Assert.DoesNotContain(result.Notifications, n => n.Level == NotificationLevel.Error);
        var actual = result.Packages.Select(p => $"{p.Name}@{p.Version} {(p.Direct ? "direct" : "transitive")}").Distinct().Order(StringComparer.Ordinal);
        var expected = File.ReadAllLines(Path.Combine(InventoryTestData.Root, name, "expected.txt")).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_package_is_located_on_a_line_that_names_it(string name)
    {
        var result = InventoryTestData.Read(name);

        foreach (var package in result.Packages)
        {
            var lines = File.ReadAllLines(Path.Combine(InventoryTestData.Root, name, package.Manifest));
            Assert.InRange(package.Line, 1, lines.Length);
            // Maven names a dependency over several lines of its <dependency> element; the artifact is within three.
            var around = string.Join('\n', lines.Skip(package.Line - 1).Take(package.Ecosystem == Ecosystems.Maven ? 3 : 1));
            var shortName = package.Ecosystem == Ecosystems.Maven ? package.Name.Split(':')[1] : package.Name;
            Assert.True(around.Contains(shortName, StringComparison.OrdinalIgnoreCase), $"{package.Manifest}:{package.Line} does not name {package.Name}: {around}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_transitive_package_path_starts_at_a_direct_dependency_and_follows_recorded_edges(string name)
    {
        var result = InventoryTestData.Read(name);
        var direct = result.Packages.Where(p => p.Direct).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var edges = result.Edges.Select(e => (e.From.Name, e.To.Name)).ToHashSet();

        foreach (var package in result.Packages.Where(p => !p.Direct && p.Via.Count > 0))
        {
            Assert.Contains(package.Via[0], direct);
            var chain = package.Via.Append(package.Name).ToList();
            for (var i = 0; i + 1 < chain.Count; i++)
            {
                Assert.Contains((chain[i], chain[i + 1]), edges);
            }
        }
    }

    [Fact]
    public void Npm_v1_transitive_package_has_the_shortest_path_from_its_direct_dependency()
    {
        var jsonrpc = InventoryTestData.Read("npm-v1").Packages.Single(p => p.Name == "vscode-jsonrpc");

        Assert.False(jsonrpc.Direct);
        Assert.Equal(["vscode-languageserver", "vscode-languageserver-protocol"], jsonrpc.Via);
    }

    [Fact]
    public void Npm_v3_integrity_is_kept_as_the_lock_file_hash()
    {
        var package = InventoryTestData.Read("npm-v3").Packages.First(p => p.Hashes.Count > 0);

        Assert.StartsWith("sha512-", package.Hashes[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Pip_compile_via_comments_make_a_transitive_pin_with_its_path()
    {
        var urllib3 = InventoryTestData.Read("requirements-pip-compile").Packages.Single(p => p.Name == "urllib3");

        Assert.False(urllib3.Direct);
        Assert.Equal(["sphinx", "requests"], urllib3.Via);
    }

    [Fact]
    public void Cargo_workspace_crate_is_not_a_package_and_its_dependencies_are_direct()
    {
        var result = InventoryTestData.Read("cargo-v2");

        Assert.DoesNotContain(result.Packages, p => p.Name == "hexyl");
        Assert.Contains(result.Packages, p => p is { Name: "clap", Direct: true });
        Assert.Equal(["sha256-bdfa80d47f954d53a35a64987ca1422f495b8d6483c0fe9f7117b36c2a792129"], result.Packages.Single(p => p.Name == "clap").Hashes);
    }

    [Fact]
    public void Go_sum_adds_the_module_hash_and_not_the_go_mod_hash()
    {
        var pflag = InventoryTestData.Read("go").Packages.Single(p => p.Name == "github.com/spf13/pflag");

        var sum = File.ReadAllLines(Path.Combine(InventoryTestData.Root, "go", "go.sum")).Single(l => l.StartsWith("github.com/spf13/pflag v1.0.9 h1:", StringComparison.Ordinal));
        Assert.Equal(["h1-" + sum.Split(' ')[2][3..]], pflag.Hashes);
    }

    [Fact]
    public void Maven_versions_managed_by_the_parent_are_reported_unpinned_not_guessed()
    {
        var result = InventoryTestData.Read("maven");

        Assert.Contains(result.Unpinned, u => u.Name == "org.springframework.boot:spring-boot-starter-actuator" && u.Requirement == "(no version)");
        Assert.Contains(result.Notifications, n => n.Id == InventoryNotifications.Unpinned && n.Message.Contains("spring-boot-starter-actuator", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Packages, p => p.Name.Contains("spring-boot", StringComparison.Ordinal));
    }

    [Fact]
    public void NuGet_packages_a_referenced_project_declares_are_direct_and_theirs_are_transitive()
    {
        var packages = InventoryTestData.Read("nuget-assets").Packages;

        var spectre = packages.Single(p => p.Name == "Spectre.Console");
        Assert.True(spectre.Direct); // declared by SecureFuture.Core, a project of the same build
        Assert.StartsWith("sha512-", Assert.Single(spectre.Hashes), StringComparison.Ordinal);
        Assert.Equal(["Spectre.Console"], packages.Single(p => p.Name == "Spectre.Console.Ansi").Via);
        Assert.DoesNotContain(packages, p => p.Name == "SecureFuture.Core");
    }
}

internal static class InventoryTestData
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Inventory", "TestData");

    /// <summary>Every file of a case, as a scan would hand them over (paths relative to the case, with '/').</summary>
    public static InventoryResult Read(string name)
    {
        var directory = Path.Combine(Root, name);
        var inventory = new DependencyInventory();
        var files = Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/'))
            .Where(inventory.Wants)
            .Select(p => new ScanTarget(p, File.ReadAllText(Path.Combine(directory, p))));
        return inventory.Read(files);
    }
}
