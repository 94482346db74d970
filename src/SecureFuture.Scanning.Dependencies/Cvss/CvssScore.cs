using System.Diagnostics.CodeAnalysis;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Cvss;

/// <summary>A CVSS base score computed from a vector (never taken from a database's own number).</summary>
/// <param name="Version">"3.0", "3.1" or "4.0".</param>
public sealed record CvssScore(string Version, double BaseScore, string Vector)
{
    /// <summary>
    /// The qualitative rating (CVSS v3.1 §5 and v4.0 §6: None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9,
    /// Critical 9.0-10.0) as a finding severity; None is a note.
    /// </summary>
    public Severity Severity => BaseScore switch
    {
        >= 9.0 => Severity.Critical,
        >= 7.0 => Severity.High,
        >= 4.0 => Severity.Medium,
        > 0.0 => Severity.Low,
        _ => Severity.Note,
    };

    /// <summary>Computes the base score of a <c>CVSS:3.0/</c>, <c>CVSS:3.1/</c> or <c>CVSS:4.0/</c> vector.</summary>
    public static bool TryCompute(string vector, [NotNullWhen(true)] out CvssScore? score, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (vector.StartsWith("CVSS:3.0/", StringComparison.Ordinal) || vector.StartsWith("CVSS:3.1/", StringComparison.Ordinal))
        {
            return CvssV3.TryCompute(vector, out score, out error);
        }

        if (vector.StartsWith("CVSS:4.0/", StringComparison.Ordinal))
        {
            return CvssV4.TryCompute(vector, out score, out error);
        }

        score = null;
        error = $"'{vector}' is not a CVSS v3.0, v3.1 or v4.0 vector";
        return false;
    }

    /// <summary>
    /// Splits <c>PREFIX/M:V/M:V...</c> into metrics, each at most once and each value among <paramref name="allowed"/>;
    /// <paramref name="required"/> metrics must all be present.
    /// </summary>
    internal static bool TryMetrics(string vector, IReadOnlyDictionary<string, string> allowed, IEnumerable<string> required, [NotNullWhen(true)] out Dictionary<string, char>? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        var metrics = new Dictionary<string, char>(StringComparer.Ordinal);
        foreach (var part in vector.Split('/').Skip(1))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon != part.Length - 2 || !allowed.TryGetValue(part[..colon], out var values) || !values.Contains(part[^1], StringComparison.Ordinal))
            {
                error = $"'{vector}': '{part}' is not a metric of this CVSS version";
                return false;
            }

            if (!metrics.TryAdd(part[..colon], part[^1]))
            {
                error = $"'{vector}': metric {part[..colon]} appears twice";
                return false;
            }
        }

        if (required.FirstOrDefault(r => !metrics.ContainsKey(r)) is { } missing)
        {
            error = $"'{vector}': the base metric {missing} is missing";
            return false;
        }

        error = null;
        result = metrics;
        return true;
    }
}
