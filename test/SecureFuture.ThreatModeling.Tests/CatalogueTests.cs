using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Tests;

/// <summary>One data-driven test per shipped rule: its own mini models where it must fire and where it must not.</summary>
public sealed class CatalogueTests
{
    private static readonly ThreatGenerator Generator = new(RuleCatalogue.Default.Template);

    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var rule in RuleCatalogue.Default.Rules)
        {
            data.Add(rule.Type.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_FiresOnItsExamples_AndStaysQuietOnItsCounterExamples(string ruleId)
    {
        var rule = RuleCatalogue.Default.Rules.Single(r => r.Type.Id == ruleId);
        Assert.NotEmpty(rule.Fires);
        Assert.NotEmpty(rule.Quiet);

        foreach (var example in rule.Fires)
        {
            var threats = Generator.Generate(example.ToModel());
            var threat = Assert.Single(threats, t => t.RuleId == ruleId);
            Assert.Equal(("s", "f", "t"), (threat.Key.SourceId, threat.Key.FlowId, threat.Key.TargetId));
            Assert.DoesNotContain("{", threat.Title, StringComparison.Ordinal);
            Assert.DoesNotContain("{", threat.Description, StringComparison.Ordinal);
        }

        foreach (var example in rule.Quiet)
        {
            Assert.DoesNotContain(Generator.Generate(example.ToModel()), t => t.RuleId == ruleId);
        }
    }

    [Fact]
    public void RulesAboutAnyTrustBoundary_TestLineBoundariesToo()
    {
        // Threat Dragon curves, the tool's line boundaries and every Threat Dragon v1 boundary are line boundaries: a
        // rule that tested only borders would stay silent on them.
        var borderOnly = RuleCatalogue.Default.Rules
            .Where(r => r.Type.Include.Contains("crosses 'GE.TB.B'", StringComparison.Ordinal) != r.Type.Include.Contains("crosses 'GE.TB.L'", StringComparison.Ordinal))
            .Select(r => r.Type.Id);
        Assert.Empty(borderOnly);
    }

    [Fact]
    public void Catalogue_HasAtLeastSixtyRules_CoveringStride_WithCweAndCapec()
    {
        var rules = RuleCatalogue.Default.Rules;
        Assert.True(rules.Count >= 60, $"{rules.Count} rules");
        Assert.Equal(["D", "E", "I", "R", "S", "T"], rules.Select(r => r.Type.CategoryId).Distinct().Order());
        Assert.All(rules, r =>
        {
            Assert.Contains(r.Type.References, x => x.StartsWith("CWE-", StringComparison.Ordinal));
            Assert.Contains(r.Type.References, x => x.StartsWith("CAPEC-", StringComparison.Ordinal));
            Assert.NotEmpty(r.Type.Mitigations);
            Assert.NotEqual(r.Type.Id, r.Name);
            Assert.Matches("^[A-Z][A-Za-z0-9]+$", r.Name);
        });
        Assert.Equal(rules.Count, rules.Select(r => r.Type.Id).Distinct().Count());
        Assert.Equal(rules.Count, RuleCatalogue.Default.Descriptors().Count);
    }

    [Fact]
    public void Catalogue_CoversTheModernSystemTypesTheIssueNames()
    {
        var used = string.Join(" ", RuleCatalogue.Default.Rules.Select(r => r.Type.Include));
        foreach (var type in new[] { "SF.P.WebApp", "SF.P.Api", "SF.P.IdentityProvider", "SF.DS.Database", "SF.DS.ObjectStorage", "SF.DS.SecretStore", "SF.DS.Queue", "SF.EI.Browser", "SF.P.CiCd", "SF.P.LlmEndpoint" })
        {
            Assert.Contains($"'{type}'", used, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ACustomCatalogue_WithABrokenRule_IsRefusedWithRuleIdAndPosition()
    {
        const string Yaml = """
            name: custom
            elementTypes:
              - { id: GE.P, name: P, parent: ROOT }
            categories:
              - { id: S, name: Spoofing }
            rules:
              - id: X-1
                name: Broken
                category: S
                severity: high
                title: t
                description: d
                include: "source is 'GE.P' or"
            """;
        var catalogue = RuleCatalogue.Read(new StringReader(Yaml), "custom.yaml");
        var e = Assert.Throws<Core.InputException>(() => new ThreatGenerator(catalogue.Template, "custom.yaml"));
        Assert.Contains("rule 'X-1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("position 19", e.Message, StringComparison.Ordinal);
    }
}
