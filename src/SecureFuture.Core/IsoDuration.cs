using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureFuture.Core;

/// <summary>
/// ISO 8601 durations as APIs and configuration use them (<c>PT24H</c>, <c>P30D</c>, <c>PT0.5S</c>). Years and months
/// are refused because their length depends on the calendar; weeks and days are exact.
/// </summary>
public static partial class IsoDuration
{
    /// <summary>Parses a non-negative duration; returns false with a reason for anything else.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string error)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "an ISO 8601 duration is required (examples: PT24H, P30D, PT10S)";
            return false;
        }

        var match = Pattern().Match(text.Trim());
        if (!match.Success || match.Groups.Values.Skip(1).All(g => !g.Success))
        {
            error = $"'{text}' is not an ISO 8601 duration (examples: PT24H, P30D, PT10S; years and months are not accepted)";
            return false;
        }

        try
        {
            double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].ValueSpan, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) : 0;
            var seconds = (Part("w") * 7 * 86400) + (Part("d") * 86400) + (Part("h") * 3600) + (Part("m") * 60) + Part("s");
            if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                error = $"'{text}' is too long a duration";
                return false;
            }

            duration = TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
            error = string.Empty;
            return true;
        }
        catch (OverflowException)
        {
            error = $"'{text}' is too long a duration";
            return false;
        }
    }

    /// <summary>Parses a duration or throws an <see cref="InputException"/> naming <paramref name="what"/>.</summary>
    public static TimeSpan Parse(string? text, string what)
        => TryParse(text, out var duration, out var error) ? duration : throw new InputException($"{what}: {error}");

    /// <summary>Formats a duration in the canonical form used in API responses (<c>P1DT2H</c>, <c>PT10S</c>, <c>PT0S</c>).</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "durations are non-negative");
        }

        var text = new StringBuilder("P");
        if (duration.Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Days}D");
        }

        var seconds = duration.Seconds + (duration.Ticks % TimeSpan.TicksPerSecond / (double)TimeSpan.TicksPerSecond);
        if (duration.Hours > 0 || duration.Minutes > 0 || seconds > 0 || duration == TimeSpan.Zero)
        {
            text.Append('T');
            if (duration.Hours > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{duration.Hours}H");
            }

            if (duration.Minutes > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}M");
            }

            if (seconds > 0 || duration == TimeSpan.Zero)
            {
                text.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('S');
            }
        }

        return text.ToString();
    }

    // ASCII digits only: .NET's \d also matches every Unicode decimal digit ("PT٣H"), which double.Parse then refuses.
    [GeneratedRegex(@"^P(?:(?<w>[0-9]{1,9})W)?(?:(?<d>[0-9]{1,9})D)?(?:T(?=[0-9])(?:(?<h>[0-9]{1,9})H)?(?:(?<m>[0-9]{1,9})M)?(?:(?<s>[0-9]{1,9}(?:\.[0-9]{1,9})?)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
