using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
using SecureFuture.Core.Writers;
using SecureFuture.Scanning;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// Microsoft's SARIF multitool (npm @microsoft/sarif-multitool, installed by test.sh) validates what sfi writes,
/// with its SARIF rules and GitHub's ingestion rules, and must find no error.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SarifValidationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-sarif-").FullName;
    private readonly string _reports = Directory.CreateTempSubdirectory("sfi-sarif-out-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_reports, recursive: true);
    }

    [Fact]
    public async Task ScanReport_IsValidSarif_UnderSarifAndGitHubRules()
    {
        CliRunner.WriteSecrets(_root);
        await File.WriteAllTextAsync(Path.Combine(_root, "big.log"), new string('x', 4096));
        var report = Path.Combine(_reports, "scan.sarif");
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", _root, "--format", "sarif", "--output", report, "--max-file-size", "2KB");
        Assert.True(exit == 0, stderr);

        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        // One run per analyzer, in the category its push has: GitHub code scanning refuses a file with two runs of one tool
        // in one category, and would otherwise take all analyzers as one analysis.
        var runs = sarif.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["secrets/", "iac/", "code/", "dependencies/"], runs.Select(r => r.GetProperty("automationDetails").GetProperty("id").GetString()));
        Assert.All(runs.GroupBy(r => r.GetProperty("tool").GetProperty("driver").GetProperty("name").GetString()),
            tool => Assert.Equal(tool.Count(), tool.Select(r => GitHubCategory(r.GetProperty("automationDetails").GetProperty("id").GetString()!)).Distinct(StringComparer.Ordinal).Count()));
        foreach (var each in runs)
        {
            var rules = each.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToHashSet();
            Assert.All(each.GetProperty("results").EnumerateArray(), r => Assert.Contains(r.GetProperty("ruleId").GetString(), rules));
            // The file the scan could not read leaves every analysis incomplete, not just one.
            Assert.NotEmpty(each.GetProperty("invocations")[0].GetProperty("toolExecutionNotifications").EnumerateArray());
        }

        var run = runs[0];
        Assert.All(run.GetProperty("results").EnumerateArray(), r => Assert.StartsWith("SFI-SEC-", r.GetProperty("ruleId").GetString(), StringComparison.Ordinal));
        Assert.All(runs.Skip(1), other => Assert.Empty(other.GetProperty("results").EnumerateArray()));
        Assert.NotEmpty(run.GetProperty("results").EnumerateArray());
        Assert.NotEmpty(run.GetProperty("invocations")[0].GetProperty("toolExecutionNotifications").EnumerateArray());
        foreach (var rule in runs.SelectMany(r => r.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()))
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.GetProperty("help").GetProperty("text").GetString()));
            Assert.NotNull(rule.GetProperty("properties").GetProperty("security-severity").GetString());
        }

        foreach (var result in run.GetProperty("results").EnumerateArray())
        {
            var location = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation");
            Assert.False(Path.IsPathRooted(location.GetProperty("uri").GetString()));
            Assert.Equal("%SRCROOT%", location.GetProperty("uriBaseId").GetString());
            Assert.NotNull(result.GetProperty("partialFingerprints").GetProperty("primaryLocationLineHash").GetString());
        }

        var (problems, log) = Validate(report);
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }

    /// <summary>GitHub's category of a run: its <c>automationDetails.id</c> up to and including the last <c>/</c> (all of it without one).</summary>
    internal static string GitHubCategory(string id) => id.Contains('/', StringComparison.Ordinal) ? id[..(id.LastIndexOf('/') + 1)] : id;

    [Fact]
    public async Task A_data_flow_result_with_code_flows_is_valid_sarif_under_sarif_and_github_rules()
    {
        await File.WriteAllTextAsync(Path.Combine(_root, "UserController.cs"), "class UserController\n{\n    string Get(string id) => UserService.Find(id);\n}\n");
        Directory.CreateDirectory(Path.Combine(_root, "Data"));
        await File.WriteAllTextAsync(Path.Combine(_root, "Data", "User Repo.cs"), "class Repo\n{\n    void Find(string id) => new SqlCommand(\"select * from users where id = \" + id);\n}\n");
        var run = new RepositoryScanner([], [new SqlFlowAnalyzer()], new FakeTimeProvider(CliRunner.Now)).Scan(new ScanRequest { Path = _root });
        var report = Path.Combine(_reports, "flow.sarif");
        await using (var stream = File.Create(report))
        {
            await new SarifWriter().WriteAsync(run, stream);
        }

        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            var result = Assert.Single(sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray());
            var steps = result.GetProperty("codeFlows")[0].GetProperty("threadFlows")[0].GetProperty("locations").EnumerateArray()
                .Select(l => l.GetProperty("location").GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString());
            Assert.Equal(["UserController.cs", "Data/User%20Repo.cs"], steps);
        }

        var (problems, log) = Validate(report);
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }

    /// <summary>Runs <c>sarif-multitool validate</c> and returns every result as "level RULE: message".</summary>
    internal static (List<string> Errors, string Log) Validate(string sarifPath) => SarifMultitool.Validate(sarifPath);

    /// <summary>Stands in for the C# taint rules: a request parameter in one file reaching a SqlCommand in another.</summary>
    private sealed class SqlFlowAnalyzer : IProjectAnalyzer
    {
        public IReadOnlyList<RuleDescriptor> Rules { get; } =
        [
            new RuleDescriptor
            {
                Id = "SFI-CODE-001",
                Name = "SqlInjection",
                DefaultSeverity = Severity.High,
                Confidence = Confidence.High,
                ShortDescription = "SQL query built from untrusted data",
                FullDescription = "A SQL command's text is built from data the caller controls.",
                HelpMarkdown = "Pass the value as a **parameter** (`SqlParameter`), never in the command text.",
                Tags = ["external/cwe/cwe-089"],
                Frameworks = ["CWE-89"],
            },
        ];

        public bool Wants(string relativePath) => relativePath.EndsWith(".cs", StringComparison.Ordinal);

        public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
        {
            var controller = input.Files.Single(f => f.Path == "UserController.cs");
            var repo = input.Files.Single(f => f.Path == "Data/User Repo.cs");
            var source = controller.Text.IndexOf("string id", StringComparison.Ordinal) + 7;
            var sinkAt = repo.Text.IndexOf("new SqlCommand", StringComparison.Ordinal);
            var sinkLength = repo.Text.IndexOf(");", sinkAt, StringComparison.Ordinal) + 1 - sinkAt;
            sink.Report(repo.Path, new Detection("SFI-CODE-001", Severity.High, "SQL command text built from request data", sinkAt, sinkLength, null)
            {
                Properties = new Dictionary<string, string> { [Detection.EvidenceKey] = repo.Text.Substring(sinkAt, sinkLength) },
                Flow =
                [
                    new DetectionStep(controller.Path, source, 2, "action parameter 'id'"),
                    new DetectionStep(repo.Path, sinkAt, sinkLength, "SqlCommand text"),
                ],
            });
        }
    }
}
