using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>jwt</c> — the secret is a JWS in compact serialization (RFC 7515 §7.1): three base64url segments whose
/// header is a JSON object with an <c>alg</c> string and whose payload is a JSON object. Unsigned tokens
/// (<c>alg: none</c>) are still accepted: they carry claims and often sit next to signed ones.
/// <list type="bullet">
/// <item>A token whose HMAC signature verifies under a key published in documentation (jwt.io's
/// <c>your-256-bit-secret</c>, the libraries' <c>secret</c>) is a documentation example, rejected like the RFCs' example
/// values: anyone can mint it, so committing it discloses nothing.</item>
/// <item>A token whose <c>exp</c> has passed is medium, as an expired SAS is: it leaked, but it no longer opens anything.</item>
/// </list>
/// </summary>
public sealed class JwtValidator : ISecretValidator
{
    private const int MaxLength = 32 * 1024;

    /// <summary>HMAC keys that documentation and tutorials sign their example tokens with.</summary>
    private static readonly byte[][] DocumentationKeys =
        [.. new[] { "your-256-bit-secret", "your-384-bit-secret", "your-512-bit-secret", "secret" }.Select(Encoding.UTF8.GetBytes)];

    public string Name => "jwt";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var secret = candidate.Secret;
        if (secret.Length > MaxLength)
        {
            return ValidationOutcome.Reject("too long");
        }

        var parts = secret.Split('.');
        if (parts.Length != 3)
        {
            return ValidationOutcome.Reject("not three segments");
        }

        if (!TryParseObject(parts[0], out var header) || !TryParseObject(parts[1], out var payload))
        {
            return ValidationOutcome.Reject("header or payload is not a base64url JSON object");
        }

        using (header)
        using (payload)
        {
            if (!header!.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
            {
                return ValidationOutcome.Reject("header has no alg");
            }

            var algorithm = alg.GetString() ?? string.Empty;
            if (parts[2].Length == 0 && !string.Equals(algorithm, "none", StringComparison.OrdinalIgnoreCase))
            {
                return ValidationOutcome.Reject("signed token without a signature");
            }

            if (SignedWithDocumentationKey(algorithm, parts))
            {
                return ValidationOutcome.Reject("signed with a key published in documentation: an example token");
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["jwt.alg"] = Truncate(algorithm) };
            if (payload!.RootElement.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String)
            {
                properties["jwt.iss"] = Truncate(iss.GetString() ?? string.Empty);
            }

            if (payload.RootElement.TryGetProperty("exp", out var exp) && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetInt64(out var seconds) && seconds is > 0 and < 253402300800)
            {
                var expiry = DateTimeOffset.FromUnixTimeSeconds(seconds);
                properties["jwt.exp"] = expiry.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                if (expiry < candidate.Settings.Clock.GetUtcNow())
                {
                    return new ValidationOutcome { Accept = true, Severity = Core.Severity.Medium, Detail = "expired " + properties["jwt.exp"], Properties = properties };
                }
            }

            return new ValidationOutcome { Accept = true, Properties = properties };
        }
    }

    private static bool SignedWithDocumentationKey(string algorithm, string[] parts)
    {
        Func<byte[], byte[], byte[]>? hmac = algorithm switch
        {
            "HS256" => HMACSHA256.HashData,
            "HS384" => HMACSHA384.HashData,
            "HS512" => HMACSHA512.HashData,
            _ => null,
        };
        if (hmac is null || SecretEncoding.DecodeBase64Url(parts[2]) is not { } signature)
        {
            return false;
        }

        var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        return DocumentationKeys.Any(key => CryptographicOperations.FixedTimeEquals(hmac(key, signingInput), signature));
    }

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100];

    private static bool TryParseObject(string segment, out JsonDocument? document)
    {
        document = null;
        var bytes = SecretEncoding.DecodeBase64Url(segment);
        if (bytes is null)
        {
            return false;
        }

        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            document.Dispose();
            document = null;
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
