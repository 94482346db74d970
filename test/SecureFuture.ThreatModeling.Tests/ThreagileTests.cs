using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class ThreagileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-threagile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void SplitModel_WithNestedIncludes_ReadsAsTheSameModelInOneFile()
    {
        // Threagile's own test model, once split into 19 files (includes within includes) and once in one file.
        var split = ThreatAnalyzer.Load(TestFiles.Path("threagile/split/main.yaml"));
        var whole = ThreatAnalyzer.Load(TestFiles.Path("threagile/threagile-test-all.yaml"));

        Assert.True(split.Model.Elements.Count >= 10 && split.Model.Flows.Count >= 10, $"{split.Model.Elements.Count} elements");
        Assert.Equal(whole.Model.Elements.Select(e => (e.Id, e.TypeId)).Order(), split.Model.Elements.Select(e => (e.Id, e.TypeId)).Order());
        Assert.Equal(whole.Model.Flows.Select(f => f.Id).Order(StringComparer.Ordinal), split.Model.Flows.Select(f => f.Id).Order(StringComparer.Ordinal));
        Assert.Equal(whole.Model.Boundaries.Select(b => (b.Id, string.Join(",", b.Members!.Order(StringComparer.Ordinal)))).Order(), split.Model.Boundaries.Select(b => (b.Id, string.Join(",", b.Members!.Order(StringComparer.Ordinal)))).Order());
        Assert.Equal(
            ThreatAnalyzer.Analyze(whole.Model, whole.Template).Current.Select(t => t.Key.ToString()).Order(StringComparer.Ordinal),
            ThreatAnalyzer.Analyze(split.Model, split.Template).Current.Select(t => t.Key.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void IncludeCycle_IsAThreagileInputError_NamingTheCycle()
    {
        var main = Write("main.yaml", "threagile_version: 1.0.0\nincludes:\n  - parts/assets.yaml\n");
        Write("parts/assets.yaml", "technical_assets:\n  A:\n    id: a\n    type: process\nincludes:\n  - ../main.yaml\n");

        var e = Assert.Throws<InputException>(() => ThreatAnalyzer.Load(main));

        Assert.EndsWith("assets.yaml", e.FilePath, StringComparison.Ordinal);
        Assert.Equal(6, e.Line);
        Assert.Contains("Threagile model: include cycle: main.yaml -> assets.yaml -> main.yaml", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  - missing.yaml\n", "included file", 3)]
    [InlineData("  - /etc/hosts\n", "must be relative", 3)]
    [InlineData("  - empty.yaml\n", "define 'technical_assets'", 1)]
    public void BadIncludes_AreThreagileErrors_NotSfiModelErrors(string includes, string expected, int line)
    {
        Write("empty.yaml", "title: nothing here\n");
        var main = Write("main.yaml", "threagile_version: 1.0.0\nincludes:\n" + includes);

        var e = Assert.Throws<InputException>(() => ThreatAnalyzer.Load(main));

        Assert.Equal(line, e.Line);
        Assert.Contains("Threagile model", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IncludesNestedTooDeep_AreRefused()
    {
        for (var i = 0; i < ThreagileImporter.MaxIncludeDepth + 2; i++)
        {
            Write($"level{i}.yaml", $"includes:\n  - level{i + 1}.yaml\n");
        }

        Write($"level{ThreagileImporter.MaxIncludeDepth + 2}.yaml", "technical_assets:\n  A:\n    id: a\n");
        var e = Assert.Throws<InputException>(() => ThreatAnalyzer.Load(Path.Combine(_dir, "level0.yaml")));
        Assert.Contains("nest deeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Threagile_AssetsLinksAndNestedBoundaries_AreImported()
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path("threagile/shop.yaml"));
        var model = loaded.Model;

        Assert.Equal("Shop (Threagile)", model.Name);
        Assert.Equal(["SF.EI.Browser", "SF.P.WebApp", "SF.DS.Database"], model.Elements.Select(e => e.TypeId));
        Assert.Equal("restricted", model.FindElement("shop-db")!.Properties["dataClassification"]);
        Assert.Equal(new SourcePosition(5, 3), model.FindElement("customer-browser")!.Position);
        var http = model.Flows.Single(f => f.Name == "Shop Traffic");
        Assert.Equal("No", http.Properties["encryptedInTransit"]);
        Assert.Equal("Yes", model.Flows.Single(f => f.Name == "Database Access").Properties["encryptedInTransit"]);
        Assert.Equal(["shop-app", "shop-db"], model.Boundaries.Single(b => b.Id == "cloud").Members!.Order());
        Assert.Equal(["cloud"], BoundaryCrossing.CrossedBy(model, http).Select(b => b.Id));
        Assert.Equal(["db-subnet"], BoundaryCrossing.CrossedBy(model, model.Flows.Single(f => f.Name == "Database Access")).Select(b => b.Id));

        var threats = ThreatAnalyzer.Analyze(model, loaded.Template).Current;
        Assert.Contains(threats, t => t.RuleId == "SFTM-T-001" && t.Key.FlowId == http.Id);
        Assert.Contains(threats, t => t.RuleId == "SFTM-S-005" && t.Key.TargetId == "shop-db");
        Assert.Contains(threats, t => t.RuleId == "SFTM-I-002" && t.Key.TargetId == "shop-db");
    }

    [Fact]
    public void Threagile_LinkToAMissingAsset_IsAnInputErrorAtTheLink()
    {
        const string Yaml = "technical_assets:\n  A:\n    id: a\n    type: process\n    communication_links:\n      L:\n        target: ghost\n";
        var e = Assert.Throws<InputException>(() => ThreagileImporter.Read(new StringReader(Yaml), "t.yaml"));
        Assert.Equal(7, e.Line);
        Assert.Contains("ghost", e.Message, StringComparison.Ordinal);
    }
}
