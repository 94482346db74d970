using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Scanning.Code.Tests;

/// <summary>
/// A user's own code rules (<c>sfi scan --rules DIR</c>) run only once their own examples behave, as a user's secret
/// rules do: a sink that never matches (a misspelt type) would otherwise pass every scan in silence, and one that
/// matches safe code would flood it.
/// </summary>
public sealed class UserCodeRuleTests
{
    private const string TemplateRule = UserCodeRuleSample.TemplateRule;

    private static (CodeRuleCatalog Catalog, List<Notification> Problems) Load(params (string Source, string Yaml)[] files)
    {
        var problems = new List<Notification>();
        return (CodeRuleCatalog.WithUserRules(files, problems), problems);
    }

    [Fact]
    public void A_rule_whose_examples_behave_runs_with_the_built_in_rules()
    {
        var (catalog, problems) = Load(("rules/template.yaml", TemplateRule));

        Assert.Empty(problems);
        Assert.Contains(catalog.Rules, r => r.Id == "SFI-CODE-090");
        Assert.Contains(catalog.Rules, r => r.Id == "SFI-CODE-001");
    }

    [Fact]
    public void A_rule_whose_sink_matches_nothing_is_left_out_with_an_error_at_its_vulnerable_example()
    {
        // The sink's type is misspelt: the vulnerable example is not reported, so the rule would find nothing anywhere.
        var misspelt = TemplateRule.Replace("type: Acme.Templates.Engine,", "type: Acme.Template.Engine,", StringComparison.Ordinal)
            .Replace("id: SFI-CODE-090\nname: TemplateInjection", "id: SFI-CODE-091\nname: MisspeltTemplateInjection", StringComparison.Ordinal);
        var (catalog, problems) = Load(("rules/misspelt.yaml", misspelt), ("rules/template.yaml", TemplateRule));

        var problem = Assert.Single(problems);
        Assert.Equal(CodeRuleCatalog.ExampleFailed, problem.Id);
        Assert.Equal(NotificationLevel.Error, problem.Level);
        Assert.Equal("rules/misspelt.yaml", problem.Path);
        Assert.Equal("SFI-CODE-091", problem.RuleId);
        Assert.Equal(LineOf(misspelt, "  vulnerable:") + 1, problem.Region?.StartLine);
        Assert.Contains("vulnerable example 1 is not reported; the rule is not run", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(catalog.Rules, r => r.Id == "SFI-CODE-091");
        Assert.Contains(catalog.Rules, r => r.Id == "SFI-CODE-090");
    }

    [Fact]
    public void A_rule_that_reports_its_safe_example_is_left_out_with_an_error_at_that_example()
    {
        var flooding = TemplateRule.Replace("Render(\"Hello {{name}}\", new { name })", "Render(name, new { name })", StringComparison.Ordinal);
        var (catalog, problems) = Load(("rules/template.yaml", flooding));

        var problem = Assert.Single(problems);
        Assert.Equal(CodeRuleCatalog.ExampleFailed, problem.Id);
        Assert.Equal(LineOf(flooding, "  safe:") + 1, problem.Region?.StartLine);
        Assert.Contains("safe example 1 is reported", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(catalog.Rules, r => r.Id == "SFI-CODE-090");
        Assert.Equal(CodeRuleCatalog.Default.Rules.Count, catalog.Rules.Count);
    }

    /// <summary>The 1-based line of the first line of <paramref name="yaml"/> that is <paramref name="text"/>.</summary>
    private static int LineOf(string yaml, string text) =>
        yaml.ReplaceLineEndings("\n").Split('\n').Select((l, i) => (l, i + 1)).First(x => x.l == text).Item2;
}
