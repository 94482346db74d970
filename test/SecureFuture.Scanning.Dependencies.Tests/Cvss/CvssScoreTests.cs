using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Cvss;

namespace SecureFuture.Scanning.Dependencies.Tests.Cvss;

public class CvssScoreTests
{
    // Scores as FIRST's CVSS v4.0 calculator (the specification's reference implementation) prints them. These and
    // 1,700 more were checked during development against the published vector/score lists of the Red Hat cvss library.
    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L", 9.2)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N", 6.9)]
    [InlineData("CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:P/VC:H/VI:L/VA:H/SC:L/SI:L/SA:L", 5.3)]
    [InlineData("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:L/SI:H/SA:N", 9.0)]
    [InlineData("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:P/VC:L/VI:L/VA:L/SC:L/SI:H/SA:H", 2.3)]
    [InlineData("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:L/SA:L", 7.2)]
    [InlineData("CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:A/VC:L/VI:N/VA:N/SC:H/SI:N/SA:N", 1.8)]
    [InlineData("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:A/VC:H/VI:N/VA:N/SC:L/SI:N/SA:N", 4.1)]
    // Supplemental metrics (U takes words) never change the score; no impact at all is 0.0.
    [InlineData("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:P/AU:Y/R:A/V:C/RE:M/U:Clear", 7.3)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/CR:H/IR:H/AR:H", 0.0)]
    public void Cvss40_scores_match_the_reference_calculator(string vector, double expected)
    {
        Assert.True(CvssScore.TryCompute(vector, out var score, out var problem), problem);
        Assert.Equal(expected, score.BaseScore);
        Assert.Equal("4.0", score.Version);
    }

    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", 7.3)]
    [InlineData("CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N", 1.7)]
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:L/A:N", 4.0)]
    [InlineData("CVSS:3.1/AV:A/AC:L/PR:H/UI:N/S:C/C:L/I:N/A:H", 6.9)]
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:H/I:N/A:H", 6.6)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0)]
    [InlineData("CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.5)]
    public void Cvss3_scores_match_the_specification_formula(string vector, double expected)
    {
        Assert.True(CvssScore.TryCompute(vector, out var score, out var problem), problem);
        Assert.Equal(expected, score.BaseScore);
    }

    [Theory]
    [InlineData("")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")] // A missing
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L")] // twice
    [InlineData("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")] // not a value of AV
    [InlineData("CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")] // AT missing
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N")] // S only in MSI
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P/A:P")] // CVSS v2
    public void A_malformed_vector_is_refused_with_a_reason(string vector)
    {
        Assert.False(CvssScore.TryCompute(vector, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Theory]
    [InlineData(9.0, Severity.Critical)]
    [InlineData(8.9, Severity.High)]
    [InlineData(7.0, Severity.High)]
    [InlineData(6.9, Severity.Medium)]
    [InlineData(4.0, Severity.Medium)]
    [InlineData(3.9, Severity.Low)]
    [InlineData(0.1, Severity.Low)]
    [InlineData(0.0, Severity.Note)]
    public void Ratings_follow_the_specification_bands(double score, Severity expected) =>
        Assert.Equal(expected, new CvssScore("3.1", score, "").Severity);

    /// <summary>
    /// GitHub rates each advisory from its CVSS vector (database_specific.severity, MODERATE for Medium): for every GHSA
    /// record in the test data whose newest vector scores, the rating computed here must be GitHub's.
    /// </summary>
    [Fact]
    public void Ratings_computed_from_ghsa_vectors_agree_with_the_records_own_severity()
    {
        var checkedRecords = 0;
        foreach (var file in Directory.EnumerateFiles(TestData.Ghsa, "*.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = doc.RootElement;
            if (!root.TryGetProperty("severity", out var severities) || severities.GetArrayLength() == 0)
            {
                continue;
            }

            var vector = severities.EnumerateArray().Select(s => s.GetProperty("score").GetString()!).OrderByDescending(v => v, StringComparer.Ordinal).First();
            if (!CvssScore.TryCompute(vector, out var score, out _))
            {
                continue;
            }

            var github = root.GetProperty("database_specific").GetProperty("severity").GetString() switch
            {
                "CRITICAL" => Severity.Critical,
                "HIGH" => Severity.High,
                "MODERATE" => Severity.Medium,
                "LOW" => Severity.Low,
                var other => throw new InvalidDataException(other),
            };
            Assert.True(github == score.Severity, $"{Path.GetFileName(file)}: {vector} scores {score.BaseScore} ({score.Severity}), GitHub says {github}");
            checkedRecords++;
        }

        Assert.True(checkedRecords >= 40, $"only {checkedRecords} records checked");
    }
}
