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
