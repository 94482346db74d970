using System.Text;
using System.Text.Json;

namespace SecureFuture.Keys;

/// <summary>
/// The scope check for rings bound to an issuer: the payload must be a JWS signing input
/// (<c>base64url(header).base64url(claims)</c>) whose header names this ring's algorithm and active key and carries no
/// embedded or remote key, and whose claims name the ring's issuer and audiences and expire within the ring's
/// maximum token lifetime (never more than the node's <see cref="KeyServiceOptions.MaximumTokenLifetime"/>, whatever an
/// older ring's stored policy says). A ring that refuses such tokens cannot be made to mint a token for someone else.
/// </summary>
internal static class JwsScope
{
    private static readonly string[] ForbiddenHeaders = ["jku", "jwk", "x5u", "x5c"];

    public static void Check(ReadOnlySpan<byte> payload, KeyRingPolicy policy, KeyVersion active, DateTimeOffset now, TimeSpan maximumTokenLifetime)
    {
        var text = Encoding.ASCII.GetString(payload);
        var parts = text.Split('.');
        if (parts.Length != 2)
        {
            throw Invalid("payload: a scoped ring signs only a JWS signing input, base64url(header) '.' base64url(claims)");
        }

        using var header = ParseJson(parts[0], "header");
        using var claims = ParseJson(parts[1], "claims");
        var h = header.RootElement;
        var c = claims.RootElement;

        if (!h.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != active.Algorithm.Name)
        {
            throw Invalid($"header.alg: must be \"{active.Algorithm.Name}\", this ring's algorithm");
        }

        foreach (var name in ForbiddenHeaders)
        {
            if (h.TryGetProperty(name, out _))
            {
                throw Invalid($"header.{name}: headers that carry or point to a key are refused");
            }
        }

        if (!h.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"header.kid: required; the active key is \"{active.Kid}\"");
        }

        if (kid.GetString() != active.Kid)
        {
            throw new KeyServiceException(KeyErrorKind.Conflict, $"header.kid: \"{kid.GetString()}\" is not the active key; the active key is \"{active.Kid}\" (rebuild the header and sign again)");
        }

        if (!c.TryGetProperty("iss", out var iss) || iss.ValueKind != JsonValueKind.String || iss.GetString() != policy.Issuer)
        {
            throw Invalid($"claims.iss: this ring signs only for issuer \"{policy.Issuer}\"");
        }

        if (policy.Audiences.Count > 0)
        {
            var audiences = new List<string>();
            if (c.TryGetProperty("aud", out var aud))
            {
                if (aud.ValueKind == JsonValueKind.String)
                {
                    audiences.Add(aud.GetString()!);
                }
                else if (aud.ValueKind == JsonValueKind.Array)
                {
                    audiences.AddRange(aud.EnumerateArray().Select(a => a.ValueKind == JsonValueKind.String ? a.GetString()! : string.Empty));
                }
            }

            if (audiences.Count == 0 || audiences.Any(a => !policy.Audiences.Contains(a, StringComparer.Ordinal)))
            {
                throw Invalid($"claims.aud: required, and every audience must be one of this ring's: {string.Join(", ", policy.Audiences)}");
            }
        }

        var exp = NumericDate(c, "exp") ?? throw Invalid("claims.exp: required (a NumericDate)");
        var nowSeconds = now.ToUnixTimeSeconds();
        var start = NumericDate(c, "nbf") ?? NumericDate(c, "iat") ?? nowSeconds;
        var lifetime = policy.MaxTokenLifetime < maximumTokenLifetime ? policy.MaxTokenLifetime : maximumTokenLifetime;
        var limit = (long)lifetime.TotalSeconds;
        if (exp <= nowSeconds)
        {
            throw Invalid("claims.exp: the token has already expired");
        }

        if (exp - start > limit || exp - nowSeconds > limit)
        {
            throw Invalid($"claims.exp: the token would live longer than this ring's maxTokenLifetime of {Core.IsoDuration.Format(lifetime)}");
        }
    }

    private static long? NumericDate(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) && double.IsFinite(seconds) && seconds is >= 0 and < 253402300800)
        {
            return (long)seconds;
        }

        throw Invalid($"claims.{name}: must be a NumericDate (seconds since 1970)");
    }

    private static JsonDocument ParseJson(string part, string what)
    {
        try
        {
            var document = JsonDocument.Parse(Base64Url.Decode(part), Core.StrictJson.DocumentOptions(maxDepth: 16));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Invalid($"payload: the JWS {what} must be a JSON object");
            }

            return document;
        }
        catch (FormatException)
        {
            throw Invalid($"payload: the JWS {what} is not base64url");
        }
        catch (JsonException e)
        {
            throw Invalid($"payload: the JWS {what} is not JSON ({e.Message})");
        }
    }

    private static KeyServiceException Invalid(string message) => new(KeyErrorKind.Invalid, message);
}
