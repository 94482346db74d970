using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary><c>sfi threatmodel</c> end to end: analyze, gate, record, diff, convert, draw, and bad input.</summary>
public sealed class ThreatModelCommandTests : IDisposable
{
    internal const string Model = """
        version: 1
        name: Shop
        elements:
          - { id: browser, name: Browser, type: SF.EI.Browser }
          - { id: api, name: Shop API, type: SF.P.Api }
          - { id: db, name: Orders DB, type: SF.DS.Database, dataClassification: confidential }
        flows:
          - { id: f-call, name: API call, from: browser, to: api, encryptedInTransit: true, authentication: oauth }
          - { id: f-sql, name: SQL, from: api, to: db, encryptedInTransit: true, authentication: managed-identity }
        boundaries:
          - { id: internet, name: Internet, type: SF.TB.Internet, members: [browser] }
          - { id: cloud, name: Cloud, type: SF.TB.Cloud, members: [api, db] }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-tm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Analyze_lists_threats_as_json_and_the_gate_trips_on_open_high_threats()
    {
        var model = Write("shop.yaml", Model);
        var (exit, stdout, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", model, "--format", "json", "--fail-on", "high");
        Assert.True(exit == ExitCodes.GateTripped, stderr);
        using var json = JsonDocument.Parse(stdout);
        var threats = json.RootElement.GetProperty("threats").EnumerateArray().ToList();
        Assert.NotEmpty(threats);
        var sql = threats.Single(t => t.GetProperty("ruleId").GetString() == "SFTM-T-002");
        Assert.Equal("api:f-sql:db", sql.GetProperty("interaction").GetString());
        Assert.Equal("Tampering", sql.GetProperty("category").GetString());
        Assert.Equal("high", sql.GetProperty("severity").GetString());
        Assert.Equal("not-started", sql.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Update_through_a_symbolic_link_rewrites_the_target_and_keeps_the_link()
    {
        var model = Write("shop.yaml", Model);
        var link = Path.Combine(_dir, "link.yaml");
        File.CreateSymbolicLink(link, "shop.yaml");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("threatmodel", "analyze", link, "--update")).Exit);
        Assert.Equal("shop.yaml", new FileInfo(link).LinkTarget);
        Assert.Contains("interaction: \"api:f-sql:db\"", await File.ReadAllTextAsync(model), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_records_threats_and_regeneration_keeps_states_and_justifications()
    {
        var model = Write("shop.yaml", Model);
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("threatmodel", "analyze", model, "--update")).Exit);
        var recorded = await File.ReadAllTextAsync(model);
        Assert.Contains("interaction: \"api:f-sql:db\"", recorded, StringComparison.Ordinal);

        // A person marks the SQL injection threat mitigated; regeneration keeps it, and the gate no longer counts it.
        var edited = recorded.Replace("  - rule: \"SFTM-T-002\"\n    interaction: \"api:f-sql:db\"\n    state: not-started", "  - rule: \"SFTM-T-002\"\n    interaction: \"api:f-sql:db\"\n    state: mitigated\n    justification: \"parameterized queries only\"", StringComparison.Ordinal);
        Assert.NotEqual(recorded, edited);
        await File.WriteAllTextAsync(model, edited);
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("threatmodel", "analyze", model, "--update")).Exit);
        Assert.Equal(edited, await File.ReadAllTextAsync(model));

        var (_, stdout, _) = await CliRunner.RunAsync("threatmodel", "analyze", model, "--format", "json");
        using var json = JsonDocument.Parse(stdout);
        var sql = json.RootElement.GetProperty("threats").EnumerateArray().Single(t => t.GetProperty("ruleId").GetString() == "SFTM-T-002");
        Assert.Equal("mitigated", sql.GetProperty("state").GetString());
        Assert.Equal("parameterized queries only", sql.GetProperty("justification").GetString());
        Assert.Empty(json.RootElement.GetProperty("new").EnumerateArray());
    }

    [Fact]
    public async Task Diff_reports_new_and_resolved_threats_for_review()
    {
        var before = Write("before.yaml", Model);
        var after = Write("after.yaml", Model.Replace("  - { id: f-sql, name: SQL, from: api, to: db, encryptedInTransit: true, authentication: managed-identity }",
            "  - { id: f-sql, name: SQL, from: api, to: db, encryptedInTransit: false, authentication: password }", StringComparison.Ordinal));
        var (exit, stdout, stderr) = await CliRunner.RunAsync("threatmodel", "diff", before, after, "--fail-on", "medium");
        Assert.True(exit == ExitCodes.GateTripped, stdout + stderr);
        Assert.Contains("+ ", stdout, StringComparison.Ordinal);
        Assert.Contains("api:f-sql:db", stdout, StringComparison.Ordinal);
        var (same, unchanged, _) = await CliRunner.RunAsync("threatmodel", "diff", before, before, "--fail-on", "low");
        Assert.Equal(ExitCodes.Success, same);
        Assert.StartsWith("0 new, 0 resolved", unchanged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tm7_converts_to_yaml_that_generates_the_same_threats_and_diagrams_render()
    {
        var tm7 = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.ThreatModeling.Tests", "TestData", "Simple-Threat-Model_with_security_gateway.tm7");
        var yaml = Path.Combine(_dir, "converted.yaml");
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "convert", tm7, "--output", yaml);
        Assert.True(exit == 0, stderr);
        var template = Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.ThreatModeling.Tests", "TestData", "secodis-web-plain.tb7");
        var fromTm7 = Threats((await CliRunner.RunAsync("threatmodel", "analyze", tm7, "--format", "json")).Out);
        var fromYaml = Threats((await CliRunner.RunAsync("threatmodel", "analyze", yaml, "--format", "json", "--template", template)).Out);
        Assert.Equal(12, fromTm7.Count);
        Assert.Equal(fromTm7.Select(t => t.Rule).Order(), fromYaml.Select(t => t.Rule).Order());

        var svg = Path.Combine(_dir, "model.svg");
        Assert.Equal(0, (await CliRunner.RunAsync("threatmodel", "diagram", Write("shop.yaml", Model), "--output", svg)).Exit);
        Assert.StartsWith("<svg", (await File.ReadAllTextAsync(svg)).TrimStart(), StringComparison.Ordinal);

        var html = Path.Combine(_dir, "report.html");
        Assert.Equal(0, (await CliRunner.RunAsync("threatmodel", "analyze", Path.Combine(_dir, "shop.yaml"), "--format", "html", "--output", html)).Exit);
        var page = await File.ReadAllTextAsync(html);
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.Contains("SFTM-T-002", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_yaml_model_converts_to_a_new_tm7_and_to_threat_dragon_and_both_regenerate_its_threats()
    {
        var model = Write("shop.yaml", Model);
        var expected = Threats((await CliRunner.RunAsync("threatmodel", "analyze", model, "--format", "json")).Out);
        Assert.NotEmpty(expected);
        var tm7 = Path.Combine(_dir, "shop.tm7");
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "convert", model, "--output", tm7);
        Assert.True(exit == 0, stderr);
        var again = Threats((await CliRunner.RunAsync("threatmodel", "analyze", tm7, "--format", "json")).Out);
        // The tool identifies everything by GUID: sfi ids become name-based GUIDs in the file.
        static string Guids(string interaction) => string.Join(':', interaction.Split(':').Select(ThreatModeling.Tm7.Tm7Writer.GuidFor));
        Assert.Equal(expected.Select(t => (t.Rule, Guids(t.Interaction))).Order(), again.Order());

        // Threat Dragon keeps the diagram (elements, flows) and the threats as its cells' threats.
        var dragon = Path.Combine(_dir, "shop.json");
        Assert.Equal(0, (await CliRunner.RunAsync("threatmodel", "convert", model, "--output", dragon)).Exit);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(dragon));
        var cells = json.RootElement.GetProperty("detail").GetProperty("diagrams")[0].GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(2, cells.Count(c => c.TryGetProperty("source", out _)));
        Assert.Contains("SQL injection", json.RootElement.ToString(), StringComparison.Ordinal);
        // sfi's types and properties ride along under data.sfi, so the exported file generates the same threats.
        var fromDragon = Threats((await CliRunner.RunAsync("threatmodel", "analyze", dragon, "--format", "json")).Out);
        Assert.Equal(expected.Order(), fromDragon.Order());
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Sarif_points_at_the_model_and_is_valid_under_the_multitool()
    {
        var model = Write("shop.yaml", Model);
        var report = Path.Combine(_dir, "tm.sarif");
        Assert.Equal(0, (await CliRunner.RunAsync("threatmodel", "analyze", model, "--format", "sarif", "--output", report)).Exit);
        using (var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report)))
        {
            var result = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().First(r => r.GetProperty("ruleId").GetString() == "SFTM-T-002");
            var region = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
            Assert.Equal(9, region.GetProperty("startLine").GetInt32()); // the f-sql flow's line
        }

        // Errors only: a Threat Dragon model has no line positions, so its results carry no region (SARIF2017 warnings).
        var (problems, log) = SarifValidationTests.Validate(report);
        var errors = problems.Where(p => p.StartsWith("error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "multitool errors:\n" + string.Join('\n', errors) + "\n" + log);
    }

    [Fact]
    public async Task Bad_models_are_usage_errors_with_file_line_and_column_and_leave_outputs_untouched()
    {
        var broken = Write("broken.yaml", "version: 1\nname: x\nelements:\n  - { id: a, name: A, type: SF.P.Api\n");
        var output = Write("keep.json", "previous");
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", broken, "--format", "json", "--output", output);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Matches(@"broken\.yaml:\d+:\d+", stderr);
        Assert.Equal("previous", await File.ReadAllTextAsync(output));

        var dangling = Write("dangling.yaml", Model.Replace("to: db,", "to: nowhere,", StringComparison.Ordinal));
        var (danglingExit, _, danglingErr) = await CliRunner.RunAsync("threatmodel", "analyze", dangling);
        Assert.Equal(ExitCodes.UsageError, danglingExit);
        Assert.Contains("nowhere", danglingErr, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("threatmodel", "analyze", Path.Combine(_dir, "missing.yaml"))).Exit);
        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("threatmodel", "convert", Write("m.yaml", Model), "--output", Path.Combine(_dir, "out.docx"))).Exit);
    }

    private static string TestData(string name) => Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.ThreatModeling.Tests", "TestData", name);

    [Fact]
    public async Task A_threat_dragon_v1_model_is_analysed_and_gated_and_an_empty_model_is_never_a_pass()
    {
        // Threat Dragon's v1 demo as it is: its plain HTTP flows have no "isEncrypted" (v1 saves only checked boxes),
        // and the gate must see their plaintext threats, the four the v2 demo gives.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", TestData("threat-dragon/td-demo-v1-threat-model.json"), "--format", "json", "--fail-on", "high");
        Assert.True(exit == ExitCodes.GateTripped, stderr + stdout);
        Assert.Equal(4, Threats(stdout).Count(t => t.Rule == "SFTM-T-001"));

        var empty = Write("new.json", """{ "summary": { "title": "New" }, "detail": { "diagrams": [ { "title": "d", "diagramJson": { "cells": [] } } ] } }""");
        var (emptyExit, _, emptyErr) = await CliRunner.RunAsync("threatmodel", "analyze", empty, "--fail-on", "low");
        Assert.Equal(ExitCodes.UsageError, emptyExit);
        Assert.Contains("no elements", emptyErr, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_threat_dragon_flow_with_a_loose_end_is_a_sarif_notification_and_the_rest_is_analysed()
    {
        var report = Path.Combine(_dir, "td.sarif");
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", TestData("threat-dragon/td-demo-v2-threat-model.json"), "--format", "sarif", "--output", report);
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("no source element", stderr, StringComparison.Ordinal);
        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var run = sarif.RootElement.GetProperty("runs")[0];
        Assert.NotEmpty(run.GetProperty("results").EnumerateArray());
        var notifications = run.GetProperty("invocations")[0].GetProperty("toolExecutionNotifications").EnumerateArray().ToList();
        Assert.Contains(notifications, n => n.GetProperty("descriptor").GetProperty("id").GetString() == "dangling-flow");
        // Errors only: a Threat Dragon model has no line positions, so its results carry no region (SARIF2017 warnings).
        var (problems, log) = SarifValidationTests.Validate(report);
        var errors = problems.Where(p => p.StartsWith("error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "multitool errors:\n" + string.Join('\n', errors) + "\n" + log);
    }

    [Fact]
    public async Task Yaml_converted_from_a_tm7_is_analysed_on_its_own_and_template_accepts_a_tm7()
    {
        var tm7 = TestData("Complex-Threat-Model_with_security_gateway.tm7");
        var yaml = Path.Combine(_dir, "complex.yaml");
        var (exit, _, stderr) = await CliRunner.RunAsync("threatmodel", "convert", tm7, "--output", yaml);
        Assert.True(exit == 0, stderr);
        var expected = Threats((await CliRunner.RunAsync("threatmodel", "analyze", tm7, "--format", "json")).Out);
        Assert.NotEmpty(expected);

        var (ownExit, own, ownErr) = await CliRunner.RunAsync("threatmodel", "analyze", yaml, "--format", "json");
        Assert.True(ownExit == 0, ownErr);
        Assert.Equal(expected.Order(), Threats(own).Order());

        // The same YAML with its template reference removed, given the .tm7 as the template.
        var bare = Write("bare.yaml", string.Join('\n', (await File.ReadAllLinesAsync(yaml)).Where(l => !l.StartsWith("template:", StringComparison.Ordinal))));
        var (givenExit, given, givenErr) = await CliRunner.RunAsync("threatmodel", "analyze", bare, "--format", "json", "--template", tm7);
        Assert.True(givenExit == 0, givenErr);
        Assert.Equal(expected.Order(), Threats(given).Order());
    }

    private static List<(string Rule, string Interaction)> Threats(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("threats").EnumerateArray().Select(t => (t.GetProperty("ruleId").GetString()!, t.GetProperty("interaction").GetString()!))];
    }

}
