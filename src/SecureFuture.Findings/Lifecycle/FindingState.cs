namespace SecureFuture.Findings.Lifecycle;

/// <summary>Where a finding stands. The numeric values are stored; never renumber them.</summary>
public enum FindingState
{
    /// <summary>Reported and not yet resolved (also an accepted risk whose acceptance has expired).</summary>
    Open = 0,

    /// <summary>A later complete analysis of the same project, ref and category no longer reports it.</summary>
    Fixed = 1,

    /// <summary>Fixed, then reported again.</summary>
    Reopened = 2,

    /// <summary>Closed by a person: a false positive, used in tests, or won't fix.</summary>
    Dismissed = 3,

    /// <summary>A risk accepted by an owner until an expiry, after which it is open again.</summary>
    Accepted = 4,
}

/// <summary>Why a finding was dismissed (the reasons GitHub code scanning offers). Stored by value.</summary>
public enum DismissReason
{
    FalsePositive = 0,
    UsedInTests = 1,
    WontFix = 2,
}

public static class FindingStateTokens
{
    public static string ToToken(this FindingState state) => state switch
    {
        FindingState.Open => "open",
        FindingState.Fixed => "fixed",
        FindingState.Reopened => "reopened",
        FindingState.Dismissed => "dismissed",
        FindingState.Accepted => "accepted",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParseState(string? text, out FindingState state)
    {
        foreach (var candidate in Enum.GetValues<FindingState>())
        {
            if (string.Equals(candidate.ToToken(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }

    public static string ToToken(this DismissReason reason) => reason switch
    {
        DismissReason.FalsePositive => "false-positive",
        DismissReason.UsedInTests => "used-in-tests",
        DismissReason.WontFix => "wont-fix",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    public static bool TryParseReason(string? text, out DismissReason reason)
    {
        foreach (var candidate in Enum.GetValues<DismissReason>())
        {
            if (string.Equals(candidate.ToToken(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                reason = candidate;
                return true;
            }
        }

        reason = default;
        return false;
    }

    /// <summary>True for the states a deadline runs against: open and reopened (an expired acceptance reads as open).</summary>
    public static bool IsUnresolved(this FindingState state) => state is FindingState.Open or FindingState.Reopened;
}
