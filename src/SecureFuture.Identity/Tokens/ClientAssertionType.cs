using System.Buffers.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using SecureFuture.Core;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// Which JWTs are client assertions. RFC 7523 as updated in 2025 (draft-ietf-oauth-rfc7523bis) types them
/// <c>client-authentication+jwt</c> and makes <c>aud</c> the issuer identifier alone; the audience rule is what closes
/// the audience-injection attack, and OpenIddict enforces it for every assertion. Clients written before the update
/// (openid-client among them) send no <c>typ</c>, or <c>JWT</c>: such an assertion is accepted only with <c>aud</c>
/// exactly the issuer, unless <see cref="TokenServiceOptions.RequireTypedClientAssertions"/>. Every other explicit type
/// (<c>at+jwt</c>, <c>dpop+jwt</c>, <c>secevent+jwt</c>, ...) names another kind of JWT and is refused, so no access
/// token, DPoP proof or security event token signed by a client's key can be replayed as its assertion.
/// </summary>
internal static class ClientAssertionType
{
    /// <summary>The explicit type of RFC 7523bis §4.</summary>
    public const string Explicit = "client-authentication+jwt";

    /// <summary>Why <paramref name="assertion"/> (not yet verified) is not a client assertion here; null when its type is acceptable.</summary>
    public static string? Refusal(JsonWebToken assertion, TokenServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        return Refusal(assertion.TryGetHeaderValue<string>("typ", out var value) ? value : null, [.. assertion.Audiences], options);
    }

    /// <summary>Why an assertion (not yet verified) of type <paramref name="typ"/> for <paramref name="audiences"/> is not a client assertion here; null when its type is acceptable.</summary>
    public static string? Refusal(string? typ, IReadOnlyList<string> audiences, TokenServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        ArgumentNullException.ThrowIfNull(options);
        if (IsMediaType(typ, Explicit))
        {
            return null;
        }

        if (options.RequireTypedClientAssertions)
        {
            return $"the client assertion must have typ '{Explicit}' (this server requires typed client assertions)";
        }

        if (!string.IsNullOrEmpty(typ) && !IsMediaType(typ, "JWT"))
        {
            return $"a JWT of type '{Printable(typ)}' is not a client assertion; send typ '{Explicit}'";
        }

        // Untyped: the audience must leave no doubt that the client made it for this server's client authentication.
        return audiences.Count == 1 && string.Equals(audiences[0], options.Issuer.AbsoluteUri, StringComparison.Ordinal)
            ? null
            : $"a client assertion without typ '{Explicit}' must have aud exactly the issuer '{options.Issuer.AbsoluteUri}'";
    }

    /// <summary>
    /// Why the header or claims of <paramref name="compact"/> cannot be read strictly (a member named twice, at any
    /// depth, or not JSON); null when they can, or when it is not a compact JWS at all (OpenIddict refuses that).
    /// The issuer of an assertion selects the client whose keys verify it, and its <c>aud</c>, <c>sub</c> and times
    /// decide the rest: with two <c>iss</c> or two <c>aud</c>, this check and OpenIddict's would each be free to read
    /// another one (RFC 7519 §4 allows last-wins), so the assertion is refused as <see cref="StrictJson"/> says.
    /// </summary>
    public static string? UnreadableJson(string compact)
    {
        ArgumentNullException.ThrowIfNull(compact);
        var parts = compact.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        foreach (var (part, what) in new[] { (parts[0], "header"), (parts[1], "claims") })
        {
            try
            {
                using var document = StrictJson.Parse(Base64Url.DecodeFromChars(part), StrictJson.DocumentOptions(maxDepth: 16));
            }
            catch (FormatException)
            {
                return null;
            }
            catch (JsonException e)
            {
                // The reader's message can quote the client's text (a member named twice). Responses limit their
                // error_description themselves (Responses.LimitErrorDescription); this text also becomes the detail of a
                // security event, recorded before the response is limited, so it is kept to the same characters here.
                return TokenServiceHandlers.Responses.Limit($"the client assertion's {what} is not strict JSON: {e.Message}");
            }
        }

        return null;
    }

    /// <summary>
    /// Why a time of <paramref name="compact"/>'s claims (<c>exp</c>, <c>nbf</c>, <c>iat</c>) is not a NumericDate this
    /// server can hold (RFC 7519 §2: a JSON number of seconds; here between years 1 and 9999); null when each present one
    /// is, or when the claims cannot be read at all (see <see cref="UnreadableJson"/>). OpenIddict turns <c>exp</c>
    /// into a date after the signature is verified, and a registered client's assertion with an <c>exp</c> past 9999
    /// made that throw: an HTTP 500 instead of a refusal.
    /// </summary>
    public static string? UnrepresentableTime(string compact)
    {
        ArgumentNullException.ThrowIfNull(compact);
        var parts = compact.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var claims = StrictJson.Parse(Base64Url.DecodeFromChars(parts[1]), StrictJson.DocumentOptions(maxDepth: 16));
            if (claims.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in new[] { "exp", "nbf", "iat" })
            {
                if (claims.RootElement.TryGetProperty(name, out var value)
                    && (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || seconds is < EarliestTime or > LatestTime))
                {
                    return $"the client assertion's {name} is not a NumericDate between the years 1 and 9999 (RFC 7519 section 2)";
                }
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        return null;
    }

    /// <summary>The Unix times of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of <see cref="DateTimeOffset"/>.</summary>
    private const double EarliestTime = -62135596800, LatestTime = 253402300799;

    /// <summary>
    /// The assertion as a token, not verified (its issuer names the client whose keys verify it); null when it cannot be
    /// read, which OpenIddict then refuses. A five-part (JWE-shaped) assertion whose header is not UTF-8 threw
    /// <see cref="FormatException"/> out of the token endpoint, an HTTP 500 (found by fuzzing).
    /// </summary>
    public static JsonWebToken? ReadUnverified(string compact)
    {
        try
        {
            return new JsonWebToken(compact);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return null;
        }
    }

    /// <summary>RFC 7515 §4.1.9: <c>typ</c> is a media type, compared without case, and may omit <c>application/</c>.</summary>
    private static bool IsMediaType(string? typ, string name)
        => typ is not null && (string.Equals(typ, name, StringComparison.OrdinalIgnoreCase) || string.Equals(typ, "application/" + name, StringComparison.OrdinalIgnoreCase));

    private static string Printable(string value) => new([.. value.Take(40).Select(c => c < 0x20 || c > 0x7e ? '?' : c)]);
}
