using System.Text.RegularExpressions;
using SecureFuture.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// The CI snippets of docs/ci.md as their hosts read them: action.yml (a GitHub composite action), the Azure Pipelines
/// steps template and the GitLab CI template. ToolPackageTests runs the action's scan step with the packed tool.
/// </summary>
public sealed partial class CiTemplateTests
{
    [Fact]
    public void The_action_installs_the_tool_scans_to_SARIF_uploads_it_and_passes_inputs_only_through_the_environment()
    {
        var action = Load("action.yml");
        Assert.Equal("composite", Scalar(action, "runs", "using"));
        var inputs = ((YamlMappingNode)action["inputs"]).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => (YamlMappingNode)kv.Value);
        Assert.All(inputs, input => Assert.False(string.IsNullOrWhiteSpace(Scalar(input.Value, "description")), input.Key));
        Assert.Equal("high", Scalar(inputs["fail-on"], "default"));

        var steps = ((YamlSequenceNode)((YamlMappingNode)action["runs"])["steps"]).Cast<YamlMappingNode>().ToList();
        foreach (var step in steps.Where(s => s.Children.ContainsKey("run")))
        {
            Assert.Equal("bash", Scalar(step, "shell"));
            // Script injection: an expression pasted into a script runs whatever the input holds.
            Assert.DoesNotContain("${{", Scalar(step, "run"), StringComparison.Ordinal);
        }

        // Every input an expression names exists.
        var text = File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "action.yml"));
        Assert.All(InputReference().Matches(text).Select(m => m.Groups["name"].Value), name => Assert.True(inputs.ContainsKey(name), $"inputs.{name} is not declared"));

        Assert.Contains(steps, s => Scalar(s, "uses")?.StartsWith("actions/setup-dotnet@", StringComparison.Ordinal) == true && Scalar(s, "with", "dotnet-version") == "10.0.x");
        var install = Scalar(steps.Single(s => Scalar(s, "name") == "Install sfi"), "run")!;
        Assert.Contains($"dotnet tool install --tool-path \"$tools\" {PackageId()}", install, StringComparison.Ordinal);
        var scan = ScanStepScript();
        Assert.Contains("--format sarif", scan, StringComparison.Ordinal);
        Assert.Contains("--push", scan, StringComparison.Ordinal);
        var upload = steps.Single(s => Scalar(s, "uses")?.StartsWith("github/codeql-action/upload-sarif@", StringComparison.Ordinal) == true);
        Assert.Equal("${{ inputs.sarif-file }}", Scalar(upload, "with", "sarif_file"));
    }

    [Fact]
    public void The_GitLab_template_writes_each_report_format_to_the_report_GitLab_reads_it_as()
    {
        var gitlab = Load("ci/gitlab/sfi.gitlab-ci.yml");
        foreach (var (job, format, report) in new[] { ("sfi-sast", "gitlab-sast", "sast"), ("sfi-secret-detection", "gitlab-secrets", "secret_detection") })
        {
            var definition = (YamlMappingNode)gitlab[job];
            var script = string.Join('\n', ((YamlSequenceNode)definition["script"]).Select(s => ((YamlScalarNode)s).Value));
            var file = Scalar(definition, "artifacts", "reports", report)!;
            Assert.Contains($"--format {format} --output {file}", script, StringComparison.Ordinal);
            Assert.Equal("always", Scalar(definition, "artifacts", "when"));
            Assert.Contains(format, Core.Writers.ReportWriters.FileFormats);
        }

        Assert.Contains($"dotnet tool install --tool-path /opt/sfi {PackageId()}", File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "ci", "gitlab", "sfi.gitlab-ci.yml")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_Azure_Pipelines_template_offers_exactly_the_severities_of_fail_on()
    {
        var azure = Load("ci/azure-pipelines/sfi-scan.yml");
        var failOn = ((YamlSequenceNode)azure["parameters"]).Cast<YamlMappingNode>().Single(p => Scalar(p, "name") == "failOn");
        Assert.Equal(
            Enum.GetValues<Severity>().Select(s => s.ToToken()).Order(StringComparer.Ordinal),
            ((YamlSequenceNode)failOn["values"]).Select(v => ((YamlScalarNode)v).Value!).Order(StringComparer.Ordinal));
        var steps = ((YamlSequenceNode)azure["steps"]).Cast<YamlMappingNode>().ToList();
        Assert.All(steps.Where(s => s.Children.ContainsKey("bash")), s => Assert.DoesNotContain("${{", Scalar(s, "bash"), StringComparison.Ordinal));
        Assert.Contains(steps, s => Scalar(s, "inputs", "ArtifactName") == "CodeAnalysisLogs");
    }

    /// <summary>The action's scan step script, which ToolPackageTests runs with the installed tool.</summary>
    internal static string ScanStepScript()
    {
        var steps = (YamlSequenceNode)((YamlMappingNode)Load("action.yml")["runs"])["steps"];
        return Scalar(steps.Cast<YamlMappingNode>().Single(s => Scalar(s, "id") == "scan"), "run")!;
    }

    /// <summary>The tool package id the snippets install, from the CLI project.</summary>
    private static string PackageId()
        => Regex.Match(File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "src", "SecureFuture.Cli", "SecureFuture.Cli.csproj")), "<PackageId>(?<id>[^<]+)</PackageId>").Groups["id"].Value;

    private static YamlMappingNode Load(string relativePath)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(CliRunner.RepoRoot(), relativePath));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string? Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return (current as YamlScalarNode)?.Value;
    }

    [GeneratedRegex(@"inputs\.(?<name>[a-z][a-z0-9-]*)")]
    private static partial Regex InputReference();
}
