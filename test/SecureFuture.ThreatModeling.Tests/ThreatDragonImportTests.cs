using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Tests;

/// <summary>Threat Dragon files as its users have them: version 1 models, loose flows, empty files.</summary>
public sealed class ThreatDragonImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-td-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AStringThatIsNotWellFormedUnicode_IsAnInputErrorNamingItsLine_NotACrash()
    {
        // Found by fuzzing: a lone surrogate in a cell's name parsed, then threw InvalidOperationException when read.
        var path = Path.Combine(_dir, "surrogate.json");
        File.WriteAllText(path, "{\"summary\": {\"title\": \"t\"}, \"detail\": {\"diagrams\": [{\"cells\": [\n{\"shape\": \"process\", \"id\": \"p\", \"data\": {\"name\": \"\\ud800\"}}]}]}}");
        var e = Assert.Throws<InputException>(() => ThreatAnalyzer.Load(path));
        Assert.Equal(2, e.Line);
        Assert.Contains("not well-formed Unicode", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void V1DemoModel_IsReadWithItsElementsFlowsAndBoundaries_AndGeneratesThreats()
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path("threat-dragon/td-demo-v1-threat-model.json"));
        var model = loaded.Model;

        Assert.Equal("Demo Threat Model", model.Name);
        Assert.Equal(7, model.Elements.Count);
        Assert.Equal(3, model.Elements.Count(e => e.Kind == ElementKind.Process || e.Kind == ElementKind.ExternalEntity));
        Assert.Equal("Browser", model.Elements.Single(e => e.Kind == ElementKind.ExternalEntity).Name);
        Assert.Equal("Yes", model.Elements.Single(e => e.Name == "Worker Config").Properties["storesCredentials"]);
        Assert.Equal(10, model.Flows.Count);
        var request = model.Flows.Single(f => f.Name == "Web Request");
        Assert.Equal("Browser", model.FindElement(request.SourceId)!.Name);
        Assert.Equal("HTTP/S", request.Properties["protocol"]);
        Assert.Equal("Yes", request.Properties["encryptedInTransit"]);
        Assert.Equal(4, model.Boundaries.Count);
        Assert.All(model.Boundaries, b => Assert.Equal(BoundaryShape.Line, b.Shape));
        Assert.Empty(ModelValidator.Validate(model, loaded.Template));
        // The demo's web request crosses the boundary drawn around the browser: with its encryption switched off,
        // the plaintext rule must see the crossing.
        var plain = model with { Flows = [.. model.Flows.Select(f => f == request ? f with { Properties = new Dictionary<string, string>(f.Properties) { ["encryptedInTransit"] = "No" } } : f)] };
        Assert.Contains(ThreatAnalyzer.Analyze(plain, loaded.Template).Current, t => t.RuleId == "SFTM-T-001" && t.Key.FlowId == request.Id);
    }

    [Fact]
    public void V1Demo_WhoseUncheckedBoxesAreLeftOut_GivesTheSameHighPlaintextThreatsAsTheV2Demo()
    {
        // Threat Dragon 1.x saves a check box only when it is checked: the v1 demo's plain HTTP flows have no
        // isEncrypted at all, where the v2 demo has "isEncrypted": false. Both must read as unencrypted.
        static List<string> HighPlaintext(string name)
        {
            var loaded = ThreatAnalyzer.Load(TestFiles.Path(name));
            return [.. ThreatAnalyzer.Analyze(loaded.Model, loaded.Template).Current
                .Where(t => t.RuleId == "SFTM-T-001" && t.Severity >= Severity.High && t.State is ThreatState.NotStarted or ThreatState.NeedsInvestigation)
                .Select(t => loaded.Model.Flows.Single(f => f.Id == t.Key.FlowId).Name)
                .Order(StringComparer.Ordinal)];
        }

        var v1 = HighPlaintext("threat-dragon/td-demo-v1-threat-model.json");
        Assert.Equal(4, v1.Count);
        Assert.Equal(HighPlaintext("threat-dragon/td-demo-v2-threat-model.json"), v1);
        var model = ThreatAnalyzer.Load(TestFiles.Path("threat-dragon/td-demo-v1-threat-model.json")).Model;
        Assert.Equal("No", model.Flows.Single(f => f.Name == "Worker Queries").Properties["encryptedInTransit"]);
        Assert.Equal("No", model.Elements.Single(e => e.Name == "Worker Config").Properties["isALog"]);
    }

    [Fact]
    public void FlowWithALooseEnd_KeepsTheModel_AndIsReportedAsADanglingFlow()
    {
        // Threat Dragon's own v2 demo has one flow whose source is attached to nothing.
        var loaded = ThreatAnalyzer.Load(TestFiles.Path("threat-dragon/td-demo-v2-threat-model.json"));

        Assert.Equal(10, loaded.Model.Flows.Count);
        var issue = Assert.Single(ModelValidator.Validate(loaded.Model, loaded.Template), i => i.Id == "dangling-flow");
        var loose = loaded.Model.Flows.Single(f => f.Id == issue.ElementId);
        var threats = ThreatAnalyzer.Analyze(loaded.Model, loaded.Template).Current;
        Assert.NotEmpty(threats);
        Assert.DoesNotContain(threats, t => t.Key.FlowId == loose.Id);
    }

    [Fact]
    public void UnencryptedHttpAcrossACurveBoundaryNamedInternet_IsAPlaintextThreat()
    {
        // A curve drawn between the browser and the shop, as Threat Dragon users draw the internet edge.
        const string Json = """
            { "version": "2.2.0", "summary": { "title": "Shop" }, "detail": { "diagrams": [ { "title": "Main", "cells": [
              { "id": "browser", "shape": "actor", "position": { "x": 0, "y": 100 }, "size": { "width": 100, "height": 60 }, "data": { "name": "Browser" } },
              { "id": "shop", "shape": "process", "position": { "x": 400, "y": 100 }, "size": { "width": 100, "height": 100 }, "data": { "name": "Shop" } },
              { "id": "edge", "shape": "trust-boundary-curve", "source": { "x": 250, "y": 0 }, "target": { "x": 250, "y": 400 }, "data": { "name": "Internet" } },
              { "id": "http", "shape": "flow", "source": { "cell": "browser" }, "target": { "cell": "shop" },
                "data": { "name": "Orders", "protocol": "HTTP", "isEncrypted": false, "isPublicNetwork": true } }
            ] } ] } }
            """;
        var path = Path.Combine(_dir, "shop.json");
        File.WriteAllText(path, Json);
        var loaded = ThreatAnalyzer.Load(path);

        Assert.Equal(BoundaryShape.Line, Assert.Single(loaded.Model.Boundaries).Shape);
        var threats = ThreatAnalyzer.Analyze(loaded.Model, loaded.Template).Current;
        Assert.Contains(threats, t => t.RuleId == "SFTM-T-001" && t.Key.Interaction == "browser:http:shop");
    }

    [Theory]
    [InlineData("""{ "summary": { "title": "New" }, "detail": { "diagrams": [ { "title": "d", "cells": [] } ] } }""")]
    [InlineData("""{ "summary": { "title": "New v1" }, "detail": { "diagrams": [ { "title": "d", "diagramJson": {} } ] } }""")]
    [InlineData("""{ "summary": { "title": "No diagrams" }, "detail": { "diagrams": [] } }""")]
    public void ModelWithNoElements_IsAnInputError_NeverAnEmptyPass(string json)
    {
        var path = Path.Combine(_dir, "empty.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InputException>(() => ThreatAnalyzer.Load(path));
        Assert.Contains("no elements", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyYamlModel_IsAnInputError()
    {
        var path = Path.Combine(_dir, "empty.yaml");
        File.WriteAllText(path, "version: 1\nname: nothing\nelements: []\nflows: []\n");
        Assert.Throws<InputException>(() => ThreatAnalyzer.Load(path));
    }
}
