using SecureFuture.Core;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Sla;

/// <summary>
/// The SLA policy as <c>sfi serve</c> takes it on its command line (docs/findings-hub.md):
/// <c>--sla critical=P7D,high=P30D</c> (windows per severity; <c>none</c> for no deadline), <c>--sla-for
/// critical:high=P14D</c> (a window for one project criticality and severity) and <c>--kev-window P3D</c>. Whatever is
/// not given keeps its default. A value that is not understood is refused with a message naming it.
/// </summary>
public static class SlaPolicyOptions
{
    /// <summary>Applies the three options (each null when not given) to <paramref name="policy"/>.</summary>
    /// <exception cref="FormatException">A value is not understood; the message names it (without the option's name).</exception>
    public static SlaPolicy Apply(SlaPolicy policy, string? windows, string? perCriticality, string? kevWindow)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (windows is not null)
        {
            var merged = new Dictionary<Severity, TimeSpan>(policy.Windows);
            foreach (var (key, window) in Pairs(windows))
            {
                var severity = ParseSeverity(key);
                if (window is { } w)
                {
                    merged[severity] = w;
                }
                else
                {
                    merged.Remove(severity);
                }
            }

            policy = policy with { Windows = merged };
        }

        if (perCriticality is not null)
        {
            var overrides = new Dictionary<(Criticality, Severity), TimeSpan>(policy.Overrides);
            foreach (var (key, window) in Pairs(perCriticality))
            {
                var parts = key.Split(':');
                if (parts.Length != 2 || !CriticalityTokens.TryParseCriticality(parts[0], out var criticality))
                {
                    throw new FormatException($"'{key}' is not CRITICALITY:SEVERITY (criticality one of low, medium, high, critical)");
                }

                // "none" here means no override: the severity's window applies.
                var severity = ParseSeverity(parts[1]);
                if (window is { } w)
                {
                    overrides[(criticality, severity)] = w;
                }
                else
                {
                    overrides.Remove((criticality, severity));
                }
            }

            policy = policy with { Overrides = overrides };
        }

        if (kevWindow is not null)
        {
            policy = policy with { KevWindow = ParseWindow(kevWindow) ?? throw new FormatException("'none': known-exploited findings always have a deadline") };
        }

        return policy;
    }

    private static IEnumerable<(string Key, TimeSpan? Window)> Pairs(string list)
    {
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"'{item}' is not KEY=DURATION (an ISO 8601 duration such as P30D, or none)");
            }

            yield return (item[..equals].Trim(), ParseWindow(item[(equals + 1)..].Trim()));
        }
    }

    private static Severity ParseSeverity(string text)
        => SeverityExtensions.TryParseSeverity(text, out var severity) ? severity : throw new FormatException($"'{text}' is not a severity (critical, high, medium, low, note)");

    private static TimeSpan? ParseWindow(string text)
    {
        if (text == "none")
        {
            return null;
        }

        if (!IsoDuration.TryParse(text, out var window, out var error))
        {
            throw new FormatException(error);
        }

        return window > TimeSpan.Zero && window <= TimeSpan.FromDays(3650)
            ? window
            : throw new FormatException($"'{text}': a deadline window is longer than nothing and at most P3650D");
    }
}
