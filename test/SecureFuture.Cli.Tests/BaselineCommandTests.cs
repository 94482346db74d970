using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary><c>sfi baseline</c> end to end on the sample tenant of the README, and on bad input.</summary>
public sealed class BaselineCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-baseline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sample(params string[] parts) => Path.Combine([CliRunner.RepoRoot(), "samples", "tenant", .. parts]);

    [Fact]
    public async Task Assess_the_sample_tenant_reports_by_domain_gates_and_writes_json_per_control_and_resource()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", Sample(), "--exceptions", Sample("exceptions.yaml"), "--config", Sample("baseline.yaml"), "--fail-on", "critical");
        Assert.True(exit == ExitCodes.GateTripped, stderr);
        Assert.Contains("Identity & auth", stdout, StringComparison.Ordinal);
        Assert.Contains("NET-01 [critical]", stdout, StringComparison.Ordinal);
        Assert.Contains("expired on 2026-03-31", stderr, StringComparison.Ordinal);

        var json = Path.Combine(_dir, "assessment.json");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", Sample(), "--format", "json", "--output", json)).Exit);
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var results = document.RootElement.GetProperty("results").EnumerateArray().ToList();
        var rdp = results.Single(r => r.GetProperty("controlId").GetString() == "NET-01" && r.GetProperty("resourceName").GetString() == "nsg-jumpbox");
        Assert.Equal("fail", rdp.GetProperty("status").GetString());
        Assert.Contains("3389", rdp.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Equal(99, results.Select(r => r.GetProperty("controlId").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Json_is_streamed_yet_counts_and_gates_like_the_text_report()
    {
        // The text summary keeps the failures; --format json writes every result as it comes and keeps none. Both
        // must count the same results and trip --fail-on the same way (the gate reads the tally, not kept results).
        var (textExit, text, _) = await CliRunner.RunAsync("baseline", "assess", Sample(), "--fail-on", "critical");
        var json = Path.Combine(_dir, "streamed.json");
        var (jsonExit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", Sample(), "--format", "json", "--output", json, "--fail-on", "critical");
        Assert.Equal(ExitCodes.GateTripped, textExit);
        Assert.True(jsonExit == ExitCodes.GateTripped, stderr);

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = document.RootElement;
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Contains($"{results.Count} results", text, StringComparison.Ordinal);
        var failures = results.Count(r => r.GetProperty("status").GetString() == "fail");
        Assert.Equal(failures, text.Split('\n').Count(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Contains(" [", StringComparison.Ordinal) && !l.StartsWith("      ", StringComparison.Ordinal)));
        Assert.True(root.GetProperty("inputs").GetArrayLength() > 5);
        Assert.True(root.TryGetProperty("assessedAt", out _));

        // The same run without a gate succeeds.
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", Sample(), "--format", "json", "--output", json)).Exit);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Sarif_points_iac_failures_at_their_definition_and_is_valid_under_the_multitool()
    {
        var report = Path.Combine(_dir, "baseline.sarif");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", Sample("terraform"), Sample("templates"), "--format", "sarif", "--output", report)).Exit);
        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            var results = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
            var ssh = results.First(r => r.GetProperty("ruleId").GetString() == "NET-02");
            var location = ssh.GetProperty("locations")[0].GetProperty("physicalLocation");
            Assert.EndsWith("plan.json", location.GetProperty("artifactLocation").GetProperty("uri").GetString(), StringComparison.Ordinal);
            Assert.True(location.GetProperty("region").GetProperty("startLine").GetInt32() > 1);
        }

        var (problems, log) = SarifValidationTests.Validate(report);
        problems.RemoveAll(p => p.StartsWith("warning SARIF2005:", StringComparison.Ordinal));
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Sarif_of_exports_and_iac_together_is_one_run_per_input_kind_in_distinct_categories_valid_under_the_multitool()
    {
        // GitHub code scanning refuses a file with two runs of one tool in one category, and the hub would take one run of
        // both kinds as one analysis of neither: the report has the runs its --push sends, --category their prefix.
        var report = Path.Combine(_dir, "tenant-and-iac.sarif");
        var (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", Sample(), "--format", "sarif", "--output", report, "--category", "contoso");
        Assert.True(exit == ExitCodes.Success, stderr);
        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            var runs = sarif.RootElement.GetProperty("runs").EnumerateArray().ToList();
            var ids = runs.Select(r => r.GetProperty("automationDetails").GetProperty("id").GetString()!).ToList();
            Assert.Equal(["contoso/tenant/", "contoso/iac/"], ids);
            Assert.Equal(runs.Count, runs.Select((r, i) => (r.GetProperty("tool").GetProperty("driver").GetProperty("name").GetString(), SarifValidationTests.GitHubCategory(ids[i]))).Distinct().Count());

            static bool InIac(JsonElement result) =>
                result.TryGetProperty("locations", out var locations) && locations[0].TryGetProperty("physicalLocation", out var physical)
                && physical.GetProperty("artifactLocation").GetProperty("uri").GetString() is { } uri
                && (uri.EndsWith("terraform/plan.json", StringComparison.Ordinal) || uri.EndsWith("templates/storage.json", StringComparison.Ordinal));
            var tenant = runs[0].GetProperty("results").EnumerateArray().ToList();
            var iac = runs[1].GetProperty("results").EnumerateArray().ToList();
            Assert.NotEmpty(tenant);
            Assert.NotEmpty(iac);
            Assert.DoesNotContain(tenant, InIac);
            Assert.All(iac, r => Assert.True(InIac(r), r.ToString()));
            Assert.Contains(iac, r => r.GetProperty("ruleId").GetString() == "NET-02");
        }

        var (problems, log) = SarifValidationTests.Validate(report);
        problems.RemoveAll(p => p.StartsWith("warning SARIF2005:", StringComparison.Ordinal));
        Assert.True(problems.Count == 0, "multitool problems:\n" + string.Join('\n', problems) + "\n" + log);
    }

    [Fact]
    public async Task Remediate_writes_a_plan_and_diff_names_regressions_and_improvements()
    {
        var plan = Path.Combine(_dir, "plan.json");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "remediate", Sample(), "--output", plan)).Exit);
        using (var document = JsonDocument.Parse(await File.ReadAllTextAsync(plan)))
        {
            Assert.Contains("Microsoft.KeyVault", document.RootElement.ToString(), StringComparison.Ordinal);
        }

        // A later export where the jump box's NSG no longer allows RDP: NET-01 improves.
        var before = Path.Combine(_dir, "before.json");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", Sample("arm"), "--format", "json", "--output", before)).Exit);
        var fixedArm = Path.Combine(_dir, "arm");
        Directory.CreateDirectory(fixedArm);
        foreach (var file in Directory.GetFiles(Sample("arm")))
        {
            var text = await File.ReadAllTextAsync(file);
            await File.WriteAllTextAsync(Path.Combine(fixedArm, Path.GetFileName(file)), text.Replace("\"destinationPortRange\": \"3389\"", "\"destinationPortRange\": \"3390\"", StringComparison.Ordinal));
        }

        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "diff", before, fixedArm, "--format", "json", "--fail-on-regression");
        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        using var diff = JsonDocument.Parse(stdout);
        Assert.Contains(diff.RootElement.GetProperty("improvements").EnumerateArray(), c => c.GetProperty("controlId").GetString() == "NET-01");
        Assert.Empty(diff.RootElement.GetProperty("regressions").EnumerateArray());

        var (back, _, _) = await CliRunner.RunAsync("baseline", "diff", fixedArm, before, "--fail-on-regression");
        Assert.Equal(ExitCodes.GateTripped, back);
    }

    [Fact]
    public async Task Controls_lists_the_99_controls_in_nine_domains()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("baseline", "controls", "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var document = JsonDocument.Parse(stdout);
        var controls = document.RootElement.GetProperty("controls").EnumerateArray().ToList();
        Assert.Equal(99, controls.Count);
        Assert.Equal(9, controls.Select(c => c.GetProperty("domain").GetString()).Distinct().Count());
        Assert.Contains(controls, c => c.GetProperty("id").GetString() == "IDN-01");
    }

    [Fact]
    public async Task Bad_input_is_a_usage_error_naming_file_line_and_column_and_nothing_is_written()
    {
        var broken = Path.Combine(_dir, "broken.json");
        await File.WriteAllTextAsync(broken, "{\n  \"value\": [ { \"type\": \"Microsoft.Storage/storageAccounts\", }\n");
        var output = Path.Combine(_dir, "keep.json");
        await File.WriteAllTextAsync(output, "previous");
        var (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", broken, "--format", "json", "--output", output);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Matches(@"broken\.json:\d+:\d+", stderr);
        Assert.Equal("previous", await File.ReadAllTextAsync(output));

        var exceptions = Path.Combine(_dir, "exceptions.yaml");
        await File.WriteAllTextAsync(exceptions, "exceptions:\n  - control: NOPE-99\n    resource: '*'\n    owner: me\n    reason: test\n    expires: 2027-01-01\n");
        var (badExceptions, _, exceptionsErr) = await CliRunner.RunAsync("baseline", "assess", Sample("arm"), "--exceptions", exceptions);
        Assert.Equal(ExitCodes.UsageError, badExceptions);
        Assert.Contains("NOPE-99", exceptionsErr, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("baseline", "assess", Sample("arm"), "--controls", "XYZ-01")).Exit);
    }

    [Fact]
    public async Task Scan_evaluates_iac_it_finds_with_the_same_controls_at_the_defining_line()
    {
        var repo = Path.Combine(_dir, "repo");
        Directory.CreateDirectory(Path.Combine(repo, "infra"));
        File.Copy(Sample("terraform", "plan.json"), Path.Combine(repo, "infra", "plan.json"));
        await File.WriteAllTextAsync(Path.Combine(repo, "infra", "settings.json"), "{ \"format_version\": \"1.0\", \"unrelated\": true }");
        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", repo, "--format", "json", "--fail-on", "critical");
        Assert.True(exit == ExitCodes.GateTripped, stdout + stderr);
        using var json = JsonDocument.Parse(stdout);
        var ssh = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("ruleId").GetString() == "NET-02");
        Assert.Equal("infra/plan.json", ssh.GetProperty("path").GetString());
        Assert.Equal(108, ssh.GetProperty("line").GetInt32());
    }

}
