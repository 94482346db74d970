using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Rules;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class RuleExpressionTests
{
    private static readonly KnowledgeBase Template = new(
        "test",
        null,
        null,
        [
            new ElementType { Id = "GE.P", Name = "Process", ParentId = "ROOT" },
            new ElementType { Id = "GE.DS", Name = "Store", ParentId = "ROOT" },
            new ElementType { Id = "GE.DF", Name = "Flow", ParentId = "ROOT" },
            new ElementType { Id = "GE.TB.B", Name = "Border", ParentId = "ROOT" },
            new ElementType { Id = "SE.P.Web", Name = "Web", ParentId = "GE.P" },
            new ElementType { Id = "SE.P.Web.Api", Name = "Api", ParentId = "SE.P.Web" },
            new ElementType { Id = "SE.DS.Sql", Name = "Sql", ParentId = "GE.DS" },
            new ElementType { Id = "SE.TB.Corp", Name = "Corp", ParentId = "GE.TB.B" },
        ],
        [],
        []);

    private static Interaction Interaction(bool crosses = true, string auth = "Yes")
    {
        var source = new ModelElement { Id = "a", Kind = ElementKind.Process, TypeId = "SE.P.Web.Api", Name = "Orders API" };
        var target = new ModelElement { Id = "b", Kind = ElementKind.DataStore, TypeId = "SE.DS.Sql", Name = "Orders DB", Properties = new Dictionary<string, string> { ["storesCredentials"] = "No" } };
        var flow = new DataFlow { Id = "f", SourceId = "a", TargetId = "b", TypeId = "GE.DF", Name = "SQL", Properties = new Dictionary<string, string> { ["authenticatesSource"] = auth } };
        var boundary = new TrustBoundary { Id = "tb", TypeId = "SE.TB.Corp", Name = "Corp", Shape = BoundaryShape.Border, Members = ["b"] };
        return new Interaction(Template, source, flow, target, crosses ? [boundary] : []);
    }

    [Theory]
    [InlineData("source is 'GE.P' and (target is 'GE.DS') and flow crosses 'GE.TB.B'", true)]
    [InlineData("source is 'SE.P.Web'", true)]
    [InlineData("source is 'SE.DS.Sql'", false)]
    [InlineData("source is 'ROOT'", false)]
    [InlineData("flow.authenticatesSource is 'Yes'", true)]
    [InlineData("flow.authenticatesSource is 'yes'", true)]
    [InlineData("flow.AUTHENTICATESSOURCE is 'No'", false)]
    [InlineData("not flow.authenticatesSource is 'Yes'", false)]
    [InlineData("NOT target.storesCredentials is 'Yes'", true)]
    [InlineData("target.missing is 'Yes'", false)]
    [InlineData("source is 'GE.DS' OR target is 'GE.DS'", true)]
    [InlineData("source is 'GE.DS' or target is 'GE.P' and target is 'GE.DS'", false)]
    [InlineData("(source is 'GE.DS' or target is 'GE.DS') and flow crosses 'SE.TB.Corp'", true)]
    [InlineData("flow crosses 'GE.TB.L'", false)]
    [InlineData("  source  is   'GE.P'  ", true)]
    public void Evaluate_FollowsTheTypeHierarchyAndBooleanPrecedence(string text, bool expected)
    {
        Assert.Equal(expected, RuleExpression.Parse(text).Evaluate(Interaction()));
    }

    [Fact]
    public void Crosses_IsFalse_WhenNoBoundaryIsCrossed()
    {
        Assert.False(RuleExpression.Parse("flow crosses 'GE.TB.B'").Evaluate(Interaction(crosses: false)));
    }

    [Theory]
    [InlineData("source is", 9)]
    [InlineData("source is 'GE.P' and", 20)]
    [InlineData("source 'GE.P'", 7)]
    [InlineData("sauce is 'GE.P'", 0)]
    [InlineData("(source is 'GE.P'", 17)]
    [InlineData("source is 'GE.P", 10)]
    [InlineData("source is 'GE.P' target is 'GE.P'", 17)]
    [InlineData("source is 'GE.P' # x", 17)]
    [InlineData("target crosses 'GE.TB.B'", 7)]
    public void Parse_ReportsThePositionOfTheError(string text, int position)
    {
        var e = Assert.Throws<RuleSyntaxException>(() => RuleExpression.Parse(text));
        Assert.Equal(position, e.Position);
    }

    [Fact]
    public void Parse_RefusesPathologicalNesting()
    {
        var text = new string('(', 5000) + "source is 'GE.P'" + new string(')', 5000);
        Assert.Throws<RuleSyntaxException>(() => RuleExpression.Parse(text));
    }

    [Fact]
    public void Render_ReplacesPlaceholders_AndKeepsUnknownOnes()
    {
        Assert.Equal(
            "Orders API writes to Orders DB over SQL (No) {nope.Name}",
            CompiledRule.Render("{source.Name} writes to {target.Name} over {flow.Name} ({target.storesCredentials}) {nope.Name}", Interaction()));
    }
}
