using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class YamlModelTests
{
    internal const string Shop = """
        version: 1
        name: Shop
        elements:
          - id: browser
            name: Customer browser
            type: SF.EI.Browser
          - id: web
            name: Shop web app
            type: SF.P.WebApp
            internetExposed: true
          - id: db
            name: Orders DB
            type: SF.DS.Database
            encryptionAtRest: false
            dataClassification: confidential
        flows:
          - id: f-browse
            name: HTTPS
            from: browser
            to: web
            encryptedInTransit: true
            authentication: cookie
          - id: f-sql
            name: SQL
            from: web
            to: db
            authentication: password
        boundaries:
          - id: internet
            name: Internet
            type: SF.TB.Internet
            members: [browser]
        threats:
          - rule: SFTM-T-004
            interaction: browser:f-browse:web
            state: mitigated
            justification: SameSite=Strict cookies and antiforgery tokens
            severity: low
        """;

    private static Model.ThreatModel Read(string yaml, string path = "shop.yaml") =>
        YamlModelReader.Read(new StringReader(yaml), path, RuleCatalogue.Default.Template);

    [Fact]
    public void Elements_KeepTheirLineAndColumn()
    {
        var model = Read(Shop);

        Assert.Equal(new Model.SourcePosition(4, 5), model.FindElement("browser")!.Position);
        Assert.Equal(new Model.SourcePosition(17, 5), model.Flows.Single(f => f.Id == "f-browse").Position);
        Assert.Equal(new Model.SourcePosition(23, 5), model.Flows.Single(f => f.Id == "f-sql").Position);
        Assert.Equal("No", model.FindElement("db")!.Properties["encryptionAtRest"]);
        Assert.Equal("Yes", model.FindElement("web")!.Properties["internetExposed"]);
        Assert.Equal(Model.ElementKind.DataStore, model.FindElement("db")!.Kind);
        Assert.Equal(["browser"], model.Boundaries.Single().Members);
    }

    [Fact]
    public void Regeneration_KeepsRecordedStates_AndFindingsPointAtTheFlowLine()
    {
        var model = Read(Shop);
        var result = ThreatAnalyzer.Analyze(model, RuleCatalogue.Default.Template);

        var csrf = Assert.Single(result.Current, t => t.RuleId == "SFTM-T-004");
        Assert.Equal(ThreatState.Mitigated, csrf.State);
        Assert.Equal("SameSite=Strict cookies and antiforgery tokens", csrf.Justification);
        Assert.Equal(Severity.Low, csrf.Severity);
        Assert.Equal(Severity.High, Assert.Single(result.Current, t => t.RuleId == "SFTM-T-002").Severity);
        Assert.Contains(result.Current, t => t.RuleId == "SFTM-T-002" && t.Key.Interaction == "web:f-sql:db");
        Assert.Contains(result.Current, t => t.RuleId == "SFTM-S-005");
        Assert.Contains(result.Current, t => t.RuleId == "SFTM-I-002");
        Assert.DoesNotContain(result.Current, t => t.RuleId == "SFTM-T-001");
        Assert.Empty(result.Resolved);

        var finding = Findings.ThreatFindings.ToFinding(result.Current.First(t => t.Key.FlowId == "f-sql"), model);
        Assert.Equal("shop.yaml", finding.Location.Path);
        Assert.Equal(23, finding.Location.Region!.StartLine);
        Assert.Equal("web:f-sql:db", finding.Properties["interaction"]);
    }

    [Fact]
    public void ARecordedThreatWhoseFlowIsGone_IsResolved()
    {
        var model = Read(Shop.Replace("interaction: browser:f-browse:web", "interaction: browser:f-old:web", StringComparison.Ordinal));
        var result = ThreatAnalyzer.Analyze(model, RuleCatalogue.Default.Template);

        var resolved = Assert.Single(result.Resolved);
        Assert.Equal("browser:f-old:web", resolved.Key.Interaction);
        Assert.Contains(result.New, t => t.RuleId == "SFTM-T-004");
    }

    [Theory]
    [InlineData("elements:\n  - id: a\n    kind: process\n  - id: a\n    kind: process\nflows: []\n", 4, 9, "duplicate id 'a'")]
    [InlineData("elements:\n  - id: a\n    kind: process\nflows:\n  - id: f\n    from: a\n    to: nowhere\n", 7, 9, "names no element")]
    [InlineData("elements:\n  - id: a\n    type: SF.P.Nope\nflows: []\n", 3, 11, "unknown stencil type 'SF.P.Nope'")]
    [InlineData("elements:\n  - id: a\n    kind: process\n    colour: red\nflows: []\n", 4, 5, "unknown element key 'colour'")]
    [InlineData("elements:\n  - id: a\n    kind: robot\nflows: []\n", 3, 11, "unknown kind 'robot'")]
    [InlineData("elements:\n  - id: a\n    kind: process\n  - { id: b, kind: process\nflows: []\n", 5, 1, "malformed YAML")]
    [InlineData("elements:\n  - id: a\n    kind: process\nboundaries:\n  - id: z\n    members: [ghost]\n", 6, 15, "member 'ghost' names no element")]
    [InlineData("elements:\n  - id: a\n    kind: process\nthreats:\n  - rule: X\n    interaction: a-b\n", 6, 18, "is not source:flow:target")]
    [InlineData("version: 2\nelements: []\n", 1, 10, "unsupported version")]
    public void BadInput_NamesFileLineAndColumn(string yaml, int line, int column, string message)
    {
        var e = Assert.Throws<InputException>(() => Read(yaml, "bad.yaml"));

        Assert.Equal("bad.yaml", e.FilePath);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AliasBomb_IsRefused_WithBoundedTimeAndMemory()
    {
        // Ten levels of ten aliases each: 10^10 strings if anything expanded them.
        var yaml = new System.Text.StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= 9; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        yaml.Append("elements: *a9\nflows: []\n");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<InputException>(() => Read(yaml.ToString(), "bomb.yaml"));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), watch.Elapsed.ToString());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000);
        Assert.Equal("bomb.yaml", e.FilePath);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void SharedAliasedMappings_StopAtTheNodeBudget()
    {
        // Every element reuses one 20 000-entry property map through an alias: cheap to load, costly to walk.
        var yaml = new System.Text.StringBuilder("elements:\n  - id: e0\n    kind: process\n    properties: &p\n");
        for (var i = 0; i < 20_000; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"      k{i}: v\n");
        }

        for (var i = 1; i < 20; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: e{i}, kind: process, properties: *p }}\n");
        }

        var e = Assert.Throws<InputException>(() => Read(yaml.ToString(), "aliases.yaml"));
        Assert.Contains("nodes (nested aliases?)", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.Line);
    }

    [Fact]
    public void A_large_model_without_aliases_is_read_the_budget_grows_with_the_document()
    {
        // 3,000 elements and 12,000 flows visit far more than 100,000 nodes, all of them written out in the file.
        var yaml = new System.Text.StringBuilder("elements:\n");
        for (var i = 0; i < 3_000; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: e{i}, name: Element {i}, type: SF.P.Api, properties: {{ inputValidation: yes }} }}\n");
        }

        yaml.Append("flows:\n");
        for (var i = 0; i < 12_000; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: f{i}, name: Call {i}, from: e{i % 3_000}, to: e{(i * 7 + 1) % 3_000}, encryptedInTransit: true, authentication: oauth }}\n");
        }

        var model = Read(yaml.ToString(), "large.yaml");
        Assert.Equal(3_000, model.Elements.Count);
        Assert.Equal(12_000, model.Flows.Count);
    }

    [Fact]
    public void Schema_IsEmbedded_AndAllowsExactlyTheKeysTheReaderAccepts()
    {
        using var schema = JsonDocument.Parse(ThreatModelSchema.Json);
        var root = schema.RootElement;
        Assert.Equal(ThreatModelSchema.Id, root.GetProperty("$id").GetString());

        static string[] Keys(JsonElement e) => [.. e.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order()];
        var defs = root.GetProperty("$defs");
        Assert.Equal(YamlModelReader.TopKeys.Order(), Keys(root));
        Assert.Equal(YamlModelReader.ElementKeys.Order(), Keys(defs.GetProperty("element")));
        Assert.Equal(YamlModelReader.FlowKeys.Order(), Keys(defs.GetProperty("flow")));
        Assert.Equal(YamlModelReader.BoundaryKeys.Order(), Keys(defs.GetProperty("boundary")));
        Assert.Equal(YamlModelReader.ThreatKeys.Order(), Keys(defs.GetProperty("threat")));
    }
}
