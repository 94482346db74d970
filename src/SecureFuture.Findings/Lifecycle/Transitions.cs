namespace SecureFuture.Findings.Lifecycle;

/// <summary>
/// The lifecycle rules, in one place. A finding reported by an analysis is <c>open</c> when first seen; a later
/// complete analysis of the same project, ref and category that lacks it makes it <c>fixed</c> (at that analysis's
/// time); reported again after that, it is <c>reopened</c>. People dismiss (with a reason) or accept (with an owner
/// and an expiry) a finding; an acceptance that has expired reads, and is then recorded, as <c>open</c>.
/// </summary>
public static class Transitions
{
    /// <summary>The history action names, as stored and shown.</summary>
    public static class Actions
    {
        public const string Opened = "opened";
        public const string Fixed = "fixed";
        public const string Reopened = "reopened";
        public const string Dismissed = "dismissed";
        public const string Accepted = "accepted";
        public const string AcceptanceExpired = "acceptance-expired";
        public const string ReopenedByUser = "reopened-by-user";
    }

    /// <summary>The state after an analysis reports a finding that is in <paramref name="current"/>, or null when it stays.</summary>
    public static FindingState? OnReported(FindingState current)
        // A dismissal or acceptance is a person's decision about this finding; seeing it again changes nothing.
        => current == FindingState.Fixed ? FindingState.Reopened : null;

    /// <summary>
    /// The state after a complete analysis lacks a finding that is in <paramref name="current"/>, or null when it stays.
    /// An accepted risk that goes away was mitigated; a dismissed finding that goes away stays dismissed (a false positive
    /// disappearing is not a fix, and must not count towards time to mitigate).
    /// </summary>
    public static FindingState? OnMissingFromCompleteAnalysis(FindingState current)
        => current is FindingState.Open or FindingState.Reopened or FindingState.Accepted ? FindingState.Fixed : null;

    /// <summary>The state a finding reads as at <paramref name="now"/>: an acceptance past its expiry is open again.</summary>
    public static FindingState Effective(FindingState stored, DateTimeOffset? acceptedUntil, DateTimeOffset now)
        => stored == FindingState.Accepted && acceptedUntil is { } until && until <= now ? FindingState.Open : stored;

    /// <summary>Whether a person may dismiss or accept a finding in <paramref name="current"/> (a fixed one has nothing left to decide).</summary>
    public static bool CanDecide(FindingState current) => current != FindingState.Fixed;

    /// <summary>Whether a person may reopen a finding in <paramref name="current"/>: undoing a dismissal or an acceptance.</summary>
    public static bool CanReopen(FindingState current) => current is FindingState.Dismissed or FindingState.Accepted;
}
