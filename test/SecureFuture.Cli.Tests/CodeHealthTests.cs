using System.Text.Json;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// Rules of the code base that the build enforces, checked where they are set up: a project that slipped out of them
/// would build as before and nobody would notice.
/// </summary>
public sealed class CodeHealthTests
{
    private static readonly string[] WallClockReads = ["System.DateTime.Now", "System.DateTime.UtcNow", "System.DateTime.Today", "System.DateTimeOffset.Now", "System.DateTimeOffset.UtcNow"];

    /// <summary>
    /// STYLE.md rule 9: time is injected. Every project under src/ (the CLI and the server included, not only the
    /// libraries relying parties consume) runs the banned-API analyzer over the wall-clock reads, so an expiry, rotation
    /// or SLA decision that reads the machine's clock fails the build instead of escaping the fake-clock tests.
    /// </summary>
    [Fact]
    public void Every_src_project_runs_the_banned_api_analyzer_over_the_wall_clock_reads()
    {
        var src = Path.Combine(CliRunner.RepoRoot(), "src");
        var banned = BannedSymbols();
        Assert.All(WallClockReads, read => Assert.Contains("P:" + read, banned));

        var projects = Directory.GetDirectories(src).Where(d => Directory.EnumerateFiles(d, "*.csproj").Any()).ToList();
        Assert.NotEmpty(projects);
        Assert.All(projects, project =>
        {
            // The restore graph says which analyzers a project really gets, whatever props file or csproj added them.
            using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(project, "packages.lock.json")));
            var direct = lockFile.RootElement.GetProperty("dependencies").GetProperty("net10.0");
            Assert.True(
                direct.TryGetProperty("Microsoft.CodeAnalysis.BannedApiAnalyzers", out var analyzer) && analyzer.GetProperty("type").GetString() == "Direct",
                $"{Path.GetFileName(project)} does not run the banned-API analyzer (src/Directory.Build.props adds it to every src project)");
        });
    }

    /// <summary>
    /// `sfi scan` also ships as a Native AOT build (docs/install.md), where methods carry no reflection metadata: an
    /// exception's <c>TargetSite</c> and a stack frame's method are null there. Code that classified an exception by
    /// them (LocatedYaml did, for YamlDotNet's non-YamlException faults) would fail to recognise a malformed lock file
    /// under AOT while every JIT test passed; the banned-API analyzer refuses both in src/.
    /// </summary>
    [Fact]
    public void Reflection_that_is_null_under_native_aot_is_banned_in_src() =>
        Assert.All(["P:System.Exception.TargetSite", "M:System.Diagnostics.StackFrame.GetMethod"], symbol => Assert.Contains(symbol, BannedSymbols()));

    private static HashSet<string> BannedSymbols() =>
        File.ReadAllLines(Path.Combine(CliRunner.RepoRoot(), "src", "BannedSymbols.txt")).Select(l => l.Split(';')[0]).ToHashSet(StringComparer.Ordinal);
}
