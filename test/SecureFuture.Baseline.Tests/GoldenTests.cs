namespace SecureFuture.Baseline.Tests;

/// <summary>
/// Every control's own examples: TestData/&lt;ControlId&gt;/pass.&lt;format&gt;.json must pass and fail.&lt;format&gt;.json must
/// fail, read through the same shape recognition as real inputs. To add a case, drop a file in the folder.
/// </summary>
public sealed class GoldenTests
{
    /// <summary>Controls without an evaluator yet: they must report unknown, and are listed here so that the gap is explicit.</summary>
    public static readonly string[] NotYetEvaluated = [];

    /// <summary>The golden tenant has one break-glass account, excluded from its CA policies.</summary>
    private static readonly BaselineConfiguration GoldenConfiguration = BaselineConfiguration.Load(Path.Combine(TestSupport.TestData, "baseline.yaml"));

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.GetDirectories(TestSupport.TestData).Order(StringComparer.Ordinal))
        {
            // A case is one file, or a folder of files that belong together (role assignments + users).
            foreach (var entry in Directory.GetFiles(dir, "*.json").Concat(Directory.GetDirectories(dir)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(dir), Path.GetFileName(entry));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Control_GivesTheExpectedVerdict_OnItsGoldenFile(string controlId, string file)
    {
        var path = Path.Combine(TestSupport.TestData, controlId, file);
        var snapshot = TestSupport.Snapshot(Directory.Exists(path) ? Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal).ToArray() : [path]);
        var results = TestSupport.Assess(snapshot, GoldenConfiguration, controls: controlId).Results;
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal(controlId, r.ControlId));
        var shown = string.Join("\n", results.Select(r => $"{r.Status} {r.Resource}: {r.Evidence}"));
        if (file.StartsWith("pass.", StringComparison.Ordinal))
        {
            Assert.True(results.All(r => r.Status is ControlStatus.Pass or ControlStatus.NotApplicable) && results.Any(r => r.Status == ControlStatus.Pass), shown);
        }
        else
        {
            Assert.StartsWith("fail.", file, StringComparison.Ordinal);
            Assert.True(results.Any(r => r.Status == ControlStatus.Fail), shown);
            Assert.All(results.Where(r => r.Status == ControlStatus.Fail), r => Assert.False(string.IsNullOrWhiteSpace(r.Evidence)));
        }
    }

    [Fact]
    public void EveryEvaluatedControl_HasPassAndFailCases_ForEachFormatItReads()
    {
        var missing = new List<string>();
        foreach (var control in ControlCatalogue.Default.Controls)
        {
            if (NotYetEvaluated.Contains(control.Id))
            {
                Assert.False(EvaluatorRegistry.IsEvaluated(control.Id), $"{control.Id} is evaluated now: remove it from NotYetEvaluated and add its cases");
                continue;
            }

            Assert.True(EvaluatorRegistry.IsEvaluated(control.Id), $"{control.Id} has no evaluator and is not listed as not yet evaluated");
            var dir = Path.Combine(TestSupport.TestData, control.Id);
            foreach (var format in control.Formats)
            {
                foreach (var kind in new[] { "pass", "fail" })
                {
                    if (!File.Exists(Path.Combine(dir, $"{kind}.{format}.json")) && !Directory.Exists(Path.Combine(dir, $"{kind}.{format}")))
                    {
                        missing.Add($"{control.Id}/{kind}.{format}.json");
                    }
                }
            }
        }

        Assert.Empty(missing);
        Assert.Equal(99, ControlCatalogue.Default.Controls.Count(c => EvaluatorRegistry.IsEvaluated(c.Id)) + NotYetEvaluated.Length);
    }

    [Fact]
    public void ControlWithoutAnEvaluator_ReportsUnknown_NeverPass()
    {
        var evaluators = EvaluatorRegistry.ByControlId.Where(p => p.Key != ControlIds.Sto01).ToDictionary();
        var snapshot = TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-01", "pass.arm.json"));
        var results = new BaselineAssessor(timeProvider: TestSupport.Clock()) { Evaluators = evaluators }.Assess(snapshot, new HashSet<string> { ControlIds.Sto01 }).Results;
        var result = Assert.Single(results);
        Assert.Equal(ControlStatus.Unknown, result.Status);
        Assert.Contains("not evaluated", result.Evidence, StringComparison.Ordinal);
    }
}
