using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// The sample <c>ProviderSettingsExport.json</c> that CISA ships with ScubaGear (RealData/ScubaGear, see its README),
/// read as a user's export, and compared with the verdicts ScubaGear itself gave on it (<c>TestResults.json</c>).
/// </summary>
public sealed partial class ScubaGearSampleTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "RealData", "ScubaGear");

    private static string Export => Path.Combine(Folder, "ProviderSettingsExport.json");

    /// <summary>sfi's verdict per control on the sample, for every control that reads Graph data.</summary>
    public static TheoryData<string, ControlStatus> ExpectedVerdicts => new()
    {
        { "IDN-01", ControlStatus.Pass },
        { "IDN-02", ControlStatus.Pass },
        { "IDN-03", ControlStatus.Fail },
        { "IDN-04", ControlStatus.Fail },
        { "IDN-05", ControlStatus.Pass },
        { "IDN-06", ControlStatus.Fail },
        { "IDN-07", ControlStatus.Pass },
        { "IDN-08", ControlStatus.Fail },
        { "IDN-09", ControlStatus.Pass },
        { "IDN-10", ControlStatus.Pass },
        { "IDN-11", ControlStatus.Pass },
        { "PRV-01", ControlStatus.Pass },
        { "PRV-02", ControlStatus.Pass },
        { "PRV-03", ControlStatus.Fail },
        { "PRV-04", ControlStatus.Fail },
        // Every role keeps PIM's default recipients: alerts are sent (see KnownDifferences).
        { "PRV-05", ControlStatus.Pass },
        // Needs the break-glass accounts of a baseline configuration, which the sample run has none of.
        { "PRV-06", ControlStatus.Unknown },
        { "PRV-07", ControlStatus.Fail },
        { "APP-07", ControlStatus.Fail },
        { "APP-08", ControlStatus.Fail },
        { "APP-09", ControlStatus.Pass },
        { "TEN-01", ControlStatus.Fail },
        { "TEN-02", ControlStatus.Pass },
        { "TEN-03", ControlStatus.Pass },
        { "TEN-05", ControlStatus.Fail },
        { "TEN-06", ControlStatus.Fail },
        // The export holds no userType for privileged users: whether one is a guest is not in the file.
        { "TEN-08", ControlStatus.Unknown },
        { "TEN-10", ControlStatus.Fail },
        // Not in a ScubaGear export: registration details, applications and their credentials (risky_applications
        // lists only the apps ScubaGear finds risky, so it cannot show that the others pass), app role assignments,
        // the B2B and cross-tenant policies, all users.
        { "PRV-11", ControlStatus.Unknown },
        { "APP-01", ControlStatus.Unknown },
        { "APP-02", ControlStatus.Unknown },
        { "APP-03", ControlStatus.Unknown },
        { "APP-04", ControlStatus.Unknown },
        { "APP-05", ControlStatus.Unknown },
        { "APP-06", ControlStatus.Unknown },
        { "APP-10", ControlStatus.Unknown },
        { "APP-11", ControlStatus.Unknown },
        { "TEN-04", ControlStatus.Unknown },
        { "TEN-07", ControlStatus.Unknown },
        { "TEN-09", ControlStatus.Unknown },
    };

    [Fact]
    public void ExpectedVerdicts_CoverEveryControlThatReadsGraphData()
    {
        var graph = ControlCatalogue.Default.Controls.Where(c => c.Formats.Contains("graph")).Select(c => c.Id).Order(StringComparer.Ordinal);
        Assert.Equal(graph, ExpectedVerdicts.Select(row => (string)row[0]).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Controls whose verdict differs from ScubaGear's on the sample, each for a reason written in docs/baseline.md
    /// ("ScubaGear exports"). Empty when sfi and ScubaGear agree on every control both decide.
    /// </summary>
    private static readonly Dictionary<string, string> KnownDifferences = new(StringComparer.Ordinal)
    {
        ["PRV-05"] = "PIM's default recipients (the role's administrators) count as alerting; SCuBA MS.AAD.7.7-7.9 wants an explicit additional recipient",
    };

    [Theory]
    [MemberData(nameof(ExpectedVerdicts))]
    public void RealSample_GivesTheExpectedVerdict_PerControl(string controlId, ControlStatus expected)
    {
        var results = Assess().Where(r => r.ControlId == controlId).ToList();
        Assert.NotEmpty(results);
        Assert.True(expected == Overall(results), $"{controlId}: expected {expected}, got {Overall(results)}\n{Shown(results)}");
    }

    [Fact]
    public void RealSample_AgreesWithScubaGearsOwnVerdicts_OnEveryControlBothDecide()
    {
        var scuba = ScubaGearVerdicts();
        var results = Assess();
        var compared = new Dictionary<string, (ControlStatus Ours, ControlStatus Theirs)>(StringComparer.Ordinal);
        foreach (var control in ControlCatalogue.Default.Controls)
        {
            var decided = control.References.Scuba.SelectMany(ExpandScubaIds).Where(scuba.ContainsKey).ToList();
            if (decided.Count > 0)
            {
                var theirs = decided.All(p => scuba[p]) ? ControlStatus.Pass : ControlStatus.Fail;
                compared[control.Id] = (Overall([.. results.Where(r => r.ControlId == control.Id)]), theirs);
            }
        }

        Assert.Equal(21, compared.Count);
        var disagreements = compared.Where(c => c.Value.Ours != c.Value.Theirs).Select(c => c.Key).ToList();
        // Every difference is one written down with its reason, and every one written down is still a difference.
        Assert.Equal(KnownDifferences.Keys.Order(StringComparer.Ordinal), disagreements.Order(StringComparer.Ordinal));
        Assert.Equal(20, compared.Count(c => c.Value.Ours == c.Value.Theirs));
    }

    [Fact]
    public async Task RealSample_StreamedAsTheCommandLineReadsIt_GivesTheSameVerdicts()
    {
        // sfi baseline assess reads files through the streaming path, which keeps only the types evaluators declare.
        var streamed = await new BaselineAssessor(timeProvider: TestSupport.Clock()).AssessAsync([Export]);
        var whole = Assess();
        foreach (var (controlId, _) in ExpectedVerdicts.Select(row => ((string)row[0], row[1])))
        {
            Assert.Equal(Overall([.. whole.Where(r => r.ControlId == controlId)]), Overall([.. streamed.Results.Where(r => r.ControlId == controlId)]));
        }
    }

    [Fact]
    public void ScubaGearVerdicts_AreReadFromItsResultsFile()
    {
        // The comparison above is only as good as this reading of ScubaGear's own results.
        var scuba = ScubaGearVerdicts();
        Assert.True(scuba["MS.AAD.7.1v1"]);
        Assert.False(scuba["MS.AAD.7.4v1"]);
        Assert.False(scuba.ContainsKey("MS.AAD.4.1v1"), "a policy ScubaGear does not implement decides nothing");
        Assert.Equal(["MS.AAD.7.7v1", "MS.AAD.7.8v1", "MS.AAD.7.9v1"], ExpandScubaIds("MS.AAD.7.7v1\u20137.9v1"));
    }

    /// <summary>The sample is assessed once for all the tests here (the results are immutable records).</summary>
    private static readonly Lazy<IReadOnlyList<ControlResult>> SampleResults = new(() => TestSupport.Assess(TestSupport.Snapshot(Export)).Results);

    private static IReadOnlyList<ControlResult> Assess() => SampleResults.Value;

    /// <summary>One verdict per control: any fail fails it; it passes when something passes and nothing is unknown.</summary>
    internal static ControlStatus Overall(IReadOnlyList<ControlResult> results) =>
        results.Any(r => r.Status == ControlStatus.Fail) ? ControlStatus.Fail
        : results.Any(r => r.Status is ControlStatus.Unknown or ControlStatus.Error) ? ControlStatus.Unknown
        : results.Any(r => r.Status == ControlStatus.Pass) ? ControlStatus.Pass
        : ControlStatus.NotApplicable;

    private static string Shown(IEnumerable<ControlResult> results) =>
        string.Join("\n", results.Select(r => $"  {r.Status} {r.Resource}: {r.Evidence}"));

    /// <summary>ScubaGear's decided AAD policies (RequirementMet), leaving out those it does not implement.</summary>
    private static Dictionary<string, bool> ScubaGearVerdicts()
    {
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "TestResults.json")))!.AsArray();
        return results.OfType<JsonObject>()
            .Where(r => ((string?)r["PolicyId"])?.StartsWith("MS.AAD.", StringComparison.Ordinal) == true)
            .Where(r => !((string?)r["Criticality"] ?? string.Empty).Contains("Not-Implemented", StringComparison.Ordinal)
                        && !((string?)r["Criticality"] ?? string.Empty).Contains("3rd Party", StringComparison.Ordinal))
            .ToDictionary(r => (string)r["PolicyId"]!, r => (bool)r["RequirementMet"]!, StringComparer.Ordinal);
    }

    /// <summary>"MS.AAD.7.7v1–7.9v1" is three policies.</summary>
    private static IEnumerable<string> ExpandScubaIds(string reference)
    {
        var range = ScubaRange().Match(reference);
        if (!range.Success)
        {
            return [reference];
        }

        var (major, from, to) = (range.Groups[1].Value, int.Parse(range.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(range.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture));
        return Enumerable.Range(from, to - from + 1).Select(minor => $"MS.AAD.{major}.{minor}{range.Groups[3].Value}");
    }

    [GeneratedRegex(@"^MS\.AAD\.(\d+)\.(\d+)(v\d+)[\u2013-]\1\.(\d+)\3$")]
    private static partial Regex ScubaRange();
}
