using System.Text.Json;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>jwt</c> — the secret is a JWS in compact serialization (RFC 7515 §7.1): three base64url segments whose
/// header is a JSON object with an <c>alg</c> string and whose payload is a JSON object. Unsigned tokens
/// (<c>alg: none</c>) are still accepted: they carry claims and often sit next to signed ones.
/// </summary>
public sealed class JwtValidator : ISecretValidator
{
    private const int MaxLength = 32 * 1024;

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

            var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["jwt.alg"] = Truncate(algorithm) };
            if (payload!.RootElement.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String)
            {
                properties["jwt.iss"] = Truncate(iss.GetString() ?? string.Empty);
            }

            return new ValidationOutcome { Accept = true, Properties = properties };
        }
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
