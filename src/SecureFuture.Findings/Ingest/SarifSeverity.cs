using System.Globalization;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// A result's severity, from the most specific statement a producer made:
/// <list type="number">
/// <item><c>security-severity</c> in the result's properties, then in its rule's (GitHub's convention: a number from 0
/// to 10 as a string), banded as GitHub code scanning does: &gt;= 9.0 critical, &gt;= 7.0 high, &gt;= 4.0 medium, &gt; 0
/// low, 0 note;</item>
/// <item>else the result's <c>level</c> (SARIF §3.27.10), else its rule's <c>defaultConfiguration.level</c>
/// (§3.49.14): <c>error</c> high, <c>warning</c> medium, <c>note</c> low, <c>none</c> note. A level is never mapped to
/// critical: only a security-severity says that;</item>
/// <item>a result of another <c>kind</c> than <c>fail</c> without a level is a note (§3.27.9);</item>
/// <item>else SARIF's default level, <c>warning</c> (medium), when no producer said anything.</item>
/// </list>
/// A value that is present but not understood (<c>"urgent"</c>, <c>"11"</c>, <c>"critical"</c> as a level) is reported
/// as a warning and skipped; when every statement was of that kind the result is a <c>note</c>: an unknown value never
/// raises a severity, not even to SARIF's default.
/// </summary>
internal static class SarifSeverity
{
    public static Severity Resolve(JsonElement result, RuleInfo? rule, Action<string> warn)
    {
        var sawUnknown = false;
        if (FromSecuritySeverity(Property(result, "properties"), "properties.security-severity", warn, ref sawUnknown) is { } fromResult)
        {
            return fromResult;
        }

        if (rule?.SecuritySeverity is { } ruleSeverity)
        {
            if (FromSecuritySeverityText(ruleSeverity, out var fromRule))
            {
                return fromRule;
            }

            warn($"the rule's security-severity '{Truncate(ruleSeverity)}' is not a number from 0 to 10; ignored");
            sawUnknown = true;
        }

        if (Property(result, "level") is { } level)
        {
            if (level.ValueKind == JsonValueKind.String && FromLevel(level.GetString()) is { } fromLevel)
            {
                return fromLevel;
            }

            warn($"level {Truncate(level.GetRawText())} is not one of error, warning, note, none; ignored");
            sawUnknown = true;
        }

        // §3.27.9: a result whose kind is not "fail" (informational, review, open) has level "none" when it states none.
        if (RunContext.Text(result, "kind"u8) is { } kind && kind != "fail")
        {
            return Severity.Note;
        }

        if (rule?.DefaultLevel is { } defaultLevel)
        {
            if (FromLevel(defaultLevel) is { } fromDefault)
            {
                return fromDefault;
            }

            warn($"the rule's defaultConfiguration.level '{Truncate(defaultLevel)}' is not one of error, warning, note, none; ignored");
            sawUnknown = true;
        }

        return sawUnknown ? Severity.Note : Severity.Medium;
    }

    /// <summary>GitHub's bands over a security-severity score (0.0 to 10.0).</summary>
    public static bool FromSecuritySeverityText(string text, out Severity severity)
    {
        severity = Severity.Note;
        if (!double.TryParse(text, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowDecimalPoint,
                CultureInfo.InvariantCulture, out var score) || !(score is >= 0 and <= 10))
        {
            return false;
        }

        severity = score switch
        {
            >= 9.0 => Severity.Critical,
            >= 7.0 => Severity.High,
            >= 4.0 => Severity.Medium,
            > 0 => Severity.Low,
            _ => Severity.Note,
        };
        return true;
    }

    /// <summary>A SARIF level (§3.27.10) as a severity, or null for anything else.</summary>
    public static Severity? FromLevel(string? level) => level switch
    {
        "error" => Severity.High,
        "warning" => Severity.Medium,
        "note" => Severity.Low,
        "none" => Severity.Note,
        _ => null,
    };

    /// <summary>A security-severity written as a string (GitHub's form) or a number (seen in the wild).</summary>
    public static string? SecuritySeverityText(JsonElement properties) =>
        properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty("security-severity", out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => value.GetRawText(),
            }
            : null;

    private static Severity? FromSecuritySeverity(JsonElement? properties, string where, Action<string> warn, ref bool sawUnknown)
    {
        if (properties is not { } bag || SecuritySeverityText(bag) is not { } text)
        {
            return null;
        }

        if (FromSecuritySeverityText(text, out var severity))
        {
            return severity;
        }

        warn($"{where} '{Truncate(text)}' is not a number from 0 to 10; ignored");
        sawUnknown = true;
        return null;
    }

    private static JsonElement? Property(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string Truncate(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "...");
}
