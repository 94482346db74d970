namespace SecureFuture.Identity.Clients;

/// <summary>A registered OAuth client: it authenticates with <c>private_key_jwt</c> against <see cref="Keys"/> only.</summary>
/// <param name="ClientId">The client's identifier (also the <c>iss</c> and <c>sub</c> of its assertions).</param>
/// <param name="Keys">Its public keys.</param>
/// <param name="Scopes">The scopes it may ask for.</param>
/// <param name="Audiences">The resource servers (<c>aud</c> values) its tokens may be issued for.</param>
/// <param name="Enabled">A disabled client gets no tokens, and resource servers are told to refuse the ones it has.</param>
/// <param name="RequireDpop">Tokens for this client are issued only bound to a DPoP key.</param>
/// <param name="TlsClientCertificateBoundAccessTokens">
/// RFC 8705 §3.4 client metadata: tokens for this client are issued only bound to the TLS client certificate it presents.
/// </param>
/// <param name="Revision">Incremented by every change; resource servers compare it to notice key changes.</param>
public sealed record OAuthClient(
    string ClientId, ClientKeySet Keys, IReadOnlyList<string> Scopes, IReadOnlyList<string> Audiences, bool Enabled, bool RequireDpop, bool TlsClientCertificateBoundAccessTokens,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Revision);

/// <summary>A recorded security event (client disabled, keys replaced, ...), the raw material of continuous access evaluation.</summary>
/// <param name="Source">For a refused attempt: where it came from (<see cref="AttemptSource"/>), which throttling counts by.</param>
public sealed record SecurityEvent(long Sequence, DateTimeOffset At, string Type, string? ClientId, string? Subject, string Details, string? Source = null);

/// <summary>A push delivery stream (RFC 8935): SETs after <see cref="Delivered"/> are POSTed to <see cref="Endpoint"/>.</summary>
public sealed record PushSubscription(string Id, Uri Endpoint, long Delivered, DateTimeOffset CreatedAt);
