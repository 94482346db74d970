using System.Security.Cryptography.X509Certificates;

namespace SecureFuture.Identity.Validation;

/// <summary>What a resource server decided about a request's credentials.</summary>
/// <param name="Principal">The validated principal, or null.</param>
/// <param name="Scheme">The scheme the client used (<c>Bearer</c> or <c>DPoP</c>).</param>
/// <param name="Error">The OAuth error code for <c>WWW-Authenticate</c> when refused (<c>invalid_token</c>, <c>invalid_dpop_proof</c>, <c>invalid_request</c>).</param>
/// <param name="Description">Why, in words.</param>
/// <param name="BoundKey">The DPoP key thumbprint the token is bound to, when it is.</param>
public sealed record ResourceRequestOutcome(ValidatedPrincipal? Principal, string Scheme, string? Error, string? Description, string? BoundKey)
{
    public bool IsValid => Principal is not null;

    /// <summary>What kind of refusal this is, for attack detection (<see cref="Refusal.None"/> when accepted).</summary>
    public Refusal Refusal { get; init; }

    /// <summary>
    /// For a refused request whose token did verify (a stolen token without its proof, a replayed proof, a revoked
    /// token): the token's principal, i.e. whose token is being misused. Null otherwise: an unverified token names no one.
    /// </summary>
    public ValidatedPrincipal? RefusedPrincipal { get; init; }

    /// <summary>The client certificate thumbprint (<c>cnf.x5t#S256</c>, RFC 8705) the accepted token is bound to, when it is.</summary>
    public string? BoundCertificate { get; init; }

    /// <summary>How the accepted token is sender-constrained: <c>dpop</c>, <c>mtls</c>, <c>dpop+mtls</c> or <c>none</c>.</summary>
    public string Binding => (BoundKey, BoundCertificate) switch
    {
        (not null, not null) => "dpop+mtls",
        (not null, null) => "dpop",
        (null, not null) => "mtls",
        _ => "none",
    };

    /// <summary>The <c>WWW-Authenticate</c> header value for a refusal (RFC 6750 §3, RFC 9449 §7.1).</summary>
    public string Challenge(IReadOnlyList<string> dpopAlgorithms)
    {
        ArgumentNullException.ThrowIfNull(dpopAlgorithms);
        var description = (Description ?? string.Empty).Replace("\\", string.Empty, StringComparison.Ordinal).Replace("\"", "'", StringComparison.Ordinal);
        var error = Error is null ? string.Empty : $" error=\"{Error}\", error_description=\"{description}\"";
        return Scheme == "DPoP" || Error == "invalid_dpop_proof"
            ? $"DPoP algs=\"{string.Join(' ', dpopAlgorithms)}\"," + error
            : "Bearer" + error;
    }
}

/// <summary>
/// Checks the credentials of one request to a resource server: the access token (through
/// <see cref="StrictTokenValidator"/>) and, for a token bound to a key (<c>cnf.jkt</c>), the DPoP proof that must come
/// with it; for a token bound to a TLS client certificate (<c>cnf.x5t#S256</c>, RFC 8705 §3), that certificate on the
/// connection. A bound token presented as a plain Bearer token, without its proof or its certificate, is refused
/// (RFC 9449 §7.2, RFC 8705 §3): stealing it must not be enough. A <c>cnf</c> that cannot be checked is refused too.
/// </summary>
/// <remarks>
/// With a <see cref="ContinuousAccessEvaluation"/>, a token that security events have invalidated (disabled client,
/// changed credentials, revoked sessions) is refused too.
/// </remarks>
public sealed class ResourceRequestValidator(StrictTokenValidator tokens, DpopProofValidator proofs, ContinuousAccessEvaluation? evaluation = null)
{
    public Task<ResourceRequestOutcome> ValidateAsync(string? authorization, IReadOnlyList<string> dpopHeaders, string method, Uri requestUri, CancellationToken cancellationToken)
        => ValidateAsync(authorization, dpopHeaders, method, requestUri, clientCertificate: null, cancellationToken);

    /// <param name="clientCertificate">
    /// The TLS client certificate of the request (<c>HttpContext.Connection.ClientCertificate</c>, or the one a trusted
    /// proxy forwarded); null when none was presented.
    /// </param>
    /// <remarks>Every refusal is counted in the metric <c>sfi.validation.refusals</c> (meter <see cref="MeterName"/>), by kind.</remarks>
    public async Task<ResourceRequestOutcome> ValidateAsync(
        string? authorization, IReadOnlyList<string> dpopHeaders, string method, Uri requestUri, X509Certificate2? clientCertificate, CancellationToken cancellationToken)
    {
        var outcome = await DecideAsync(authorization, dpopHeaders, method, requestUri, clientCertificate, cancellationToken);
        if (!outcome.IsValid)
        {
            Refusals.Add(1, new KeyValuePair<string, object?>("reason", outcome.Refusal.Name()), new KeyValuePair<string, object?>("attack", outcome.Refusal.IsAttack()));
        }

        return outcome;
    }

