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

    /// <remarks>
    /// Read from the payload's bytes as they are (the two parts found by the dot, each decoded once, compared as UTF-8):
    /// every token the token service issues passes here.
    /// </remarks>
    public static void Check(ReadOnlySpan<byte> payload, KeyRingPolicy policy, KeyVersion active, DateTimeOffset now, TimeSpan maximumTokenLifetime)
    {
        var dot = payload.IndexOf((byte)'.');
        if (dot < 0 || payload[(dot + 1)..].Contains((byte)'.'))
        {
            throw Invalid("payload: a scoped ring signs only a JWS signing input, base64url(header) '.' base64url(claims)");
        }

        using var header = ParseJson(payload[..dot], "header");
        using var claims = ParseJson(payload[(dot + 1)..], "claims");
        var h = header.RootElement;
        var c = claims.RootElement;

        if (!h.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || !alg.ValueEquals(active.Algorithm.Name))
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

        if (!kid.ValueEquals(active.Kid))
        {
            throw new KeyServiceException(KeyErrorKind.Conflict, $"header.kid: \"{kid.GetString()}\" is not the active key; the active key is \"{active.Kid}\" (rebuild the header and sign again)");
        }

        if (policy.Issuer is not { } issuer || !c.TryGetProperty("iss", out var iss) || iss.ValueKind != JsonValueKind.String || !iss.ValueEquals(issuer))
        {
            throw Invalid($"claims.iss: this ring signs only for issuer \"{policy.Issuer}\"");
        }

        if (policy.Audiences.Count > 0 && !AudiencesAllowed(c, policy.Audiences))
        {
            throw Invalid($"claims.aud: required, and every audience must be one of this ring's: {string.Join(", ", policy.Audiences)}");
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

    /// <summary>Whether the claims name at least one audience (a string or an array of strings) and only the ring's.</summary>
    private static bool AudiencesAllowed(JsonElement claims, IReadOnlyList<string> allowed)
    {
        if (!claims.TryGetProperty("aud", out var aud))
        {
            return false;
        }

        if (aud.ValueKind == JsonValueKind.String)
        {
            return IsOneOf(aud, allowed);
        }

        if (aud.ValueKind != JsonValueKind.Array || aud.GetArrayLength() == 0)
        {
            return false;
        }

        foreach (var audience in aud.EnumerateArray())
        {
            if (audience.ValueKind != JsonValueKind.String || !IsOneOf(audience, allowed))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsOneOf(JsonElement value, IReadOnlyList<string> allowed)
    {
        foreach (var candidate in allowed)
        {
            if (value.ValueEquals(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static JsonDocument ParseJson(ReadOnlySpan<byte> part, string what)
    {
        try
        {
            // Strings that are not well-formed Unicode (invalid UTF-8, a lone surrogate) are refused with the rest.
            var document = Core.StrictJson.Parse(Base64Url.Decode(part), Core.StrictJson.DocumentOptions(maxDepth: 16));
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
