namespace SecureFuture.Findings.Store;

/// <summary>How much a project matters to the organisation; with a finding's severity it sets the deadline.</summary>
public enum Criticality
{
    Low = 0,
    Medium = 1,
    High = 2,
    Critical = 3,
}

/// <summary>
/// A repository or product registered in the hub. <paramref name="ExpectedCategories"/> are the analysis categories
/// (<c>secrets</c>, <c>code</c>, <c>iac</c>, <c>dependencies</c>, ...) that must report for the project to count as covered.
/// </summary>
public sealed record Project(string Id, string? Owner, Criticality Criticality, IReadOnlyList<string> ExpectedCategories)
{
    /// <summary>Project ids: 1-100 characters of letters, digits, '.', '_', '-' and '/', starting with a letter or digit.</summary>
    public static bool IsValidId(string? id)
        => id is { Length: > 0 and <= 100 } && char.IsAsciiLetterOrDigit(id[0])
           && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/');
}

public static class CriticalityTokens
{
    public static string ToToken(this Criticality criticality) => criticality switch
    {
        Criticality.Low => "low",
        Criticality.Medium => "medium",
        Criticality.High => "high",
        Criticality.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(criticality), criticality, null),
    };

    public static bool TryParseCriticality(string? text, out Criticality criticality)
    {
        foreach (var candidate in Enum.GetValues<Criticality>())
        {
            if (string.Equals(candidate.ToToken(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                criticality = candidate;
                return true;
            }
        }

        criticality = default;
        return false;
    }
}
