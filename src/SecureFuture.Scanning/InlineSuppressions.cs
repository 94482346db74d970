using System.Globalization;
using System.Text.RegularExpressions;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// Inline suppressions: a comment <c>sfi:ignore SFI-SEC-001[,SFI-SEC-002] [until YYYY-MM-DD] reason</c> on the
/// line of a finding or on the line above it. A suppression with a date stops applying after that day (the date
/// is inclusive) and is reported, so that an exception cannot silently outlive its owner's intent. A
/// suppression without a reason does not apply.
/// </summary>
public static partial class InlineSuppressions
{
    public const string Marker = "sfi:ignore";

    /// <summary>The suppression that applies to <paramref name="ruleId"/> on <paramref name="line"/>, if any.</summary>
    /// <param name="notify">Receives expired or malformed suppressions.</param>
    /// <param name="requiredIds">When set, what the suppression must name instead of the rule id (see <see cref="Detection.SuppressionIds"/>).</param>
    public static Suppression? Find(TextIndex index, int line, string ruleId, DateOnly today, string path, Action<Notification> notify, IReadOnlyList<IReadOnlyList<string>>? requiredIds = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(notify);
        for (var candidate = line; candidate >= Math.Max(1, line - 1); candidate--)
        {
            var text = index.Line(candidate);
            var at = text.IndexOf(Marker, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                continue;
            }

            var match = SuppressionPattern().Match(text[at..].ToString());
            if (!match.Success)
            {
                notify(new Notification("suppression-malformed", NotificationLevel.Warning,
                    $"Malformed suppression: expected '{Marker} RULE-ID [until YYYY-MM-DD] reason'")
                { Path = path, Region = new Region(candidate, at + 1, candidate, at + 1) });
                continue;
            }

            var ids = match.Groups["ids"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var named = requiredIds is null
                ? ids.Contains(ruleId, StringComparer.OrdinalIgnoreCase)
                : requiredIds.All(group => group.Any(id => ids.Contains(id, StringComparer.OrdinalIgnoreCase)));
            if (!named)
            {
                continue;
            }

            var region = new Region(candidate, at + 1, candidate, at + 1);
            var reason = CleanReason(match.Groups["reason"].Value);
            if (reason.Length == 0)
            {
                notify(new Notification("suppression-without-reason", NotificationLevel.Warning,
                    $"Suppression of {ruleId} has no reason and does not apply")
                { Path = path, Region = region, RuleId = ruleId });
                return null;
            }

            DateOnly? until = null;
            if (match.Groups["date"].Success)
            {
                if (!DateOnly.TryParseExact(match.Groups["date"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    notify(new Notification("suppression-malformed", NotificationLevel.Warning,
                        $"Suppression of {ruleId} has an invalid date '{match.Groups["date"].Value}' and does not apply")
                    { Path = path, Region = region, RuleId = ruleId });
                    return null;
                }

                if (date < today)
                {
                    notify(new Notification("suppression-expired", NotificationLevel.Warning,
                        string.Create(CultureInfo.InvariantCulture, $"Suppression of {ruleId} expired on {date:yyyy-MM-dd} and no longer applies"))
                    { Path = path, Region = region, RuleId = ruleId });
                    return null;
                }

                until = date;
            }

            return new Suppression("inSource", reason, until);
        }

        return null;
    }

    private static string CleanReason(string reason)
    {
        var cleaned = reason.Trim();
        foreach (var closer in new[] { "-->", "*/", "#}", "%>", "--%>" })
        {
            if (cleaned.EndsWith(closer, StringComparison.Ordinal))
            {
                cleaned = cleaned[..^closer.Length].TrimEnd();
            }
        }

        return cleaned;
    }

    [GeneratedRegex(@"^sfi:ignore\s+(?<ids>[A-Za-z][A-Za-z0-9_-]*(?:\s*,\s*[A-Za-z][A-Za-z0-9_-]*)*)(?:\s+until\s+(?<date>\S+))?(?:\s+(?<reason>.*))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SuppressionPattern();
}
