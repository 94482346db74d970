using SecureFuture.Core;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Sla;

/// <summary>
/// How long a finding may stay unresolved: a window per severity (defaults: critical 7 days, high 30, medium 90,
/// low 180; notes have no deadline), optionally overridden per project criticality, and a shorter window for a finding
/// whose CVE is known to be exploited (see <see cref="Deadlines"/> for the KEV rule).
/// </summary>
public sealed record SlaPolicy
{
    public static SlaPolicy Default { get; } = new();

    /// <summary>The window per severity, for every criticality without an override.</summary>
    public IReadOnlyDictionary<Severity, TimeSpan> Windows { get; init; } = new Dictionary<Severity, TimeSpan>
    {
        [Severity.Critical] = TimeSpan.FromDays(7),
        [Severity.High] = TimeSpan.FromDays(30),
        [Severity.Medium] = TimeSpan.FromDays(90),
        [Severity.Low] = TimeSpan.FromDays(180),
    };

    /// <summary>Windows for a project criticality that differ from <see cref="Windows"/> (e.g. critical products: high in 14 days).</summary>
    public IReadOnlyDictionary<(Criticality Criticality, Severity Severity), TimeSpan> Overrides { get; init; } =
        new Dictionary<(Criticality, Severity), TimeSpan>();

    /// <summary>The longest a finding with a known-exploited CVE may stay unresolved, whatever its severity.</summary>
    public TimeSpan KevWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The window for a severity in a project of a criticality, or null when there is no deadline.</summary>
    public TimeSpan? Window(Severity severity, Criticality criticality)
        => Overrides.TryGetValue((criticality, severity), out var specific) ? specific
            : Windows.TryGetValue(severity, out var window) ? window
            : null;
}
