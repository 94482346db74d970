using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Tm7;

namespace SecureFuture.ThreatModeling.Tests;

/// <summary>
/// The tool stored the threats it generated inside each model. With those threats removed, generating from the
/// embedded template must give exactly the same (rule id, source, flow, target) set.
/// </summary>
public sealed class Tm7ParityTests
{
    public static TheoryData<string> Models => TestFiles.ModelNames();

    [Theory]
    [MemberData(nameof(Models))]
    public void ModelWithoutThreats_RegeneratesExactlyTheToolsThreats(string name)
    {
        var document = Tm7Document.Load(TestFiles.Path(name));
        var stored = document.Threats.Select(t => $"{t.TypeId}@{t.SourceGuid}:{t.FlowGuid}:{t.TargetGuid}").ToHashSet();
        Assert.NotEmpty(stored);

        var emptied = document.WithThreats([]);
        Assert.Empty(emptied.Threats);
        var generated = new ThreatGenerator(emptied.Template!).Generate(emptied.Model)
            .Select(t => t.Key.ToString()).ToHashSet();

        var missing = stored.Except(generated).Order(StringComparer.Ordinal).ToList();
        var extra = generated.Except(stored).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"missing: {string.Join(", ", missing)}\nextra: {string.Join(", ", extra)}");
    }

    [Fact]
    public void ParityCounts_MatchTheReadme()
    {
        Assert.Equal(43, Tm7Document.Load(TestFiles.Path("Complex-Threat-Model_with_security_gateway.tm7")).Threats.Count);
        Assert.Equal(12, Tm7Document.Load(TestFiles.Path("Simple-Threat-Model_with_security_gateway.tm7")).Threats.Count);
        Assert.Equal(10, Tm7Document.Load(TestFiles.Path("Simple-Threat-Model_https.tm7")).Threats.Count);
    }
}

public sealed class Tm7TextParityTests
{
    public static TheoryData<string> Models => TestFiles.ModelNames();

    /// <summary>
    /// The tool renders a threat's texts once, when it generates it; renaming an element later does not update
    /// them (the gateway model's stored titles still say "WA" for the element now called "WAF"). So the stored
    /// title must match the rule's title template with any text in each placeholder, and the category exactly.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedTitlesAndCategories_MatchWhatTheToolStored(string name)
    {
        var document = Tm7Document.Load(TestFiles.Path(name));
        var generated = new ThreatGenerator(document.Template!).Generate(document.Model).ToDictionary(t => t.Key);
        var rules = document.Template!.ThreatTypes.ToDictionary(t => t.Id);

        foreach (var stored in document.Threats)
        {
            var threat = generated[Tm7Threats.KeyOf(stored)];
            var pattern = "^" + System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Escape(rules[stored.TypeId].Title), @"\\\{[^}]*}", ".*") + "$";
            Assert.Matches(pattern, stored.Property("Title"));
            Assert.Matches(pattern, threat.Title);
            Assert.Equal(stored.Property("UserThreatCategory"), threat.Category);
        }
    }

    [Fact]
    public void InAModelNobodyRenamed_TitlesAndDescriptionsAreTheToolsExactly()
    {
        var document = Tm7Document.Load(TestFiles.Path("Simple-Threat-Model_https.tm7"));
        var generated = new ThreatGenerator(document.Template!).Generate(document.Model).ToDictionary(t => t.Key);

        foreach (var stored in document.Threats)
        {
            var threat = generated[Tm7Threats.KeyOf(stored)];
            Assert.Equal(stored.Property("Title"), threat.Title);
            Assert.Equal(stored.Property("UserThreatDescription")?.Trim(), threat.Description.Trim());
        }
    }
}
