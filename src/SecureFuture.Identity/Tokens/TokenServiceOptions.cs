namespace SecureFuture.Identity.Tokens;

/// <summary>Settings of the token service.</summary>
public sealed record TokenServiceOptions
{
    /// <summary>The exact issuer (<c>iss</c>) of every token; the token key ring is scoped to it.</summary>
    public required Uri Issuer { get; init; }

    /// <summary>The key ring whose active key signs tokens; created on first start, scoped to <see cref="Issuer"/>.</summary>
    public string RingName { get; init; } = "tokens";

    /// <summary>Access token lifetime: default 10 minutes, at most 1 hour.</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Client assertions may not live longer than this (their <c>exp</c> counted from now).</summary>
    public TimeSpan MaxAssertionLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The audience of sfi's own API (<c>/v1/whoami</c>), and the default audience of new clients.</summary>
    public string OwnAudience => new Uri(Issuer, "v1/").AbsoluteUri;

    /// <summary>The token endpoint as clients address it (DPoP <c>htu</c>).</summary>
    public Uri TokenEndpoint => new(Issuer, "oauth2/token");

    /// <summary>Hard maximum for <see cref="AccessTokenLifetime"/>.</summary>
    public static readonly TimeSpan MaxAccessTokenLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// Behind a TLS-terminating proxy: the request header that carries the client's certificate (URL-encoded PEM or base64
    /// DER) for RFC 8705 binding; null for the certificate of the TLS connection itself. Safe only when the proxy removes
    /// the header from client requests and is the only way in.
    /// </summary>
    public string? ClientCertificateHeader { get; init; }

    /// <summary>
    /// RFC 9449 §8: token requests with a DPoP proof must carry a server-provided nonce (handed out in the
    /// <c>DPoP-Nonce</c> header of every token response; a proof without the current one is answered
    /// <c>use_dpop_nonce</c>). Off by default: clients must then make one extra round trip per nonce period.
    /// </summary>
    public bool RequireDpopNonce { get; init; }

    /// <summary>How long one DPoP nonce is handed out (it is accepted for up to twice as long).</summary>
    public TimeSpan DpopNoncePeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Accept only client assertions typed <c>client-authentication+jwt</c> (RFC 7523 as updated in 2025). Off by
    /// default: an assertion without <c>typ</c> (or typed <c>JWT</c>) is accepted when its <c>aud</c> is exactly the
    /// issuer, as openid-client and most libraries send it; every other explicit type is refused either way.
    /// </summary>
    public bool RequireTypedClientAssertions { get; init; }

    /// <summary>
    /// How far in the future a client assertion's <c>iat</c> and <c>nbf</c> may be (clock skew between client and
    /// server); beyond it the assertion is refused (RFC 7523 §3 items 5 and 6).
    /// </summary>
    public static readonly TimeSpan AssertionClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>DPoP signing algorithms accepted at the token endpoint (advertised in discovery).</summary>
    public static readonly IReadOnlyList<string> DpopAlgorithms = ["ES256", "ES384", "PS256", "RS256"];
}
