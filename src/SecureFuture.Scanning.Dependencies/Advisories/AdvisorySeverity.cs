using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Cvss;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>How severe an advisory is, and where that came from.</summary>
/// <param name="Score">The CVSS base score computed from <paramref name="Vector"/>; null when the rating came from elsewhere.</param>
/// <param name="Source"><c>CVSS 4.0</c>, <c>CVSS 3.1</c>, <c>CVSS 3.0</c>, <c>database</c> (the record's own rating) or <c>unrated</c>.</param>
public sealed record AdvisorySeverity(Severity Level, double? Score, string? Vector, string Source)
{
    /// <summary>
    /// An advisory with no usable vector and no rating of its own is treated as high: a known vulnerability that nobody
    /// rated is not assumed to be minor, so a <c>--fail-on high</c> gate does not pass over it.
    /// </summary>
    public static AdvisorySeverity Unrated { get; } = new(Severity.High, null, null, "unrated");

    /// <summary>
    /// The severity of a record: the score computed from its newest CVSS vector (v4.0 over v3.x), otherwise the
    /// database's own rating (GitHub's database_specific.severity: LOW, MODERATE, HIGH, CRITICAL), otherwise
    /// <see cref="Unrated"/>. A vector that does not parse is skipped (and the next source used), never guessed at.
    /// </summary>
    public static AdvisorySeverity Of(OsvRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        foreach (var vector in record.Severity.Where(s => s.Type is "CVSS_V4" or "CVSS_V3").OrderByDescending(s => s.Type, StringComparer.Ordinal).Select(s => s.Score))
        {
            if (CvssScore.TryCompute(vector, out var score, out _))
            {
                return new AdvisorySeverity(score.Severity, score.BaseScore, vector, $"CVSS {score.Version}");
            }
        }

        return record.DatabaseSeverity?.ToUpperInvariant() switch
        {
            "CRITICAL" => new(Severity.Critical, null, null, "database"),
            "HIGH" => new(Severity.High, null, null, "database"),
            "MODERATE" or "MEDIUM" => new(Severity.Medium, null, null, "database"),
            "LOW" => new(Severity.Low, null, null, "database"),
            _ => Unrated,
        };
    }

    /// <summary>
    /// The severity of one vulnerability that several records describe (a PYSEC and a GHSA record of one CVE): a score
    /// computed from a vector outranks a database's own rating, which outranks none; among equals, the most severe.
    /// An unrated PyPA record does not make GitHub's rated record of the same CVE high.
    /// </summary>
    public static AdvisorySeverity Combine(IEnumerable<AdvisorySeverity> severities)
    {
        ArgumentNullException.ThrowIfNull(severities);
        var all = severities.ToList();
        var best = all.Where(s => s.Score is not null).ToList() is { Count: > 0 } scored ? scored
            : all.Where(s => s != Unrated).ToList() is { Count: > 0 } rated ? rated
            : [Unrated];
        return best.Aggregate(Max);
    }

    /// <summary>The more severe of two (the higher level, then the higher score).</summary>
    public static AdvisorySeverity Max(AdvisorySeverity a, AdvisorySeverity b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Level != b.Level ? (a.Level > b.Level ? a : b) : (b.Score ?? -1) > (a.Score ?? -1) ? b : a;
    }
}
