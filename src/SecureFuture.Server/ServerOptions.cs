using SecureFuture.Findings.Sla;

namespace SecureFuture.Server;

/// <summary>How <c>sfi serve</c> runs: where its state lives, which HSM holds its keys and where it listens.</summary>
public sealed record ServerOptions
{
    /// <summary>The data directory: <c>sfi.db</c> (SQLite) and the default SoftHSM2 token under <c>hsm/</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Listening URLs, e.g. <c>http://127.0.0.1:5080</c>; port 0 picks a free port.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5080"];

    /// <summary>Relaxed minimums (rotation down to PT10S) and a one-second scheduler, for tests and demos.</summary>
    public bool Dev { get; init; }

    /// <summary>A PostgreSQL connection string; SQLite under the data directory when null.</summary>
    public string? Database { get; init; }

    /// <summary>Another PKCS#11 module instead of the default SoftHSM2 token (with <see cref="TokenLabel"/> and <see cref="PinFile"/>).</summary>
    public string? Pkcs11Module { get; init; }

    public string? TokenLabel { get; init; }

    public string? PinFile { get; init; }

    /// <summary>The bootstrap admin key (from SFI_ADMIN_KEY); generated and shown once when null.</summary>
    public string? BootstrapAdminKey { get; init; }

    /// <summary>
    /// Whether the bootstrap admin key exists and opens <c>/v1/*</c> (for automation). With false none is generated or
    /// accepted, and people use the web console with passkeys; the console shows which it is.
    /// </summary>
    public bool AdminKey { get; init; } = true;

    /// <summary>The origin browsers reach the web console at (its host is the passkeys' RP id); default: the first URL, 127.0.0.1 read as localhost.</summary>
    public Uri? ConsoleOrigin { get; init; }

    /// <summary>How often the scheduler drives rotations; defaults to 1 s with <see cref="Dev"/>, else 15 s.</summary>
    public TimeSpan? SchedulerInterval { get; init; }

    /// <summary>PEM certificate (with its chain) for https URLs.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; init; }

    /// <summary>
    /// Allow plain http on addresses other than loopback. Off by default: the admin key and signing requests would
    /// cross the network in clear text.
    /// </summary>
    public bool AllowPlainHttp { get; init; }

    /// <summary>
    /// Turns on the OAuth token service with this exact issuer (https, or http on loopback): tokens are signed by the
    /// ring <c>tokens</c>, created on first start and scoped to this issuer. Off when null.
    /// </summary>
    public Uri? Issuer { get; init; }

    /// <summary>
    /// Behind a TLS-terminating proxy: the request header in which the proxy forwards the client's TLS certificate
    /// (URL-encoded PEM or base64 DER), for certificate-bound tokens (RFC 8705). Off (null) by default: the certificate
    /// comes from the TLS connection. Safe only when the proxy removes this header from every client request and is the
    /// only way to reach the server; with it set, the connection's own certificate is ignored.
    /// </summary>
    public string? ClientCertificateHeader { get; init; }

    /// <summary>
    /// Allow security-event push endpoints (RFC 8935) on loopback, link-local, private and other non-public addresses,
    /// and http to a loopback receiver. Off by default: an admin-given URL the server calls on its own is otherwise a
    /// way to reach cloud metadata and local services (server-side request forgery).
    /// </summary>
    public bool AllowPrivatePushEndpoints { get; init; }

    /// <summary>
    /// A file whose first line is the bearer token that reads <c>/metrics</c> (and nothing else). Without it only an
    /// admin key reads metrics, which name clients and key rings.
    /// </summary>
    public string? MetricsTokenFile { get; init; }

    /// <summary>Token requests with a DPoP proof must carry the server's current nonce (RFC 9449 §8).</summary>
    public bool RequireDpopNonce { get; init; }

    /// <summary>
    /// Client assertions must be typed <c>client-authentication+jwt</c> (RFC 7523 as updated in 2025); by default an
    /// untyped one (or <c>JWT</c>) whose <c>aud</c> is exactly the issuer is accepted too.
    /// </summary>
    public bool RequireTypedClientAssertions { get; init; }

    /// <summary>Access token lifetime (default PT10M, at most PT1H).</summary>
    public TimeSpan? AccessTokenLifetime { get; init; }

    /// <summary>
    /// The longest <c>maxTokenLifetime</c> a key ring may have, and the longest token any ring signs (default PT24H,
    /// at most P90D).
    /// </summary>
    public TimeSpan? MaximumTokenLifetime { get; init; }

    /// <summary>The environment variable that names <see cref="FaultExitAt"/>.</summary>
    public const string FaultExitAtVariable = "SFI_FAULT_EXIT_AT";

    /// <summary>
    /// Test-only: a <see cref="SecureFuture.Keys.KeyFaultPoints"/> name at which the process kills itself (SIGKILL), to
    /// prove that a crash at that step leaves a key store that a restart reconciles. Refused without <see cref="Dev"/>.
    /// </summary>
    public string? FaultExitAt { get; init; }

    /// <summary>
    /// Logging providers added to the console's (an embedding host's own sink, or a test's recorder). The providers
    /// are the caller's: the server does not dispose them.
    /// </summary>
    public IReadOnlyList<Microsoft.Extensions.Logging.ILoggerProvider> LoggerProviders { get; init; } = [];

    /// <summary>The clock for every lifecycle decision.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The findings hub's SLA policy: deadline windows per severity and project criticality (docs/findings-lifecycle.md).</summary>
    public SlaPolicy FindingsSla { get; init; } = SlaPolicy.Default;

    /// <summary>CISA's Known Exploited Vulnerabilities catalogue the hub flags findings and shortens deadlines with (empty: none).</summary>
    public KevCatalog FindingsKev { get; init; } = KevCatalog.Empty;
}
