using System.Text.Json;
using System.Xml.Linq;
using SecureFuture.Core;
using SecureFuture.Core.Writers;
using SecureFuture.ThreatModeling.Diagrams;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Findings;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class InteropAndOutputTests
{
    [Fact]
    public async Task JsonReport_CarriesRuleCategorySeverityStateAndInteraction_ForEveryThreat()
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path("Simple-Threat-Model_https.tm7"));
        var result = ThreatAnalyzer.Analyze(loaded.Model, loaded.Template);
        var run = ThreatFindings.ToRun(loaded.Model, result, loaded.Template, "test", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        using var output = new MemoryStream();

        await new JsonReportWriter().WriteAsync(run, output);

        using var json = JsonDocument.Parse(output.ToArray());
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToList();
        Assert.Equal(10, findings.Count);
        var i23 = findings.Single(f => f.GetProperty("ruleId").GetString() == "I23");
        Assert.Equal("high", i23.GetProperty("severity").GetString());
        Assert.Equal("Information Disclosure", i23.GetProperty("properties").GetProperty("category").GetString());
        Assert.Equal("mitigated", i23.GetProperty("properties").GetProperty("state").GetString());
        Assert.Equal("6b9ff635-5548-4571-8a65-87c3b3a77b70:cc0a2b79-187b-442d-b3ce-a3dfa8f7fab1:ba899248-e6ce-448f-809d-942d1e86deab", i23.GetProperty("properties").GetProperty("interaction").GetString());
        Assert.True(i23.GetProperty("suppressed").GetBoolean());
        Assert.Equal("6b9ff635-5548-4571-8a65-87c3b3a77b70:cc0a2b79-187b-442d-b3ce-a3dfa8f7fab1:ba899248-e6ce-448f-809d-942d1e86deab", i23.GetProperty("element").GetString());
        Assert.Equal(2, findings.Count(f => f.GetProperty("properties").GetProperty("state").GetString() == "mitigated" || f.GetProperty("ruleId").GetString() == "T7"));
        Assert.False(run.TripsGate(Severity.Critical));
        Assert.True(run.TripsGate(Severity.High));
    }

    [Fact]
    public async Task SarifReport_ListsTheTemplateRules_AndPointsYamlThreatsAtTheFlowLine()
    {
        var model = YamlModelReader.Read(new StringReader(YamlModelTests.Shop), "models/shop.yaml", RuleCatalogue.Default.Template);
        var result = ThreatAnalyzer.Analyze(model, RuleCatalogue.Default.Template);
        var run = ThreatFindings.ToRun(model, result, RuleCatalogue.Default.Template, "test", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, compareToRecorded: true);
        using var output = new MemoryStream();

        await new SarifWriter().WriteAsync(run, output);

        using var sarif = JsonDocument.Parse(output.ToArray());
        var sarifRun = sarif.RootElement.GetProperty("runs")[0];
        Assert.Equal(RuleCatalogue.Default.Rules.Count, sarifRun.GetProperty("tool").GetProperty("driver").GetProperty("rules").GetArrayLength());
        var sql = sarifRun.GetProperty("results").EnumerateArray().First(r => r.GetProperty("ruleId").GetString() == "SFTM-T-002");
        var region = sql.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        Assert.Equal(23, region.GetProperty("startLine").GetInt32());
        Assert.All(run.Findings, f => Assert.Contains(f.BaselineState, new[] { BaselineState.New, BaselineState.Unchanged }));
        Assert.Equal(BaselineState.Unchanged, run.Findings.Single(f => f.RuleId == "SFTM-T-004").BaselineState);
    }

    [Fact]
    public void Svg_IsDeterministicWellFormed_AndDrawsEveryElementFlowAndBoundary()
    {
        var model = YamlModelReader.Read(new StringReader(YamlModelTests.Shop), "shop.yaml", RuleCatalogue.Default.Template);

        var first = SvgDiagramWriter.Write(model);
        var second = SvgDiagramWriter.Write(YamlModelReader.Read(new StringReader(YamlModelTests.Shop), "shop.yaml", RuleCatalogue.Default.Template));

        Assert.Equal(first, second);
        var svg = XDocument.Parse(first);
        var ids = svg.Descendants().Select(e => (string?)e.Attribute("id")).OfType<string>().ToHashSet();
        Assert.Superset(new HashSet<string> { "browser", "web", "db", "f-browse", "f-sql", "internet" }, ids);
        Assert.Contains("Customer browser", first, StringComparison.Ordinal);
        // The browser is alone in the internet boundary, so the boundary's box must stay clear of the web app.
        static double D(XElement e, string a) => double.Parse((string)e.Attribute(a)!, System.Globalization.CultureInfo.InvariantCulture);
        var boundary = svg.Descendants().Single(e => (string?)e.Attribute("id") == "internet").Elements().First();
        var web = svg.Descendants().Single(e => (string?)e.Attribute("id") == "web").Elements().First();
        var apart = D(boundary, "x") + D(boundary, "width") < D(web, "cx") - D(web, "rx") || D(web, "cx") + D(web, "rx") < D(boundary, "x")
            || D(boundary, "y") + D(boundary, "height") < D(web, "cy") - D(web, "ry") || D(web, "cy") + D(web, "ry") < D(boundary, "y");
        Assert.True(apart);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Svg_OfAToolModel_UsesItsCoordinates_PerDiagram(string name)
    {
        var document = Tm7Document.Load(TestFiles.Path(name));
        foreach (var diagram in document.Model.Diagrams)
        {
            var svg = XDocument.Parse(SvgDiagramWriter.Write(document.Model, diagram.Id));
            var drawn = svg.Descendants().Select(e => (string?)e.Attribute("id")).OfType<string>().ToHashSet();
            Assert.All(document.Model.Flows.Where(f => f.DiagramId == diagram.Id), f => Assert.Contains(f.Id, drawn));
            Assert.All(document.Model.Boundaries.Where(b => b.DiagramId == diagram.Id), b => Assert.Contains(b.Id, drawn));
        }
    }

    public static TheoryData<string> Models => TestFiles.ModelNames();

    [Fact]
    public void ThreatDragonV2_ImportsElementsFlowsAndBoundaries_AndGeneratesThreats()
    {
        var model = ThreatDragonImporter.Read(TestFiles.Path("threat-dragon/shop-v2.json"));

        Assert.Equal("Shop (Threat Dragon)", model.Name);
        Assert.Equal(["a-user", "p-web", "s-db"], model.Elements.Select(e => e.Id));
        Assert.Equal([ElementKind.ExternalEntity, ElementKind.Process, ElementKind.DataStore], model.Elements.Select(e => e.Kind));
        Assert.Equal("No", model.Flows.Single(f => f.Id == "f-1").Properties["encryptedInTransit"]);
        Assert.Equal("Yes", model.FindElement("s-db")!.Properties["storesCredentials"]);
        Assert.Equal(2, model.Boundaries.Count);
        Assert.Equal(["tb-dmz"], BoundaryCrossing.CrossedBy(model, model.Flows.Single(f => f.Id == "f-1")).Select(b => b.Id));
        Assert.Equal(["tb-line"], BoundaryCrossing.CrossedBy(model, model.Flows.Single(f => f.Id == "f-2")).Select(b => b.Id));

        var threats = new ThreatGenerator(RuleCatalogue.Default.Template).Generate(model);
        Assert.Contains(threats, t => t.RuleId == "SFTM-T-001" && t.Key.FlowId == "f-1");
        Assert.DoesNotContain(threats, t => t.RuleId == "SFTM-T-001" && t.Key.FlowId == "f-2");
    }

    [Fact]
    public void ThreatDragon_MalformedJson_NamesLineAndColumn_AndDanglingFlowsAreKeptForValidation()
    {
        using var broken = new MemoryStream("{\n  \"detail\": {\n    \"diagrams\": [ }\n}"u8.ToArray());
        var e = Assert.Throws<InputException>(() => ThreatDragonImporter.Read(broken, "td.json"));
        Assert.Equal(3, e.Line);
        Assert.NotNull(e.Column);

        // A loose flow no longer rejects the model: it is kept with its missing end empty and reported by validation.
        using var dangling = new MemoryStream("""{"detail":{"diagrams":[{"cells":[{"shape":"process","id":"p"},{"shape":"flow","id":"f","source":{"cell":"p"},"target":{"x":1,"y":2}}]}]}}"""u8.ToArray());
        var model = ThreatDragonImporter.Read(dangling, "td.json");
        var flow = Assert.Single(model.Flows);
        Assert.Equal(("p", string.Empty), (flow.SourceId, flow.TargetId));
        Assert.Contains(ModelValidator.Validate(model, RuleCatalogue.Default.Template), i => i.Id == "dangling-flow" && i.ElementId == "f");
    }
}
