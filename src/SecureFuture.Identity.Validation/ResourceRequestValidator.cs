using System.Text.Json;

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
/// with it. A bound token presented as a plain Bearer token is refused (RFC 9449 §7.2): stealing it must not be enough.
/// </summary>
/// <remarks>
/// With a <see cref="ContinuousAccessEvaluation"/>, a token that security events have invalidated (disabled client,
/// changed credentials, revoked sessions) is refused too.
/// </remarks>
public sealed class ResourceRequestValidator(StrictTokenValidator tokens, DpopProofValidator proofs, ContinuousAccessEvaluation? evaluation = null)
{
    public async Task<ResourceRequestOutcome> ValidateAsync(string? authorization, IReadOnlyList<string> dpopHeaders, string method, Uri requestUri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dpopHeaders);
        if (string.IsNullOrEmpty(authorization))
        {
            return new ResourceRequestOutcome(null, "Bearer", null, "no credentials", null);
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? authorization[..space] : authorization;
        var token = space > 0 ? authorization[(space + 1)..].Trim() : string.Empty;
        var isDpop = scheme.Equals("DPoP", StringComparison.OrdinalIgnoreCase);
        if (!isDpop && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return new ResourceRequestOutcome(null, "Bearer", "invalid_request", $"unsupported authorization scheme '{scheme}'", null);
        }

        var schemeName = isDpop ? "DPoP" : "Bearer";
        if (token.Length == 0)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_request", "the authorization header has no token", null);
        }

        var outcome = await tokens.ValidateAsync(token, cancellationToken);
        if (!outcome.IsValid)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_token", outcome.Error, null);
        }

        var principal = outcome.Principal!;
        if (evaluation?.Evaluate(principal) is { } refusal)
        {
            return new ResourceRequestOutcome(null, isDpop ? "DPoP" : "Bearer", refusal.Error, refusal.Description, null);
        }

        var boundKey = principal.Claims.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object
            && cnf.TryGetProperty("jkt", out var jkt) && jkt.ValueKind == JsonValueKind.String ? jkt.GetString() : null;
        if (!isDpop)
        {
            return boundKey is null
                ? new ResourceRequestOutcome(principal, schemeName, null, null, null)
                : new ResourceRequestOutcome(null, schemeName, "invalid_token", "the token is bound to a DPoP key; present it with the DPoP scheme and a proof", null);
        }

        if (boundKey is null)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_token", "the DPoP scheme needs a DPoP-bound token", null);
        }

        if (dpopHeaders.Count != 1)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_dpop_proof", "send exactly one DPoP proof", null);
        }

        var proof = proofs.Validate(dpopHeaders[0], method, requestUri, accessToken: token);
        if (!proof.IsValid)
        {
            return new ResourceRequestOutcome(null, schemeName, "invalid_dpop_proof", proof.Error, null);
        }

        return proof.Proof!.JwkThumbprint == boundKey
            ? new ResourceRequestOutcome(principal, schemeName, null, null, boundKey)
            : new ResourceRequestOutcome(null, schemeName, "invalid_dpop_proof", "the DPoP proof is signed by another key than the one the token is bound to", null);
    }
}
