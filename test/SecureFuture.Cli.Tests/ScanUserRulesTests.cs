using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan --rules DIR</c>: a team adds the sinks of its own framework as data, and they run with the built-in
/// rules through the real analyzer; a broken rule directory is a usage error, never a scan without the rules.
/// </summary>
public sealed class ScanUserRulesTests : IDisposable
{
    /// <summary>A code rule for an in-house template engine, with examples; other tests reuse it.</summary>
    internal const string TemplateRule = UserCodeRuleSample.TemplateRule;

    private const string Application = """
        using Microsoft.AspNetCore.Mvc;

        namespace Acme.Templates
        {
            public static class Engine
            {
                public static string Render(string template, object model) => template;
            }
        }

        public class PagesController : Controller
        {
            public string Preview(string layout) => Acme.Templates.Engine.Render(layout, new object());

            public string Greet(string name) => Acme.Templates.Engine.Render("Hello {{name}}", new { name });
        }
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("sfi-user-rules-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string path, string text)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    [Fact]
    public async Task A_users_own_sink_finds_the_flow_into_their_framework_with_the_built_in_rules_still_on()
    {
        Write("rules/template.yaml", TemplateRule);
        Write("app/PagesController.cs", Application);
        Write("app/Db.cs", """
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.Data.SqlClient;
            public class OrdersController : Controller
            {
                public void Delete(string id) => new SqlCommand("DELETE FROM Orders WHERE Id = " + id).ExecuteNonQuery();
            }
            """);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--analyzers", "code", "--rules", Path.Combine(_root, "rules"), "--format", "json");

        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        var findings = json.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => (Rule: f.GetProperty("ruleId").GetString(), Line: f.GetProperty("line").GetInt32()))
            .ToList();
        // The flow into Render(layout) is found; the constant template with request data as the model is not.
        Assert.Contains(("SFI-CODE-090", 13), findings);
        Assert.DoesNotContain(findings, f => f.Rule == "SFI-CODE-090" && f.Line == 15);
        Assert.Contains(findings, f => f.Rule == "SFI-CODE-001");

        var (_, listed, _) = await CliRunner.RunAsync("scan", "--list-rules", "--analyzers", "code", "--rules", Path.Combine(_root, "rules"));
        Assert.Contains("SFI-CODE-090", listed, StringComparison.Ordinal);
        Assert.Contains("CWE-1336", listed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("broken.yaml", "id: SFI-CODE-091\nname: [unclosed\n", "broken.yaml:2:")]
    [InlineData("dup.yaml", "DUPLICATE", "SFI-CODE-001")]
    [InlineData("nosink.yaml", "NOSINK", "nosink.yaml")]
    public async Task A_broken_rule_directory_is_exit_2_naming_the_file(string file, string text, string named)
    {
        Write("app/PagesController.cs", Application);
        var yaml = text switch
        {
            "DUPLICATE" => TemplateRule.Replace("SFI-CODE-090", "SFI-CODE-001", StringComparison.Ordinal),
            "NOSINK" => TemplateRule.Replace("  sinks:\n    - { type: Acme.Templates.Engine, members: [Render], parameters: [template], arguments: [0] }\n", string.Empty, StringComparison.Ordinal),
            _ => text,
        };
        Write("rules/" + file, yaml);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--rules", Path.Combine(_root, "rules"), "--fail-on", "low");

        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains(named, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rules_directory_that_is_missing_or_empty_is_exit_2_not_a_scan_without_the_rules()
    {
        Write("app/PagesController.cs", Application);
        Directory.CreateDirectory(Path.Combine(_root, "empty"));

        var (missing, _, missingErr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--rules", Path.Combine(_root, "nope"));
        var (empty, _, emptyErr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "app"), "--rules", Path.Combine(_root, "empty"));

        Assert.True(missing == ExitCodes.UsageError, missingErr);
        Assert.True(empty == ExitCodes.UsageError, emptyErr);
        Assert.Contains("no rule files", emptyErr, StringComparison.Ordinal);
    }
}