    /// <summary>The meter of the validation library (for OpenTelemetry or <c>dotnet-counters</c>).</summary>
    public const string MeterName = "SecureFuture.Identity.Validation";

    private static readonly System.Diagnostics.Metrics.Meter Meter = new(MeterName);

    private static readonly System.Diagnostics.Metrics.Counter<long> Refusals =
        Meter.CreateCounter<long>("sfi.validation.refusals", description: "Requests refused by the validation library, by kind of refusal and whether it points at an attack");

    private async Task<ResourceRequestOutcome> DecideAsync(
        string? authorization, IReadOnlyList<string> dpopHeaders, string method, Uri requestUri, X509Certificate2? clientCertificate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dpopHeaders);
        if (string.IsNullOrEmpty(authorization))
        {
            return new ResourceRequestOutcome(null, "Bearer", null, "no credentials", null) { Refusal = Refusal.Missing };
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? authorization[..space] : authorization;
        var token = space > 0 ? authorization[(space + 1)..].Trim() : string.Empty;
        var isDpop = scheme.Equals("DPoP", StringComparison.OrdinalIgnoreCase);
        if (!isDpop && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return new ResourceRequestOutcome(null, "Bearer", "invalid_request", $"unsupported authorization scheme '{scheme}'", null) { Refusal = Refusal.Malformed };
        }

        var schemeName = isDpop ? "DPoP" : "Bearer";
        if (token.Length == 0)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_request", "the authorization header has no token", null) { Refusal = Refusal.Malformed };
        }

        var outcome = await tokens.ValidateAsync(token, cancellationToken);
        if (!outcome.IsValid)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_token", outcome.Error, null) { Refusal = outcome.Refusal };
        }

        var principal = outcome.Principal!;
        if (evaluation?.Evaluate(principal) is { } refusal)
        {
            return new ResourceRequestOutcome(null, schemeName, refusal.Error, refusal.Description, null) { Refusal = Refusal.Revoked, RefusedPrincipal = principal };
        }

        if (!CertificateBinding.TryReadConfirmation(principal.Claims, out var confirmation, out var malformed))
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_token", malformed, null) { Refusal = Refusal.Malformed, RefusedPrincipal = principal };
        }

        // RFC 8705 §3: the certificate of this connection must be the one the token was issued to. Checked whatever the
        // scheme, so a token bound to both a DPoP key and a certificate needs both.
        var boundCertificate = confirmation.CertificateThumbprint;
        if (boundCertificate is not null && !CertificateBinding.Matches(boundCertificate, clientCertificate))
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_token", clientCertificate is null
                ? "the token is bound to a TLS client certificate (RFC 8705); present it over mutual TLS"
                : "the token is bound to another TLS client certificate than the one presented", null)
            { Refusal = Refusal.BindingViolation, RefusedPrincipal = principal };
        }

        var boundKey = confirmation.JwkThumbprint;
        if (!isDpop)
        {
            return boundKey is null
                ? new ResourceRequestOutcome(principal, schemeName, null, null, null) { BoundCertificate = boundCertificate }
                : new ResourceRequestOutcome(null, schemeName, "invalid_token", "the token is bound to a DPoP key; present it with the DPoP scheme and a proof", null) { Refusal = Refusal.BindingViolation, RefusedPrincipal = principal };
        }

        if (boundKey is null)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_token", "the DPoP scheme needs a DPoP-bound token", null) { Refusal = Refusal.Malformed, RefusedPrincipal = principal };
        }

        if (dpopHeaders.Count != 1)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_dpop_proof", "send exactly one DPoP proof", null) { Refusal = Refusal.InvalidProof, RefusedPrincipal = principal };
        }

        var proof = await proofs.ValidateAsync(dpopHeaders[0], method, requestUri, accessToken: token, cancellationToken: cancellationToken);
        if (!proof.IsValid)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_dpop_proof", proof.Error, null) { Refusal = proof.IsReplay ? Refusal.ReplayedProof : Refusal.InvalidProof, RefusedPrincipal = principal };
        }

        return proof.Proof!.JwkThumbprint == boundKey
            ? new ResourceRequestOutcome(principal, schemeName, null, null, boundKey) { BoundCertificate = boundCertificate }
            : new ResourceRequestOutcome(null, schemeName, "invalid_dpop_proof", "the DPoP proof is signed by another key than the one the token is bound to", null) { Refusal = Refusal.BindingViolation, RefusedPrincipal = principal };
    }
}
