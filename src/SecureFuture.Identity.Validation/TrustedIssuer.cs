namespace SecureFuture.Identity.Validation;

/// <summary>
/// An issuer this resource server accepts, with the only place its keys may come from. A key published at one
/// issuer's JWKS never validates a token that names another issuer.
/// </summary>
/// <param name="Issuer">The exact <c>iss</c> value (compared ordinally, no trailing-slash or case folding).</param>
/// <param name="JwksUri">The issuer's JWKS document (https, or http on loopback for tests).</param>
/// <param name="Audiences">The <c>aud</c> values this resource server answers to for this issuer; at least one.</param>
public sealed record TrustedIssuer(string Issuer, Uri JwksUri, IReadOnlyList<string> Audiences);

/// <summary>Settings with strict defaults; loosening one is always an explicit line of code.</summary>
public sealed record StrictValidationOptions
{
    /// <summary>Asymmetric algorithms accepted at all. <c>none</c> and HMAC can never be added.</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = ["ES256", "ES384", "PS256", "RS256"];

    /// <summary>Tolerated clock difference for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>exp − iat</c> accepted; longer-lived tokens are refused even when signed correctly.</summary>
    public TimeSpan MaxTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often an unknown <c>kid</c> may trigger a JWKS fetch for one issuer.</summary>
    public TimeSpan UnknownKeyRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a fetched JWKS is used at most, whatever its Cache-Control says.</summary>
    public TimeSpan MaxKeySetAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The largest JWKS document read.</summary>
    public int MaxKeySetBytes { get; init; } = 256 * 1024;

    /// <summary>The largest token read.</summary>
    public int MaxTokenBytes { get; init; } = 16 * 1024;
}
