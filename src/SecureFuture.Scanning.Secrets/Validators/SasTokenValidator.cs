using System.Globalization;
using System.Text.RegularExpressions;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>sasToken</c> — the secret (or the match, when the secret is not the query) is an Azure Storage shared access
/// signature: <c>sv</c> and a <c>sig</c> that is an HMAC-SHA256 (32 bytes of base64) are required. The validator
/// then grades it the way the 38 TB leak taught: a token that lives longer than
/// <see cref="SecretScanSettings.SasMaxLifetime"/>, never expires, or is an account SAS that can write, delete or
/// list is critical; one that already expired is medium (it leaked, but no longer opens anything).
/// </summary>
public sealed partial class SasTokenValidator : ISecretValidator
{
    private const int MaxLength = 8192;

    /// <summary>Every permission letter of account and service SAS (Azure Storage REST: "Create an account SAS").</summary>
    private const string PermissionLetters = "racwdxyltfmeopiu";

    /// <summary>Permissions that make an account SAS critical whatever its lifetime.</summary>
    private const string DangerousAccountPermissions = "wdl";

    public string Name => "sasToken";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var query = ParseQuery(candidate.Secret);
        if (!query.ContainsKey("sv") || !query.ContainsKey("sig"))
        {
            query = ParseQuery(candidate.Match);
        }

        if (!query.TryGetValue("sv", out var version) || !VersionPattern().IsMatch(version))
        {
            return ValidationOutcome.Reject("no sv (signed version) date");
        }

        if (!query.TryGetValue("sig", out var signature) || SecretEncoding.DecodeStrictBase64(signature.Replace(' ', '+'))?.Length != 32)
        {
            return ValidationOutcome.Reject("no sig, or sig is not a 32-byte HMAC-SHA256");
        }

        DateTimeOffset? expiry = null;
        DateTimeOffset? start = null;
        if (query.TryGetValue("se", out var se))
        {
            if (!TryParseTime(se, out var parsed))
            {
                return ValidationOutcome.Reject("se is not an ISO 8601 time");
            }

            expiry = parsed;
        }

        if (query.TryGetValue("st", out var st))
        {
            if (!TryParseTime(st, out var parsed))
            {
                return ValidationOutcome.Reject("st is not an ISO 8601 time");
            }

            start = parsed;
        }

        var permissions = query.GetValueOrDefault("sp", string.Empty);
        if (permissions.Any(c => !PermissionLetters.Contains(c, StringComparison.Ordinal)))
        {
            return ValidationOutcome.Reject("sp has letters that are not SAS permissions");
        }

        var isAccount = query.ContainsKey("srt") || query.ContainsKey("ss");
        var now = candidate.Settings.Clock.GetUtcNow();
        var lifetime = expiry - (start ?? now);
        var expired = expiry < now;

        Severity? severity = null;
        if (expired)
        {
            severity = Severity.Medium;
        }
        else if (expiry is null || lifetime > candidate.Settings.SasMaxLifetime || (isAccount && permissions.Any(c => DangerousAccountPermissions.Contains(c, StringComparison.Ordinal))))
        {
            severity = Severity.Critical;
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["sas.kind"] = isAccount ? "account" : "service" };
        if (permissions.Length > 0)
        {
            properties["sas.permissions"] = permissions;
        }

        if (expiry is { } e)
        {
            properties["sas.expiry"] = e.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        if (start is { } s)
        {
            properties["sas.start"] = s.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        if (lifetime is { } l)
        {
            properties["sas.lifetimeDays"] = Math.Floor(l.TotalDays).ToString(CultureInfo.InvariantCulture);
        }

        return new ValidationOutcome
        {
            Accept = true,
            Severity = severity,
            Detail = Describe(query, isAccount, permissions, start, expiry, lifetime, expired),
            Properties = properties,
        };
    }

    private static string Describe(Dictionary<string, string> query, bool isAccount, string permissions, DateTimeOffset? start, DateTimeOffset? expiry, TimeSpan? lifetime, bool expired)
    {
        var scope = isAccount
            ? $"account SAS (services {query.GetValueOrDefault("ss", "?")}, permissions {Or(permissions)})"
            : $"service SAS (resource {query.GetValueOrDefault("sr", "?")}, permissions {Or(permissions)})";
        if (expiry is not { } e)
        {
            return scope + " with no expiry";
        }

        var days = Math.Floor(lifetime!.Value.TotalDays).ToString("N0", CultureInfo.InvariantCulture);
        var validity = start is { } s
            ? $"valid {s:yyyy-MM-dd} to {e:yyyy-MM-dd} ({days} days)"
            : $"valid until {e:yyyy-MM-dd} ({days} days from now)";
        return string.Create(CultureInfo.InvariantCulture, $"{scope} {validity}{(expired ? ", already expired" : string.Empty)}");

        static string Or(string value) => value.Length == 0 ? "from a stored access policy" : value;
    }

    /// <summary>Reads <c>key=value</c> pairs from the query part of a URL or a bare query; keys stay case-sensitive.</summary>
    private static Dictionary<string, string> ParseQuery(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (text.Length > MaxLength)
        {
            return result;
        }

        var question = text.IndexOf('?', StringComparison.Ordinal);
        var query = question >= 0 ? text[(question + 1)..] : text;
        query = query.Replace("&amp;", "&", StringComparison.OrdinalIgnoreCase);
        foreach (var pair in query.Split('&', ';'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = pair[..equals].Trim();
            var value = pair[(equals + 1)..].Trim().TrimEnd('"', '\'', ')', '>', ',');
            try
            {
                value = Uri.UnescapeDataString(value);
            }
            catch (UriFormatException)
            {
                continue;
            }

            result.TryAdd(key, value);
        }

        return result;
    }

    private static bool TryParseTime(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
        && TimePattern().IsMatch(value);

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex TimePattern();
}
