using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class ThreagileTests
{
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
