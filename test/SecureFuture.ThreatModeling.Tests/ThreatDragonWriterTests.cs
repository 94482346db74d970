using System.Text;
using System.Text.Json;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class ThreatDragonWriterTests
{
    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string> { "models/payments.yaml", "threat-dragon/shop-v2.json" };
        foreach (var m in TestFiles.Models)
        {
            data.Add(m);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void WriteThenImport_KeepsElementsFlowsAndBoundaryCrossings(string name)
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path(name));
        var threats = new ThreatGenerator(loaded.Template).Generate(loaded.Model);

        var json = ThreatDragonWriter.Write(loaded.Model, threats);

        AssertSameShape(loaded.Model, json, threats.Count);
        Assert.Equal(json, ThreatDragonWriter.Write(loaded.Model, threats));
    }

    [Theory]
    [MemberData(nameof(Tm7Models))]
    public void ConvertedTm7_WrittenAsThreatDragon_KeepsElementsFlowsAndBoundaryCrossings(string name)
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path(name));
        var yaml = YamlModelWriter.Write(loaded.Model);
        var model = YamlModelReader.Read(new StringReader(yaml), "converted.yaml", loaded.Template);

        AssertSameShape(model, ThreatDragonWriter.Write(model), 0);
    }

    public static TheoryData<string> Tm7Models => TestFiles.ModelNames();

    [Fact]
    public void Threats_AreWrittenIntoTheirFlowCells_WithStatusSeverityAndType()
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path("Simple-Threat-Model_https.tm7"));

        var json = ThreatDragonWriter.Write(loaded.Model);

        using var document = JsonDocument.Parse(json);
        var cells = document.RootElement.GetProperty("detail").GetProperty("diagrams")[0].GetProperty("cells").EnumerateArray().ToList();
        var written = cells.Where(c => c.GetProperty("shape").GetString() == "flow")
            .SelectMany(c => c.GetProperty("data").GetProperty("threats").EnumerateArray().Select(t => (Flow: c.GetProperty("id").GetString(), Threat: t)))
            .ToList();
        Assert.Equal(loaded.Model.RecordedThreats.Count, written.Count);
        var i23 = written.Single(w => w.Threat.GetProperty("ruleId").GetString() == "I23");
        Assert.Equal("cc0a2b79-187b-442d-b3ce-a3dfa8f7fab1", i23.Flow);
        Assert.Equal("Mitigated", i23.Threat.GetProperty("status").GetString());
        Assert.Equal("High", i23.Threat.GetProperty("severity").GetString());
        Assert.Equal("Information Disclosure", i23.Threat.GetProperty("type").GetString());
        Assert.All(written, w => Assert.Contains(w.Threat.GetProperty("status").GetString(), new[] { "Open", "Mitigated", "NA" }));
    }

    private static void AssertSameShape(ThreatModel model, string json, int threatCount)
    {
        using (var document = JsonDocument.Parse(json))
        {
            Assert.StartsWith("2.", document.RootElement.GetProperty("version").GetString(), StringComparison.Ordinal);
            var written = document.RootElement.GetProperty("detail").GetProperty("diagrams").EnumerateArray()
                .SelectMany(d => d.GetProperty("cells").EnumerateArray())
                .Sum(c => c.TryGetProperty("data", out var data) && data.TryGetProperty("threats", out var t) ? t.GetArrayLength() : 0);
            Assert.Equal(threatCount, written);
        }

        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var imported = ThreatDragonImporter.Read(stream, "written.json");

        var expectedElements = model.Elements.Where(e => e.Kind != ElementKind.Annotation).ToList();
        Assert.Equal(expectedElements.Select(e => (e.Id, e.Name, e.Kind)).Order(), imported.Elements.Select(e => (e.Id, e.Name, e.Kind)).Order());
        Assert.Equal(model.Flows.Select(f => (f.Id, f.Name, f.SourceId, f.TargetId)).Order(), imported.Flows.Select(f => (f.Id, f.Name, f.SourceId, f.TargetId)).Order());
        foreach (var flow in model.Flows)
        {
            var expected = BoundaryCrossing.CrossedBy(model, flow).Select(b => b.Id).Order(StringComparer.Ordinal);
            var actual = BoundaryCrossing.CrossedBy(imported, imported.Flows.Single(f => f.Id == flow.Id)).Select(b => b.Id).Order(StringComparer.Ordinal);
            Assert.Equal(expected, actual);
        }
    }
}
