using System.Text.Json;
using SecureFuture.Cli.Scan;
using SecureFuture.Core;
using SecureFuture.Scanning.Code;
using SecureFuture.Scanning.Dependencies.Scan;
using SecureFuture.Scanning.Iac;
using SecureFuture.Scanning.Secrets;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan --analyzers</c>, code rules in <c>--list-rules</c>, and code analysis with the code inventory end to
/// end: what a pipeline that selects analyzers, or scans C#, depends on.
/// </summary>
public sealed class ScanAnalyzersTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-analyzers-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string path, string text)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    /// <summary>Secrets, and an ARM template that fails the baseline's storage control STO-01.</summary>
    private void WriteSecretsAndIac()
    {
        CliRunner.WriteSecrets(_root);
        Write("infra/storage.json", File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Baseline.Tests", "TestData", "STO-01", "fail.template.json")));
    }

    private async Task<List<string>> RuleIdsFoundAsync(params string[] options)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(["scan", _root, "--format", "json", .. options]);
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        return [.. json.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("ruleId").GetString()!)];
    }

    [Theory]
    [InlineData("bogus", "bogus")]
    [InlineData("", "")]
    [InlineData("secrets,,code", "")]
    [InlineData("secrets,sca", "sca")]
    [InlineData("Secrets", "Secrets")]
    public async Task An_unknown_or_empty_analyzer_is_exit_2_naming_the_allowed_values(string value, string named)
    {
        WriteSecretsAndIac();
        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--analyzers", value, "--fail-on", "low");
        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stdout}{stderr}");
        Assert.Empty(stdout);
        Assert.Contains($"--analyzers: '{named}' is not one of the allowed values: secrets, iac, code, deps", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_alone_reports_no_iac_finding_and_iac_code_reports_no_secret()
    {
        WriteSecretsAndIac();

        var all = await RuleIdsFoundAsync();
        Assert.Contains(all, id => id.StartsWith("SFI-SEC-", StringComparison.Ordinal));
        Assert.Contains("STO-01", all);

        Assert.All(await RuleIdsFoundAsync("--analyzers", "secrets"), id => Assert.StartsWith("SFI-SEC-", id, StringComparison.Ordinal));
        var withoutSecrets = await RuleIdsFoundAsync("--analyzers", "code, iac");
        Assert.Contains("STO-01", withoutSecrets);
        Assert.DoesNotContain(withoutSecrets, id => id.StartsWith("SFI-SEC-", StringComparison.Ordinal));
    }

    [Fact]
    public void The_selection_gives_the_scanner_exactly_the_chosen_analyzers()
    {
        var settings = new SecretScanSettings { Clock = TimeProvider.System };
        var code = ScanCommand.SelectedAnalyzers.Create(["code"], settings, TimeProvider.System);
        Assert.Empty(code.Content);
        Assert.IsType<CodeAnalyzer>(Assert.Single(code.Project));

        var secrets = ScanCommand.SelectedAnalyzers.Create(["secrets"], settings, TimeProvider.System);
        Assert.IsType<SecretAnalyzer>(Assert.Single(secrets.Content));
        Assert.Empty(secrets.Project);

        var all = ScanCommand.SelectedAnalyzers.Create(ScanCommand.AnalyzerNames, settings, TimeProvider.System);
        Assert.Collection(all.Content, a => Assert.IsType<SecretAnalyzer>(a), a => Assert.IsType<IacBaselineAnalyzer>(a));
        Assert.Collection(all.Project, a => Assert.IsType<CodeAnalyzer>(a), a => Assert.IsType<DependencyAnalyzer>(a));
        Assert.Equal(["secrets", "iac", "code", "deps"], ScanCommand.AnalyzerNames);
    }

    [Fact]
    public async Task Scanning_csharp_runs_end_to_end_and_reports_lines_per_language_and_the_memory_safe_share()
    {
        Write("App/App.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />\n");
        Write("App/Program.cs", "using System;\n\nnamespace App;\n\npublic static class Program\n{\n    public static void Main() => Console.WriteLine(\"hi\");\n}\n");
        Write("App/Broken.cs", "public class {{{ not C# at all\n");
        Write("native/shim.c", "int shim(void) { return 0; }\n");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--fail-on", "high");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains("Lines of code: c 1, csharp 7; memory-safe share: 87.5 %", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--format", "sarif");
        Assert.True(exit == ExitCodes.Success, stderr);
        using (var sarif = JsonDocument.Parse(stdout))
        {
            var properties = sarif.RootElement.GetProperty("runs")[0].GetProperty("properties");
            Assert.Equal(7, properties.GetProperty("statistics").GetProperty("linesOfCode.csharp").GetInt64());
            Assert.Equal(87.5, properties.GetProperty("memorySafeShare").GetDouble());
        }

        // One C# file on its own is scanned alone.
        (exit, stdout, stderr) = await CliRunner.RunAsync("scan", Path.Combine(_root, "App", "Program.cs"), "--format", "json", "--analyzers", "code");
        Assert.True(exit == ExitCodes.Success, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(6, json.RootElement.GetProperty("summary").GetProperty("linesOfCode.csharp").GetInt64());
        Assert.Equal(100.0, json.RootElement.GetProperty("summary").GetProperty("memorySafeShare").GetDouble());
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task History_notes_that_code_analysis_runs_on_the_working_tree_only_and_refuses_a_scan_of_nothing()
    {
        Git("init", "-q", "-b", "main");
        Write("Program.cs", "class Program { }\n");
        Git("add", ".");
        Git("commit", "-q", "-m", "add");

        static async Task<List<string?>> NotificationIdsAsync(params string[] args)
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync(args);
            Assert.True(exit == ExitCodes.Success, stderr);
            using var json = JsonDocument.Parse(stdout);
            return [.. json.RootElement.GetProperty("notifications").EnumerateArray().Select(n => n.GetProperty("id").GetString())];
        }

        Assert.Contains("working-tree-only", await NotificationIdsAsync("scan", _root, "--history", "--format", "json"));
        Assert.DoesNotContain("working-tree-only", await NotificationIdsAsync("scan", _root, "--history", "--format", "json", "--analyzers", "secrets,iac"));

        // Only analyzers that need the working tree, on commits or staged changes: nothing would be read, so no gate may pass.
        foreach (var args in new[] { new[] { "--history" }, ["--staged"], ["--since-commit", "HEAD~0"] })
        {
            foreach (var only in new[] { "code", "deps", "code,deps" })
            {
                var (exit, stdout, stderr) = await CliRunner.RunAsync(["scan", _root, .. args, "--analyzers", only, "--fail-on", "low"]);
                Assert.True(exit == ExitCodes.UsageError, $"{string.Join(' ', args)} --analyzers {only}: exit {exit}\n{stdout}\n{stderr}");
                Assert.Contains("runs on the working tree only", stderr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task ListRules_gives_every_selected_analyzers_rules_with_their_CWE()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("scan", "--list-rules");
        Assert.Equal(ExitCodes.Success, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^SFI-SEC-001  critical  RsaPrivateKey\s+CWE-798,CWE-321\s+RSA private key", lines.Single(l => l.StartsWith("SFI-SEC-001 ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("STO-01 ", StringComparison.Ordinal));
        foreach (var rule in new CodeAnalyzer().Rules)
        {
            var line = lines.Single(l => l.StartsWith(rule.Id + " ", StringComparison.Ordinal));
            Assert.All(rule.Frameworks.Where(f => f.StartsWith("CWE-", StringComparison.Ordinal)), cwe => Assert.Contains(cwe, line, StringComparison.Ordinal));
        }

        (exit, stdout, _) = await CliRunner.RunAsync("scan", "--list-rules", "--analyzers", "code", "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(new CodeAnalyzer().Rules.Select(r => r.Id), json.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.All(json.RootElement.EnumerateArray(), r => Assert.Equal("code", r.GetProperty("analyzer").GetString()));
    }

    [Fact]
    public async Task A_code_rule_is_listed_with_its_CWE_column_and_json_fields()
    {
        var rule = new RuleDescriptor
        {
            Id = "SFI-CODE-001",
            Name = "SqlInjection",
            DefaultSeverity = Severity.High,
            Confidence = Confidence.High,
            ShortDescription = "SQL query built from untrusted data",
            FullDescription = "f",
            HelpMarkdown = "h",
            Tags = ["external/cwe/cwe-089", "security"],
            Frameworks = ["CWE-89", "CWE-564"],
        };

        using var text = new StringWriter();
        await ScanCommand.ListRulesAsync([("code", rule)], "text", text);
        Assert.Equal(
            "SFI-CODE-001  high      SqlInjection                              CWE-89,CWE-564  SQL query built from untrusted data\n1 rules\n",
            text.ToString().ReplaceLineEndings("\n"));

        using var output = new StringWriter();
        await ScanCommand.ListRulesAsync([("code", rule)], "json", output);
        using var json = JsonDocument.Parse(output.ToString());
        var entry = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("code", entry.GetProperty("analyzer").GetString());
        Assert.Equal(["CWE-89", "CWE-564"], entry.GetProperty("cwe").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["external/cwe/cwe-089", "security"], entry.GetProperty("tags").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("high", entry.GetProperty("confidence").GetString());
        Assert.False(entry.TryGetProperty("pattern", out _));
    }

    private void Git(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = _root, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", "user.name=T", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(start)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
