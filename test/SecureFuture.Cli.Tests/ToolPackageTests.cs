using System.IO.Compression;
using System.Security.Cryptography;
using System.Xml.Linq;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// The .NET tool package as a user gets it: <c>dotnet pack</c>, <c>dotnet tool install --add-source</c> from a local
/// feed only, then <c>sfi</c> run from a directory outside the repository, with nothing of the repository beside it.
/// </summary>
// Packing and the release build share the CLI projects' obj/ folders: one at a time.
[Collection("CLI builds")]
[Trait("Category", "Integration")]
public sealed class ToolPackageTests
{
    private const int PackSeconds = 300;

    [Fact]
    public void The_packed_tool_installs_from_a_local_feed_and_scans_and_lists_controls_from_any_directory()
    {
        var work = Directory.CreateTempSubdirectory("sfi-tool-").FullName;
        try
        {
            var feed = Path.Combine(work, "feed");
            var package = Pack(feed);

            // Package metadata that nuget.org and `dotnet tool search` show.
            using (var zip = ZipFile.OpenRead(package))
            {
                var nuspec = XDocument.Load(zip.GetEntry("SecureFuture.Cli.nuspec")!.Open());
                var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
                string? Element(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
                Assert.Equal("SecureFuture.Cli", Element("id"));
                Assert.Equal("MIT", Element("license"));
                // The licence text itself travels with the package: MIT, the copyright holders the repository names.
                using (var license = new StreamReader(zip.GetEntry("LICENSE")!.Open()))
                {
                    var text = license.ReadToEnd();
                    Assert.StartsWith("MIT License\n\nCopyright (c) SecureFuture contributors\n", text, StringComparison.Ordinal);
                    Assert.Equal(File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "LICENSE")), text);
                }

                Assert.Equal("README.md", Element("readme"));
                Assert.NotNull(zip.GetEntry("README.md"));
                Assert.Contains("security", Element("tags")!.Split(' '));
                var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
                Assert.StartsWith("https://github.com/", repository.Attribute("url")!.Value, StringComparison.Ordinal);
                Assert.Equal("DotnetTool", metadata.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name")!.Value);

                // One platform-neutral package that carries its implementation: not a pointer to RID-specific packages.
                var settings = XDocument.Load(zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
                var command = settings.Descendants("Command").Single();
                Assert.Equal("sfi", command.Attribute("Name")!.Value);
                Assert.Equal("sfi.dll", command.Attribute("EntryPoint")!.Value);
                Assert.Empty(settings.Descendants("RuntimeIdentifierPackage"));
                Assert.NotNull(zip.GetEntry("tools/net10.0/any/sfi.dll"));

                // Rules, guidance and catalogues are embedded resources: no file of the repository's data folders is packed.
                Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(".yaml", StringComparison.Ordinal) || e.FullName.Contains("/guidance/", StringComparison.Ordinal));
            }

            // Deterministic: the same sources and SOURCE_DATE_EPOCH give the same bytes.
            var again = Pack(Path.Combine(work, "feed2"));
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(package)), SHA256.HashData(File.ReadAllBytes(again)));

            // Only the local feed: the install must not need anything else.
            var config = Path.Combine(work, "nuget.config");
            File.WriteAllText(config, $"<configuration><packageSources><clear /><add key=\"local\" value=\"{feed}\" /></packageSources></configuration>");
            var tools = Path.Combine(work, "tools");
            var (exit, output) = ChildProcess.Run("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", config, "SecureFuture.Cli"], timeoutSeconds: PackSeconds);
            Assert.True(exit == 0, output);
            Assert.Empty(Directory.EnumerateFiles(tools, "*.yaml", SearchOption.AllDirectories));

            var sample = Path.Combine(work, "sample");
            Directory.CreateDirectory(sample);
            CliRunner.WriteSecrets(sample);
            var sfi = Path.Combine(tools, "sfi");

            (exit, output) = ChildProcess.Run(sfi, ["--version"], workingDirectory: sample);
            Assert.Equal(0, exit);
            Assert.StartsWith(CliApp.Version, output.Trim(), StringComparison.Ordinal);

            (exit, output) = ChildProcess.Run(sfi, ["scan", ".", "--fail-on", "high"], workingDirectory: sample);
            Assert.True(exit == 1, output);
            Assert.Contains("SFI-SEC-040", output, StringComparison.Ordinal);
            Assert.Contains("SFI-SEC-004", output, StringComparison.Ordinal);

            (exit, output) = ChildProcess.Run(sfi, ["baseline", "controls"], workingDirectory: sample);
            Assert.True(exit == 0, output);
            Assert.Contains("IDN-01", output, StringComparison.Ordinal);

            // action.yml's scan step as a GitHub runner runs it: the installed tool on PATH, the inputs in the environment.
            var githubOutput = Path.Combine(work, "github-output");
            File.WriteAllText(githubOutput, string.Empty);
            var environment = new Dictionary<string, string>
            {
                ["PATH"] = tools + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
                ["GITHUB_OUTPUT"] = githubOutput,
                ["SFI_PATH"] = ".",
                ["SFI_FAIL_ON"] = "high",
                ["SFI_ANALYZERS"] = "secrets",
                ["SFI_SINCE"] = string.Empty,
                ["SFI_SARIF"] = "sfi.sarif",
                ["SFI_PUSH"] = "false",
                ["SFI_SERVER"] = string.Empty,
                ["SFI_PROJECT"] = string.Empty,
                ["SFI_ADMIN_KEY"] = string.Empty,
                ["SFI_REF"] = "main",
            };
            (exit, output) = ChildProcess.Run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", CiTemplateTests.ScanStepScript()], environment, sample);
            Assert.True(exit == 0, output); // the gate is a step of its own, after the upload
            Assert.Contains("exit-code=1", File.ReadAllText(githubOutput), StringComparison.Ordinal);
            Assert.Contains("\"SFI-SEC-040\"", File.ReadAllText(Path.Combine(sample, "sfi.sarif")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Packs the CLI as built for this test run (same configuration, no rebuild) into <paramref name="feed"/>.</summary>
    private static string Pack(string feed)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var project = Path.Combine(CliRunner.RepoRoot(), "src", "SecureFuture.Cli", "SecureFuture.Cli.csproj");
        var (exit, output) = ChildProcess.Run(
            "dotnet",
            ["pack", project, "-c", configuration, "--no-build", "-o", feed, "-nodeReuse:false", "-v", "quiet", "-nologo"],
            new Dictionary<string, string> { ["SOURCE_DATE_EPOCH"] = "1764892800" },
            timeoutSeconds: PackSeconds);
        Assert.True(exit == 0, output);
        return Directory.EnumerateFiles(feed, "SecureFuture.Cli.*.nupkg").Single();
    }
}
