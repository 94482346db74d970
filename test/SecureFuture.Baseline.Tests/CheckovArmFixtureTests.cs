using System.Globalization;
using SecureFuture.Baseline.Input;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// A peer's own test suite as a yardstick: ARM templates from Checkov's ARM check fixtures (PeerData/CheckovArm,
/// Apache-2.0, see the README there), each assessed alone as <c>sfi baseline assess FILE</c> would, against
/// Checkov's verdicts corrected where the Azure documentation decides otherwise (expectations.tsv says why).
/// </summary>
public sealed class CheckovArmFixtureTests
{
    private static string Root => Path.Combine(AppContext.BaseDirectory, "PeerData", "CheckovArm");

    private sealed record Expectation(string File, string Control, string Resource, string Expected, string? Reason);

    private static List<Expectation> Expectations() =>
    [
        .. File.ReadAllLines(Path.Combine(Root, "expectations.tsv"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split('\t'))
            .Select(f => new Expectation(f[0], f[1], f[2], f[3], f.Length > 4 ? f[4] : null)),
    ];

    [Fact]
    public async Task CheckovArmFixtures_EveryVerdictAgrees_WithTheCorrectedExpectations()
    {
        var expectations = Expectations();
        var disagreements = new List<string>();
        foreach (var file in expectations.GroupBy(e => e.File))
        {
            var snapshot = await SnapshotReader.ReadAsync([Path.Combine(Root, file.Key)]);
            var controls = file.Select(e => e.Control).ToHashSet(StringComparer.Ordinal);
            var results = TestSupport.Assess(snapshot, controls: [.. controls]).Results;
            foreach (var group in file.GroupBy(e => (e.Control, e.Resource)))
            {
                // Two resources may share a name as written (a template of two NSGs named by one variable): in order.
                var actual = results.Where(r => r.ControlId == group.Key.Control && string.Equals($"{r.Resource.Type.TrimEnd('/')}/{r.Resource.Name}", group.Key.Resource, StringComparison.OrdinalIgnoreCase))
                    .OrderBy(r => r.Resource.Source?.Line ?? 0).ToList();
                var i = 0;
                foreach (var expected in group)
                {
                    var status = i < actual.Count ? actual[i].Status.ToString().ToLowerInvariant() : "no result";
                    if (status != expected.Expected)
                    {
                        disagreements.Add($"{expected.File} {expected.Control} {expected.Resource}: expected {expected.Expected}, sfi says {status}{(i < actual.Count ? $" ({actual[i].Evidence})" : string.Empty)}");
                    }

                    i++;
                }
            }
        }

        var agreed = expectations.Count - disagreements.Count;
        Assert.True(disagreements.Count == 0, string.Create(CultureInfo.InvariantCulture,
            $"sfi agrees on {agreed} of {expectations.Count} verdicts ({expectations.Select(e => e.File.Split('/')[0]).Distinct().Count()} fixtures); disagreements:\n{string.Join('\n', disagreements)}"));
    }

    [Fact]
    public void CheckovArmFixtures_EveryCorrectionGivesItsReason()
    {
        // A correction of Checkov's verdict is a claim about Azure: it must say which documentation decides it.
        foreach (var e in Expectations())
        {
            Assert.Contains(e.Expected, new[] { "pass", "fail", "unknown", "notapplicable" });
            if (e.Reason is not null)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Reason), $"{e.File} {e.Resource}: empty reason");
            }
        }
    }
}
