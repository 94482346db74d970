using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

/// <summary>
/// A .tm7 converted to YAML is a model as code that stands on its own: it names the .tm7 whose template it needs,
/// and analysing it generates exactly the threats the .tm7 does; converted back to a .tm7, still the same.
/// </summary>
public sealed class Tm7YamlRoundTripTests : IDisposable
{
    private const string AbstractsNs = "http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts";

    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-tm7-yaml-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every .tm7 in the test data, so that a model added there is covered without touching this test.</summary>
    public static TheoryData<string> AllTm7()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TestFiles.Path(string.Empty), "*.tm7", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(TestFiles.Path(string.Empty), file));
        }

        return data;
    }

    private static List<string> Keys(LoadedModel loaded) =>
        [.. new ThreatGenerator(loaded.Template).Generate(loaded.Model).Select(t => t.Key.ToString()).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(AllTm7))]
    public async Task Tm7_ToYamlAndBack_GeneratesTheSameThreats_WithNoTemplateGiven(string name)
    {
        // The model and its YAML live in different directories: the reference must be relative to the YAML file.
        var models = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;
        var tm7 = Path.Combine(models, Path.GetFileName(name));
        File.Copy(TestFiles.Path(name), tm7);
        var yaml = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "as-code")).FullName, "model.yaml");

        var original = ThreatAnalyzer.Load(tm7);
        File.WriteAllText(yaml, YamlModelWriter.Write(original, yaml));
        var fromYaml = ThreatAnalyzer.Load(yaml);

        var expected = Keys(original);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Keys(fromYaml));
        Assert.Equal(original.Template.Name, fromYaml.Template.Name);

        // Back to a new .tm7 (laid out by sfi, template embedded): the tool's GUIDs stand for sfi's ids.
        var back = Path.Combine(_dir, "back.tm7");
        await Tm7Writer.Create(fromYaml.Model, fromYaml.Template, ThreatAnalyzer.Analyze(fromYaml.Model, fromYaml.Template).Current).SaveAsync(back);
        static string Guids(string key)
        {
            var parts = key.Split(':');
            return string.Join(':', parts.Take(1).Concat(parts.Skip(1).Select(Tm7Writer.GuidFor)));
        }

        Assert.Equal(expected.Select(Guids).Order(StringComparer.Ordinal), Keys(ThreatAnalyzer.Load(back)));
    }

    /// <summary>Every Threat Dragon and Threagile model in the test data (a split Threagile model by its main file).</summary>
    public static TheoryData<string> AllImported()
    {
        var data = new TheoryData<string>();
        var root = TestFiles.Path(string.Empty);
        var files = Directory.EnumerateFiles(Path.Combine(root, "threat-dragon"), "*.json")
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "threagile"), "*.yaml"))
            .Append(Path.Combine(root, "threagile", "split", "main.yaml"));
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllImported))]
    public void ImportedModel_ToYaml_GeneratesTheSameThreats(string name)
    {
        var original = ThreatAnalyzer.Load(TestFiles.Path(name));
        var yaml = Path.Combine(_dir, "model.yaml");
        File.WriteAllText(yaml, YamlModelWriter.Write(original, yaml));
        var fromYaml = ThreatAnalyzer.Load(yaml);

        var expected = Keys(original);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Keys(fromYaml));
    }

    [Fact]
    public void YamlNamingAMissingTemplate_IsAnInputErrorAtTheTemplateKey()
    {
        var yaml = Path.Combine(_dir, "m.yaml");
        File.WriteAllText(yaml, "version: 1\nname: m\ntemplate: \"gone.tm7\"\nelements:\n  - { id: a, kind: process }\nflows: []\n");
        var e = Assert.Throws<Core.InputException>(() => ThreatAnalyzer.Load(yaml));
        Assert.Equal(3, e.Line);
        Assert.Contains("gone.tm7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotedTrueAndFalse_StayStrings_WhilePlainBooleansBecomeYesNo()
    {
        // The Azure template's properties take the values "True" and "False"; a rule comparing with 'True' must
        // still match after the model went through YAML.
        const string Yaml = """
            version: 1
            elements:
              - { id: a, kind: process, properties: { quoted: "True", single: 'False', plain: true, word: yes } }
            flows: []
            """;
        var model = YamlModelReader.Read(new StringReader(Yaml), "m.yaml", Templates.RuleCatalogue.Default.Template);
        var properties = model.Elements[0].Properties;
        Assert.Equal("True", properties["quoted"]);
        Assert.Equal("False", properties["single"]);
        Assert.Equal("Yes", properties["plain"]);
        Assert.Equal("Yes", properties["word"]);
    }

    [Fact]
    public void AnnotationsAndTheLinesDrawnToThem_AreLeftOut_SoTheYamlReadsBack()
    {
        var template = Templates.RuleCatalogue.Default.Template;
        var model = new ThreatModel
        {
            Name = "m",
            Elements =
            [
                new ModelElement { Id = "p", Kind = ElementKind.Process, TypeId = "GE.P", Name = "P" },
                new ModelElement { Id = "note", Kind = ElementKind.Annotation, TypeId = "GE.A", Name = "a note" },
            ],
            Flows = [new DataFlow { Id = "f", SourceId = "note", TargetId = "p", TypeId = "GE.DF", Name = "points at" }],
        };

        var back = YamlModelReader.Read(new StringReader(YamlModelWriter.Write(model)), "m.yaml", template);

        Assert.Equal(["p"], back.Elements.Select(e => e.Id));
        Assert.Empty(back.Flows);
    }

    [Fact]
    public void Tm7IdsAndTypesWithSurroundingWhitespace_AreTrimmed_AndStillGenerateTheSameThreats()
    {
        var name = "Simple-Threat-Model_https.tm7";
        var text = File.ReadAllText(TestFiles.Path(name));
        var padded = Path.Combine(_dir, name);
        // Pad every stencil type and every endpoint reference, as some saved files have them.
        File.WriteAllText(padded, text
            .Replace($"<TypeId xmlns=\"{AbstractsNs}\">SE.", $"<TypeId xmlns=\"{AbstractsNs}\"> SE.", StringComparison.Ordinal)
            .Replace($"<SourceGuid xmlns=\"{AbstractsNs}\">", $"<SourceGuid xmlns=\"{AbstractsNs}\">\n ", StringComparison.Ordinal));

        var original = ThreatAnalyzer.Load(TestFiles.Path(name));
        var loaded = ThreatAnalyzer.Load(padded);

        Assert.DoesNotContain(loaded.Model.Elements, e => e.TypeId != e.TypeId.Trim());
        Assert.DoesNotContain(loaded.Model.Flows, f => f.SourceId != f.SourceId.Trim() || f.TypeId != f.TypeId.Trim());
        Assert.Equal(Keys(original), Keys(loaded));
        var yaml = Path.Combine(_dir, "padded.yaml");
        File.WriteAllText(yaml, YamlModelWriter.Write(loaded, yaml));
        Assert.Equal(Keys(original), Keys(ThreatAnalyzer.Load(yaml)));
    }
}
