using System.Text.Json;
using SecureFuture.Core.Writers;
using SecureFuture.Testing;

namespace SecureFuture.Scanning.Code.Tests;

/// <summary>
/// The SARIF log of a code analysis of the vulnerable corpus, with its data-flow paths as codeFlows/threadFlows, is what
/// GitHub code scanning and the findings hub ingest: Microsoft's SARIF multitool must find nothing to say about it, with
/// the SARIF rules and GitHub's ingestion rules (warnings included).
/// </summary>
public sealed class CodeSarifValidationTests : IDisposable
{
    private readonly string _reports = Directory.CreateTempSubdirectory("sfi-code-sarif-").FullName;

    public void Dispose() => Directory.Delete(_reports, recursive: true);

    [Fact]
    [Trait("Category", "Integration")] // the SARIF multitool runs under node
    public async Task The_corpus_analysis_with_its_code_flows_is_valid_sarif_under_sarif_and_github_rules()
    {
        var corpus = Path.Combine(AppContext.BaseDirectory, "Corpus");
        var run = new RepositoryScanner([], [new CodeAnalyzer()], TimeProvider.System).Scan(new ScanRequest { Path = corpus });
        var report = Path.Combine(_reports, "code.sarif");
        await using (var stream = File.Create(report))
        {
            await new SarifWriter().WriteAsync(run, stream);
        }

        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            var sarifRun = sarif.RootElement.GetProperty("runs")[0];
            Assert.Equal("https://github.com/securefuture/securefuture", sarifRun.GetProperty("tool").GetProperty("driver").GetProperty("informationUri").GetString());
            var threadFlows = sarifRun.GetProperty("results").EnumerateArray()
                .Where(r => r.TryGetProperty("codeFlows", out _))
                .SelectMany(r => r.GetProperty("codeFlows")[0].GetProperty("threadFlows").EnumerateArray())
                .ToList();
            // Flows across files (controller -> service -> repository) are what the validation is about.
            Assert.Contains(threadFlows, f => f.GetProperty("locations").EnumerateArray()
                .Select(l => l.GetProperty("location").GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString())
                .Distinct().Count() > 1);
        }

        var (problems, log) = SarifMultitool.Validate(report);
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }
}
