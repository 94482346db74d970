using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>Who a validated token speaks for. <see cref="SubjectKey"/> is the only identity key it offers: issuer and sub.</summary>
public sealed record ValidatedPrincipal(string Issuer, string Subject, IReadOnlyList<string> Audiences, string KeyId, string Algorithm, DateTimeOffset ExpiresAt, JsonElement Claims)
{
    /// <summary>
    /// The stable key for this principal: issuer and <c>sub</c> together. There is deliberately no e-mail-based key:
    /// <c>email</c> is mutable and, across tenants, unverified (nOAuth).
    /// </summary>
    public string SubjectKey => Issuer + "#" + Subject;

    /// <summary>The token's <c>client_id</c> claim (RFC 9068), when it has one.</summary>
    public string? ClientId => Claims.TryGetProperty("client_id", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>The outcome: a principal, or the reason the token was refused (never both).</summary>
public sealed record TokenValidationOutcome(ValidatedPrincipal? Principal, string? Error)
{
    public bool IsValid => Principal is not null;

    /// <summary>What kind of refusal this is, for attack detection (<see cref="Refusal.None"/> when valid).</summary>
    public Refusal Refusal { get; init; }
}

/// <summary>
/// Kinds of refusal, as attack detection needs them: <see cref="RefusalKinds.IsAttack"/> tells forgery, theft and
/// replay apart from tokens that are merely malformed, expired or for someone else.
/// </summary>
public enum Refusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>No credentials were presented.</summary>
    Missing,

    /// <summary>Not a well-formed token or proof, or a required claim is missing.</summary>
    Malformed,

    /// <summary>Outside its lifetime, or living longer than allowed.</summary>
    Expired,

    /// <summary>For another audience.</summary>
    WrongAudience,

    /// <summary>The issuer's keys could not be fetched: an outage, not the token's fault.</summary>
    Unavailable,

    /// <summary>An issuer this resource server does not trust.</summary>
    UntrustedIssuer,

    /// <summary><c>none</c>, HMAC or another algorithm than the key's, a key in the header, <c>crit</c>: a forgery attempt.</summary>
    ForgedHeader,

    /// <summary>A <c>kid</c> the issuer does not publish (after one refresh): a token signed by a key not the issuer's.</summary>
    UnknownKey,

    /// <summary>A key the issuer still lists but whose validity has ended (the Storm-0558 pattern).</summary>
    ExpiredKey,

    /// <summary>The signature does not verify, or is out of range (CVE-2022-21449).</summary>
    BadSignature,

    /// <summary>A bound token without its proof or certificate, or with another key's: a stolen token.</summary>
    BindingViolation,

    /// <summary>A DPoP proof that is malformed, stale or for another request.</summary>
    InvalidProof,

    /// <summary>A DPoP proof used before.</summary>
    ReplayedProof,

    /// <summary>Refused by continuous access evaluation: a disabled client, revoked sessions or a revoked token.</summary>
    Revoked,
}

/// <summary>Helpers for <see cref="Refusal"/>.</summary>
public static class RefusalKinds
{
    /// <summary>True for refusals that point at an attacker (forgery, theft, replay, use of revoked access).</summary>
    public static bool IsAttack(this Refusal refusal) => refusal is Refusal.ForgedHeader or Refusal.UnknownKey or Refusal.ExpiredKey
        or Refusal.BadSignature or Refusal.BindingViolation or Refusal.ReplayedProof or Refusal.Revoked or Refusal.UntrustedIssuer;

    /// <summary>The kebab-case name used in metrics and security events (<c>unknown-key</c>, ...).</summary>
    public static string Name(this Refusal refusal) => refusal switch
    {
        Refusal.None => "none",
        Refusal.Missing => "missing",
        Refusal.Malformed => "malformed",
        Refusal.Expired => "expired",
        Refusal.WrongAudience => "wrong-audience",
        Refusal.Unavailable => "unavailable",
        Refusal.UntrustedIssuer => "untrusted-issuer",
        Refusal.ForgedHeader => "forged-header",
        Refusal.UnknownKey => "unknown-key",
        Refusal.ExpiredKey => "expired-key",
        Refusal.BadSignature => "bad-signature",
        Refusal.BindingViolation => "binding-violation",
        Refusal.InvalidProof => "invalid-proof",
        Refusal.ReplayedProof => "replayed-proof",
        Refusal.Revoked => "revoked",
        _ => throw new ArgumentOutOfRangeException(nameof(refusal)),
    };
}

/// <summary>
/// Validates JWS-signed JWTs for a resource server, strict by default and with no switch to loosen it:
/// the issuer must be one of the trusted ones, exactly; the key comes only from that issuer's JWKS and is looked up by
/// <c>kid</c> (never tried in turn); the algorithm is the key's own; <c>none</c>, HMAC and header-supplied keys
/// (<c>jwk</c>, <c>jku</c>, <c>x5u</c>, <c>x5c</c>) are refused; ECDSA signatures with r or s out of range are refused;
/// <c>exp</c>, <c>iat</c>, <c>aud</c> and <c>sub</c> are required and the lifetime is bounded.
/// </summary>
public sealed class StrictTokenValidator : IDisposable
{
    private static readonly string[] HeaderKeys = ["jwk", "jku", "x5u", "x5c"];

