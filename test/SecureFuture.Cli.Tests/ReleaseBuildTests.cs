using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// build/release.sh as a release is made: the self-contained single-file build of this machine's runtime (linux-x64
/// here; linux-arm64 is built the same way but cannot run here) with its checksum and SBOM, run with no .NET anywhere
/// it could find.
/// </summary>
// Packing and the release build share the CLI projects' obj/ folders: one at a time.
[Collection("CLI builds")]
[Trait("Category", "Integration")]
public sealed class ReleaseBuildTests
{
    [Fact]
    public void The_single_file_build_runs_without_dotnet_and_ships_with_a_checksum_and_a_valid_SBOM()
    {
        var work = Directory.CreateTempSubdirectory("sfi-release-").FullName;
        try
        {
            var output = Path.Combine(work, "out");
            var (exit, log) = ChildProcess.Run("bash", [Path.Combine(CliRunner.RepoRoot(), "build", "release.sh"), "--rid", "linux-x64", "--out", output], timeoutSeconds: 1200);
            Assert.True(exit == 0, log);
            var artefact = Directory.EnumerateFiles(output, "sfi-*-linux-x64").Single();
            Assert.EndsWith($"sfi-{CliApp.Version}-linux-x64", artefact, StringComparison.Ordinal);

            (exit, log) = ChildProcess.Run("sha256sum", ["-c", Path.GetFileName(artefact) + ".sha256"], workingDirectory: output);
            Assert.True(exit == 0, log);
            (exit, log) = ChildProcess.Run("node", [SbomCommandTests.Validator(), "cyclonedx", artefact + ".cdx.json"]);
            Assert.True(exit == 0, log);
            Assert.Contains("\"System.CommandLine\"", File.ReadAllText(artefact + ".cdx.json"), StringComparison.Ordinal);

            // No dotnet on the PATH and no DOTNET_ROOT: the runtime is inside the file.
            var bare = new Dictionary<string, string> { ["PATH"] = "/nonexistent", ["DOTNET_ROOT"] = "/nonexistent", ["HOME"] = work };
            (exit, log) = ChildProcess.Run(artefact, ["--version"], bare);
            Assert.True(exit == 0, log);
            Assert.StartsWith(CliApp.Version, log.Trim(), StringComparison.Ordinal);

            var sample = Path.Combine(work, "sample");
            CliRunner.WriteSecrets(sample);
            (exit, log) = ChildProcess.Run(artefact, ["scan", ".", "--analyzers", "secrets,iac", "--fail-on", "high"], bare, sample);
            Assert.True(exit == 1, log);
            Assert.Contains("SFI-SEC-040", log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
