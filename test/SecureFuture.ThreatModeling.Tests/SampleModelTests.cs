using SecureFuture.ThreatModeling.Diagrams;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class SampleModelTests
{
    [Fact]
    public void PaymentsModel_LoadsFromFile_AndGeneratesTheExpectedThreats()
    {
        var loaded = ThreatAnalyzer.Load(TestFiles.Path("models/payments.yaml"));
        Assert.Same(RuleCatalogue.Default.Template, loaded.Template);
        Assert.Empty(ModelValidator.Validate(loaded.Model, loaded.Template));

        var result = ThreatAnalyzer.Analyze(loaded.Model, loaded.Template);
        var keys = result.Current.Select(t => $"{t.RuleId}@{t.Key.Interaction}").ToHashSet();

        // Threats the model leaves open.
        Assert.Contains("SFTM-T-011@browser:f-chat:assistant", keys);
        Assert.Contains("SFTM-D-003@browser:f-chat:assistant", keys);
        Assert.Contains("SFTM-T-012@docs:f-retrieve:assistant", keys);
        Assert.Contains("SFTM-E-003@assistant:f-tool:api", keys);
        Assert.Contains("SFTM-I-013@queue:f-dequeue:worker", keys);
        Assert.Contains("SFTM-T-016@queue:f-dequeue:worker", keys);
        Assert.Contains("SFTM-R-005@repo:f-build:pipeline", keys);

        // Mitigations the model declares keep rules quiet.
        Assert.DoesNotContain(keys, k => k.StartsWith("SFTM-S-002@", StringComparison.Ordinal)); // the IdP requires MFA
        Assert.DoesNotContain("SFTM-D-002@browser:f-login:idp", keys); // lockout
        Assert.DoesNotContain("SFTM-T-009@repo:f-build:pipeline", keys); // branch protection
        Assert.DoesNotContain("SFTM-T-010@pipeline:f-deploy:api", keys); // OIDC deployment
        Assert.DoesNotContain(keys, k => k.StartsWith("SFTM-T-001@", StringComparison.Ordinal)); // everything encrypted
        Assert.DoesNotContain(keys, k => k.StartsWith("SFTM-D-001@", StringComparison.Ordinal)); // the API is not internet-facing

        // The API now declares parameterised queries, so the SQL-injection threat recorded as mitigated is resolved.
        var resolved = Assert.Single(result.Resolved);
        Assert.Equal("SFTM-T-002@api:f-sql:db", $"{resolved.RuleId}@{resolved.Key.Interaction}");
        Assert.Equal(ThreatState.Mitigated, resolved.State);
        Assert.DoesNotContain(result.Current, t => t.RuleId == "SFTM-T-002");

        var svg = SvgDiagramWriter.Write(loaded.Model);
        Assert.Equal(svg, SvgDiagramWriter.Write(ThreatAnalyzer.Load(TestFiles.Path("models/payments.yaml")).Model));
    }
}

public sealed class LoaderTests
{
    [Theory]
    [InlineData("model.txt", "file not found")]
    [InlineData("missing.yaml", "file not found")]
    [InlineData("missing.tm7", "file not found")]
    [InlineData("missing.json", "file not found")]
    public void Load_RefusesUnknownFormatsAndMissingFiles_AsInputErrors(string name, string message)
    {
        var e = Assert.Throws<Core.InputException>(() => ThreatAnalyzer.Load(Path.Combine(AppContext.BaseDirectory, "TestData", "nowhere", name)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OfADirectoryOrAFileOfAnotherKind_SaysWhatToGive()
    {
        var dir = Directory.CreateTempSubdirectory("sfi-tm-load-").FullName;
        try
        {
            var e = Assert.Throws<Core.InputException>(() => ThreatAnalyzer.Load(dir));
            Assert.Contains("is a directory, not a regular file", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("''", e.Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(dir, "model.txt"), "x");
            Assert.Contains("unknown model format '.txt'", Assert.Throws<Core.InputException>(() => ThreatAnalyzer.Load(Path.Combine(dir, "model.txt"))).Message, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "Makefile"), "x");
            Assert.Contains("no file extension to tell the model format", Assert.Throws<Core.InputException>(() => ThreatAnalyzer.Load(Path.Combine(dir, "Makefile"))).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void NestedBoundaries_AreFlattened_AndCyclesEnd()
    {
        var a = new TrustBoundary { Id = "a", TypeId = "GE.TB.B", Name = "a", Shape = BoundaryShape.Border, Members = ["x", "b"] };
        var b = new TrustBoundary { Id = "b", TypeId = "GE.TB.B", Name = "b", Shape = BoundaryShape.Border, Members = ["y", "a"] };

        Assert.Equal(["x", "y"], BoundaryCrossing.FlattenMembers(a, [a, b]));
    }
}
