using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class ValidationAndRecordingTests
{
    [Theory]
    [MemberData(nameof(Models))]
    public void ToolModels_AreValid(string name)
    {
        var document = Tm7Document.Load(TestFiles.Path(name));
        Assert.Empty(ModelValidator.Validate(document.Model, document.Template!));
    }

    public static TheoryData<string> Models => TestFiles.ModelNames();

    [Fact]
    public void Tm7_WithDuplicateGuidUnknownTypeAndDanglingFlow_IsReported()
    {
        var text = File.ReadAllText(TestFiles.Path("Simple-Threat-Model_https.tm7"));
        // Point the SQL database's stencil at a type the template lacks, detach a flow, and reuse a GUID.
        text = text.Replace("<TypeId xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">SE.DS.TMCore.SQL</TypeId>", "<TypeId xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">SE.DS.Nope</TypeId>", StringComparison.Ordinal);
        text = text.Replace("<GenericTypeId xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">GE.DS</GenericTypeId>", "<GenericTypeId xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">GE.Nope</GenericTypeId>", StringComparison.Ordinal);
        text = text.Replace("<TargetGuid xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">ba899248-e6ce-448f-809d-942d1e86deab</TargetGuid>", "<TargetGuid xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">00000000-0000-0000-0000-000000000000</TargetGuid>", StringComparison.Ordinal);
        text = text.Replace("<Guid xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">bb144376-d52a-409a-bbbc-9404e448906f", "<Guid xmlns=\"http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts\">035c7438-2eb2-4016-b710-34bb3d67f4b5", StringComparison.Ordinal);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var document = Tm7Document.Load(stream, "edited.tm7");

        var issues = ModelValidator.Validate(document.Model, document.Template!);

        Assert.Contains(issues, i => i.Id == "unknown-stencil-type" && i.ElementId == "ba899248-e6ce-448f-809d-942d1e86deab");
        Assert.Contains(issues, i => i.Id == "dangling-flow" && i.ElementId!.StartsWith("cc0a2b79", StringComparison.Ordinal));
        Assert.Contains(issues, i => i.Id == "duplicate-id" && i.ElementId!.StartsWith("035c7438", StringComparison.Ordinal));
        Assert.DoesNotContain(new ThreatGenerator(document.Template!).Generate(document.Model), t => t.Key.FlowId.StartsWith("cc0a2b79", StringComparison.Ordinal));
    }

    [Fact]
    public void RecordedYamlThreats_RoundTrip_AndAnUnchangedModelRegeneratesToTheSameBytes()
    {
        var template = RuleCatalogue.Default.Template;
        var first = YamlModelReader.Read(new StringReader(YamlModelTests.Shop), "shop.yaml", template);
        var result = ThreatAnalyzer.Analyze(first, template);
        var recorded = YamlThreatRecorder.Replace(YamlModelTests.Shop, result.Current);

        var second = YamlModelReader.Read(new StringReader(recorded), "shop.yaml", template);
        var again = ThreatAnalyzer.Analyze(second, template);

        Assert.True(again.IsUnchanged);
        Assert.Equal(result.Current.Select(t => (t.Key, t.State, t.Justification)), again.Current.Select(t => (t.Key, t.State, t.Justification)));
        Assert.Equal(ThreatState.Mitigated, again.Current.Single(t => t.RuleId == "SFTM-T-004").State);
        Assert.Equal(recorded, YamlThreatRecorder.Replace(recorded, again.Current));
        Assert.StartsWith(YamlModelTests.Shop[..YamlModelTests.Shop.IndexOf("threats:", StringComparison.Ordinal)], recorded, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordingAReconciliation_KeepsResolvedDecisions_AndDropsUntouchedResolvedThreats()
    {
        var template = RuleCatalogue.Default.Template;
        var yaml = YamlModelTests.Shop.Replace("  - rule: SFTM-T-004", "  - rule: GONE-1\n    interaction: web:f-old:db\n  - rule: SFTM-T-004\n    interaction: browser:f-older:web\n    state: mitigated\n  - rule: SFTM-T-004", StringComparison.Ordinal);
        var result = ThreatAnalyzer.Analyze(YamlModelReader.Read(new StringReader(yaml), "shop.yaml", template), template);
        Assert.Equal(2, result.Resolved.Count);

        var recorded = YamlModelReader.Read(new StringReader(YamlThreatRecorder.Replace(yaml, result)), "shop.yaml", template).RecordedThreats;

        Assert.Contains(recorded, t => t.Key.Interaction == "browser:f-older:web" && t.State == ThreatState.Mitigated);
        Assert.DoesNotContain(recorded, t => t.RuleId == "GONE-1");
        Assert.Equal(result.Current.Count + 1, recorded.Count);
    }
}
