using SecureFuture.Core;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Sla;

/// <summary>A finding's deadline and whether one of its CVEs is known to be exploited.</summary>
public readonly record struct Deadline(DateTimeOffset? DueAt, bool Kev);

/// <summary>
/// The one place a finding's due date is decided.
/// <para>
/// The deadline runs from when the finding was (last) opened: first seen, or reopened. Its length is the policy's window
/// for the finding's severity and its project's criticality. KEV rule: a finding whose CVEs include one in the loaded
/// catalogue is <c>kev</c>, and its deadline is the earliest of (1) the severity window, (2) <see cref="SlaPolicy.KevWindow"/>
/// (7 days by default) from when it was opened, whatever its severity — a note or low finding gets a deadline too — and
/// (3) CISA's own due date for that CVE (end of that day, UTC), but only when that date is after the finding was
/// opened: a catalogue date that had already passed when the hub first saw the finding would make it overdue on
/// arrival, which tells nobody anything the KEV window does not.
/// </para>
/// </summary>
public static class Deadlines
{
    public static Deadline For(Severity severity, Criticality criticality, IReadOnlyList<string> cves, DateTimeOffset openedAt, SlaPolicy policy, KevCatalog kev)
    {
        ArgumentNullException.ThrowIfNull(cves);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(kev);
        var due = policy.Window(severity, criticality) is { } window ? openedAt + window : (DateTimeOffset?)null;
        var isKev = false;
        foreach (var cve in cves)
        {
            if (!kev.Contains(cve))
            {
                continue;
            }

            isKev = true;
            due = Earliest(due, openedAt + policy.KevWindow);
            if (kev.DueDate(cve) is { } cisa)
            {
                var endOfDay = new DateTimeOffset(cisa.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1);
                if (endOfDay > openedAt)
                {
                    due = Earliest(due, endOfDay);
                }
            }
        }

        return new Deadline(due, isKev);
    }

    private static DateTimeOffset Earliest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