    private readonly Dictionary<string, (TrustedIssuer Issuer, IssuerKeySet Keys)> _issuers;
    private readonly StrictValidationOptions _options;
    private readonly TimeProvider _clock;

    public StrictTokenValidator(IEnumerable<TrustedIssuer> issuers, HttpClient http, StrictValidationOptions? options = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        _options = options ?? new StrictValidationOptions();
        _clock = clock ?? TimeProvider.System;
        if (_options.Algorithms.Any(a => a == "none" || a.StartsWith("HS", StringComparison.Ordinal) || a is not ("ES256" or "ES384" or "PS256" or "RS256")))
        {
            throw new ArgumentException("only ES256, ES384, PS256 and RS256 can be accepted", nameof(options));
        }

        _issuers = new Dictionary<string, (TrustedIssuer, IssuerKeySet)>(StringComparer.Ordinal);
        foreach (var issuer in issuers)
        {
            if (issuer.Audiences.Count == 0)
            {
                throw new ArgumentException($"issuer {issuer.Issuer}: name at least one audience", nameof(issuers));
            }

            if (issuer.JwksUri.Scheme != Uri.UriSchemeHttps && !issuer.JwksUri.IsLoopback)
            {
                throw new ArgumentException($"issuer {issuer.Issuer}: keys must come over https", nameof(issuers));
            }

            _issuers.Add(issuer.Issuer, (issuer, new IssuerKeySet(issuer, http, _clock, _options)));
        }
    }

    /// <summary>JWKS fetches made for an issuer so far.</summary>
    public int KeySetFetches(string issuer) => _issuers.TryGetValue(issuer, out var entry) ? entry.Keys.Fetches : 0;

    /// <summary>
    /// Validates the token and, when it is bound to a TLS client certificate (<c>cnf.x5t#S256</c>, RFC 8705 §3),
    /// refuses it unless <paramref name="clientCertificate"/> is that certificate. DPoP binding (<c>cnf.jkt</c>) needs
    /// the request's proof: check it with <see cref="ResourceRequestValidator"/>, which does both.
    /// </summary>
    public async Task<TokenValidationOutcome> ValidateAsync(string token, X509Certificate2? clientCertificate, CancellationToken cancellationToken)
    {
        var outcome = await ValidateAsync(token, cancellationToken);
        if (!outcome.IsValid)
        {
            return outcome;
        }

        if (!CertificateBinding.TryReadConfirmation(outcome.Principal!.Claims, out var confirmation, out var malformed))
        {
            return Refuse(malformed!, Refusal.Malformed);
        }

        return confirmation.CertificateThumbprint is { } thumbprint && !CertificateBinding.Matches(thumbprint, clientCertificate)
            ? Refuse(clientCertificate is null ? "the token is bound to a TLS client certificate (RFC 8705); none was presented" : "the token is bound to another TLS client certificate than the one presented", Refusal.BindingViolation)
            : outcome;
    }

    /// <summary>
    /// Validates the signature and the claims. The token's binding (<c>cnf</c>) is not checked here: use the overload
    /// with the client certificate, or <see cref="ResourceRequestValidator"/>, for tokens that may be bound.
    /// </summary>
    public async Task<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length > _options.MaxTokenBytes)
        {
            return Refuse("the token is too large", Refusal.Malformed);
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return Refuse(parts.Length == 5 ? "encrypted tokens (JWE) are not accepted" : "not a compact JWS (three base64url parts)", Refusal.Malformed);
        }

