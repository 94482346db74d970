using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class YamlWriterTests
{
    private static IEnumerable<string> Keys(IEnumerable<Threat> threats) => threats.Select(t => t.Key.ToString()).Order(StringComparer.Ordinal);

    [Fact]
    public void YamlModel_WriteRead_KeepsElementsFlowsBoundariesAndThreats()
    {
        var template = RuleCatalogue.Default.Template;
        var model = YamlModelReader.Read(TestFiles.Path("models/payments.yaml"), template);

        var written = YamlModelWriter.Write(model);
        var back = YamlModelReader.Read(new StringReader(written), "written.yaml", template);

        Assert.Equal(model.Elements.Select(e => (e.Id, e.Name, e.TypeId, string.Join(";", e.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)))), back.Elements.Select(e => (e.Id, e.Name, e.TypeId, string.Join(";", e.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)))));
        Assert.Equal(model.Flows.Select(f => (f.Id, f.SourceId, f.TargetId, string.Join(";", f.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)))), back.Flows.Select(f => (f.Id, f.SourceId, f.TargetId, string.Join(";", f.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)))));
        Assert.Equal(model.Boundaries.Select(b => string.Join(",", b.Members!)), back.Boundaries.Select(b => string.Join(",", b.Members!)));
        var generator = new ThreatGenerator(template);
        Assert.Equal(Keys(generator.Generate(model)), Keys(generator.Generate(back)));
        Assert.Equal(written, YamlModelWriter.Write(back));
    }

    [Fact]
    public void ThreatDragonModel_ConvertedToYaml_GeneratesTheSameThreats()
    {
        var template = RuleCatalogue.Default.Template;
        var imported = ThreatDragonImporter.Read(TestFiles.Path("threat-dragon/shop-v2.json"));

        var yaml = YamlModelReader.Read(new StringReader(YamlModelWriter.Write(imported)), "shop.yaml", template);

        var generator = new ThreatGenerator(template);
        var threats = generator.Generate(imported);
        Assert.NotEmpty(threats);
        Assert.Equal(Keys(threats), Keys(generator.Generate(yaml)));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ToolModel_ConvertedToYaml_WithItsTemplate_GeneratesTheToolsThreats(string name)
    {
        var document = Tm7Document.Load(TestFiles.Path(name));
        var yaml = YamlModelReader.Read(new StringReader(YamlModelWriter.Write(document.Model)), "converted.yaml", document.Template!);

        var generated = new ThreatGenerator(document.Template!).Generate(yaml);

        Assert.Equal(document.Threats.Select(t => Tm7Threats.KeyOf(t).ToString()).Order(StringComparer.Ordinal), Keys(generated));
    }

    public static TheoryData<string> Models => TestFiles.ModelNames();
}
