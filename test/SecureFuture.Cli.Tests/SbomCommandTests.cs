using System.Text.Json;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi sbom</c> over the real lock files of the dependency tests: the output validates against the official
/// CycloneDX 1.6 and SPDX 2.3 JSON schemas (Ajv, tools/sbom, installed by test.sh), names every package by its purl
/// with the lock file's hashes and graph, and the command fails closed.
/// </summary>
public sealed class SbomCommandTests : IDisposable
{
    private static readonly string TestData = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Scanning.Dependencies.Tests", "Inventory", "TestData");
    private readonly string _out = Directory.CreateTempSubdirectory("sfi-sbom-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Trait("Category", "Integration")]
    [Theory]
    [InlineData("cyclonedx")]
    [InlineData("spdx")]
    public async Task Sbom_of_every_real_lock_file_is_valid_under_the_official_schema(string format)
    {
        var report = Path.Combine(_out, $"sbom.{format}.json");
        var (exit, _, stderr) = await CliRunner.RunAsync("sbom", TestData, "--format", format, "--output", report);

        Assert.True(exit == 0, stderr);
        var (code, output) = ChildProcess.Run("node", [Validator(), format, report]);
        Assert.True(code == 0, output);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Schema_validation_rejects_a_broken_sbom_so_the_validity_test_can_fail()
    {
        var report = Path.Combine(_out, "broken.json");
        await File.WriteAllTextAsync(report, "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"version\": 1, \"components\": [{\"type\": \"library\"}]}");

        var (code, output) = ChildProcess.Run("node", [Validator(), "cyclonedx", report]);

        Assert.Equal(1, code);
        Assert.Contains("must have required property 'name'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CycloneDx_names_packages_by_purl_with_lock_file_hashes_and_the_dependency_graph()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("sbom", TestData);
        Assert.True(exit == 0, stderr);

        using var bom = JsonDocument.Parse(stdout);
        var components = bom.RootElement.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("purl").GetString()!);
        Assert.Contains("pkg:npm/%40types/vscode@1.102.0", components.Keys); // a scope's '@' is encoded
        Assert.Contains("pkg:pypi/typing-extensions@4.15.0", components.Keys);
        Assert.Contains("pkg:maven/org.webjars.npm/bootstrap@5.3.8", components.Keys);
        Assert.Contains("pkg:golang/github.com/spf13/pflag@v1.0.9", components.Keys);
        Assert.Contains("pkg:nuget/System.CommandLine@2.0.15", components.Keys);
        Assert.Contains("pkg:cargo/clap@2.33.1", components.Keys);

        // package-lock's integrity (SHA-512, base64) as the hex digest CycloneDX wants.
        var jsonrpc = components["pkg:npm/vscode-jsonrpc@3.6.2"];
        var hash = Assert.Single(jsonrpc.GetProperty("hashes").EnumerateArray());
        Assert.Equal("SHA-512", hash.GetProperty("alg").GetString());
        var integrity = File.ReadAllText(Path.Combine(TestData, "npm-v1", "package-lock.json")).Split("\"integrity\": \"sha512-")[1].Split('"')[0];
        Assert.Equal(Convert.ToHexStringLower(Convert.FromBase64String(integrity)), hash.GetProperty("content").GetString());

        var dependencies = bom.RootElement.GetProperty("dependencies").EnumerateArray().ToDictionary(
            d => d.GetProperty("ref").GetString()!,
            d => d.GetProperty("dependsOn").EnumerateArray().Select(x => x.GetString()!).ToList());
        Assert.Contains("pkg:npm/vscode-languageserver@4.1.3", dependencies["root"]);
        Assert.DoesNotContain("pkg:npm/vscode-jsonrpc@3.6.2", dependencies["root"]);
        Assert.Contains("pkg:npm/vscode-jsonrpc@3.6.2", dependencies["pkg:npm/vscode-languageserver-protocol@3.7.2"]);
        Assert.Equal(components.Count + 1, dependencies.Count); // one entry per component, and the product's
    }

    [Fact]
    public async Task Spdx_describes_the_product_which_depends_on_the_direct_packages()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("sbom", Path.Combine(TestData, "yarn-berry"), "--format", "spdx", "--name", "toposort");
        Assert.True(exit == 0, stderr);

        using var spdx = JsonDocument.Parse(stdout);
        var ids = spdx.RootElement.GetProperty("packages").EnumerateArray().ToDictionary(p => p.GetProperty("SPDXID").GetString()!, p => p.GetProperty("name").GetString()!);
        var relationships = spdx.RootElement.GetProperty("relationships").EnumerateArray()
            .Select(r => $"{ids.GetValueOrDefault(r.GetProperty("spdxElementId").GetString()!, "DOCUMENT")} {r.GetProperty("relationshipType").GetString()} {ids[r.GetProperty("relatedSpdxElement").GetString()!]}");
        Assert.Equal(["DOCUMENT DESCRIBES toposort", "toposort DEPENDS_ON vows", "vows DEPENDS_ON diff", "vows DEPENDS_ON eyes"], relationships.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Unpinned_requirements_are_warnings_naming_their_line_and_are_left_out_of_the_sbom()
    {
        var tree = Directory.CreateTempSubdirectory("sfi-sbom-unpinned-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(tree, "requirements.txt"), "flask>=2.0\nsix==1.16.0\n");
            var (exit, stdout, stderr) = await CliRunner.RunAsync("sbom", tree);

            Assert.Equal(0, exit);
            Assert.Contains("sfi: warning: requirements.txt:1: flask '>=2.0' is not pinned with ==", stderr, StringComparison.Ordinal);
            using var bom = JsonDocument.Parse(stdout);
            Assert.Equal(["pkg:pypi/six@1.16.0"], bom.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("purl").GetString()));
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public async Task A_tree_without_manifests_is_a_usage_error_and_nothing_is_written()
    {
        var empty = Directory.CreateTempSubdirectory("sfi-sbom-empty-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(empty, "README.md"), "# nothing to see");
            var report = Path.Combine(_out, "empty.json");
            var (exit, _, stderr) = await CliRunner.RunAsync("sbom", empty, "--output", report);

            Assert.Equal(2, exit);
            Assert.Contains("no manifest or lock file found", stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(report));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task A_malformed_lock_file_fails_closed_naming_its_line_and_column()
    {
        var tree = Directory.CreateTempSubdirectory("sfi-sbom-bad-").FullName;
        try
        {
            File.Copy(Path.Combine(TestData, "cargo-v3", "Cargo.lock"), Path.Combine(tree, "Cargo.lock"));
            await File.WriteAllTextAsync(Path.Combine(tree, "package-lock.json"), "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {},,\n  }\n}\n");
            var report = Path.Combine(_out, "bad.json");
            var (exit, _, stderr) = await CliRunner.RunAsync("sbom", tree, "--output", report);

            Assert.Equal(2, exit);
            Assert.Contains("sfi: error: package-lock.json:4:", stderr, StringComparison.Ordinal);
            Assert.Contains("no SBOM written", stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(report));
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    /// <summary>tools/sbom/validate.mjs, with its node_modules installed by test.sh (SFI_SBOM_VALIDATOR names it there).</summary>
    internal static string Validator()
    {
        var script = Environment.GetEnvironmentVariable("SFI_SBOM_VALIDATOR") is { } configured && File.Exists(configured)
            ? configured
            : Path.Combine(CliRunner.RepoRoot(), "tools", "sbom", "validate.mjs");
        return Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "ajv"))
            ? script
            : throw new InvalidOperationException("The SBOM schema validator is not installed: run ./test.sh, which installs it from tools/sbom.");
    }
}