        JsonElement header;
        JsonElement claims;
        byte[] signature;
        try
        {
            header = ParseObject(parts[0]);
            claims = ParseObject(parts[1]);
            signature = Base64UrlStrict.Decode(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return Refuse("malformed token: " + e.Message, Refusal.Malformed);
        }

        var alg = header.TryGetProperty("alg", out var algValue) && algValue.ValueKind == JsonValueKind.String ? algValue.GetString()! : string.Empty;
        if (!_options.Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            return Refuse($"algorithm '{alg}' is not accepted", Refusal.ForgedHeader);
        }

        foreach (var name in HeaderKeys)
        {
            if (header.TryGetProperty(name, out _))
            {
                return Refuse($"header '{name}': keys supplied by the token are never trusted", Refusal.ForgedHeader);
            }
        }

        if (header.TryGetProperty("crit", out _))
        {
            return Refuse("header 'crit': no critical extensions are understood", Refusal.ForgedHeader);
        }

        if (!header.TryGetProperty("kid", out var kidValue) || kidValue.ValueKind != JsonValueKind.String || kidValue.GetString() is not { Length: > 0 } kid)
        {
            return Refuse("header 'kid' is required", Refusal.Malformed);
        }

        if (!claims.TryGetProperty("iss", out var issValue) || issValue.ValueKind != JsonValueKind.String || !_issuers.TryGetValue(issValue.GetString()!, out var entry))
        {
            return Refuse("the issuer is not trusted", Refusal.UntrustedIssuer);
        }

        VerificationKey? key;
        try
        {
            key = await entry.Keys.FindAsync(kid, cancellationToken);
        }
        catch (KeySetUnavailableException e)
        {
            return Refuse("the issuer's keys are unavailable: " + e.Message, Refusal.Unavailable);
        }

        if (key is null)
        {
            return Refuse($"no key '{kid}' is published by {entry.Issuer.Issuer}", Refusal.UnknownKey);
        }

        if (key.Algorithm != alg)
        {
            return Refuse($"key '{kid}' is for {key.Algorithm}, not {alg}", Refusal.ForgedHeader);
        }

        var now = _clock.GetUtcNow();
        if ((key.Expires is { } keyExpires && now > keyExpires) || (key.NotBefore is { } keyStart && now < keyStart))
        {
            return Refuse($"key '{kid}' is outside its validity period", Refusal.ExpiredKey);
        }

        if (!key.Verify(Encoding.ASCII.GetBytes(string.Concat(parts[0], ".", parts[1])), signature))
        {
            return Refuse("the signature does not verify", Refusal.BadSignature);
        }

        // Claims are read only after the signature holds.
        var skew = _options.ClockSkew;
        if (NumericDate(claims, "exp") is not { } exp)
        {
            return Refuse("claim 'exp' is required", Refusal.Malformed);
        }

        if (NumericDate(claims, "iat") is not { } iat)
        {
            return Refuse("claim 'iat' is required", Refusal.Malformed);
        }

        if (now > exp + skew)
        {
            return Refuse("the token has expired", Refusal.Expired);
        }

        if (NumericDate(claims, "nbf") is { } nbf && now + skew < nbf)
        {
            return Refuse("the token is not valid yet", Refusal.Expired);
        }

        if (iat > now + skew)
        {
            return Refuse("the token was issued in the future", Refusal.Expired);
        }

        if (exp - iat > _options.MaxTokenLifetime)
        {
            return Refuse($"the token lives longer than {_options.MaxTokenLifetime}", Refusal.Expired);
        }

        var audiences = Audiences(claims);
        if (!audiences.Any(a => entry.Issuer.Audiences.Contains(a, StringComparer.Ordinal)))
        {
            return Refuse("the token is not for this audience", Refusal.WrongAudience);
        }

        if (!claims.TryGetProperty("sub", out var subValue) || subValue.ValueKind != JsonValueKind.String || subValue.GetString() is not { Length: > 0 } sub)
        {
            return Refuse("claim 'sub' is required: principals are keyed on issuer and sub", Refusal.Malformed);
        }

        return new TokenValidationOutcome(new ValidatedPrincipal(entry.Issuer.Issuer, sub, audiences, kid, alg, exp, claims.Clone()), null);
    }

    public void Dispose()
    {
        foreach (var entry in _issuers.Values)
        {
            entry.Keys.Dispose();
        }
    }

    private static TokenValidationOutcome Refuse(string reason, Refusal kind) => new(null, reason) { Refusal = kind };

    /// <summary>
    /// Reads one part of a compact JWS (header or claims) as a JSON object: the one reader of tokens, DPoP proofs and
    /// security event tokens here. A member named twice, at any depth, is refused. RFC 7515 §4 and RFC 7519 §4 let a
    /// parser either refuse duplicate names or keep the last; keeping one means that two readers of the same signed
    /// document (a gateway, this library, the issuer's own checks) can each see a different <c>sub</c>, <c>aud</c> or
    /// <c>alg</c>. sfi refuses them when signing (<c>StrictJson</c> in SecureFuture.Core) and when receiving.
    /// </summary>
    internal static JsonElement ParseObject(string part)
    {
        using var document = JsonDocument.Parse(Base64UrlStrict.Decode(part), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a JWS part is not a JSON object");
        }

        try
        {
            ReadEveryString(document.RootElement);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException("a JWS part holds a string that is not well-formed Unicode (invalid UTF-8 or a lone surrogate)", e);
        }

        return document.RootElement.Clone();
    }

    /// <summary>
    /// JsonDocument does not check the strings it parses: invalid UTF-8 or an escaped lone surrogate (<c>"\ud800"</c>)
    /// throws InvalidOperationException only when the value is read, which was a crash of whichever check read it
    /// first (<c>kid</c>, <c>iss</c>, a DPoP <c>jwk</c>). Reading each once here refuses such a token as malformed.
    /// (SecureFuture.Core's StrictJson does the same for sfi's other readers; this library depends on none of them.)
    /// Found by fuzzing (docs/fuzzing.md).
    /// </summary>
    private static void ReadEveryString(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    _ = member.Name;
                    ReadEveryString(member.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    ReadEveryString(item);
                }

                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }

    private static DateTimeOffset? NumericDate(JsonElement claims, string name)
        => claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) && double.IsFinite(seconds) && seconds is >= 0 and < 253402300800
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
            : null;

    private static string[] Audiences(JsonElement claims)
    {
        if (!claims.TryGetProperty("aud", out var aud))
        {
            return [];
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToArray(),
            _ => [],
        };
    }
}
