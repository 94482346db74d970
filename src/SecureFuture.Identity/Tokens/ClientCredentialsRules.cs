using Microsoft.AspNetCore.Http;
using SecureFuture.Identity.Clients;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// The token endpoint's rules for a <c>client_credentials</c> request, one place each: OpenIddict's pipeline
/// (<see cref="TokenServiceHandlers"/>) and the dedicated path (<see cref="ClientCredentialsEndpoint"/>) both ask
/// these. Each returns why a request is refused, or null when the rule holds.
/// </summary>
internal static class ClientCredentialsRules
{
    /// <summary>
    /// RFC 7523 §3 items 4 to 7: an assertion needs <c>jti</c> and <c>exp</c>, must not have expired, may not live longer than
    /// <see cref="TokenServiceOptions.MaxAssertionLifetime"/>, and may not be dated (<c>nbf</c>, <c>iat</c>) in the
    /// future beyond <see cref="TokenServiceOptions.AssertionClockSkew"/>, so it cannot be made now and used later.
    /// Checked before its <c>jti</c> is spent.
    /// </summary>
    public static string? AssertionTimesRefusal(string? jti, DateTimeOffset? expires, DateTimeOffset? notBefore, DateTimeOffset? issuedAt, DateTimeOffset now, TokenServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(jti) || expires is null)
        {
            return "the client assertion needs jti and exp";
        }

        if (expires.Value <= now)
        {
            // RFC 7523 §3 item 4; without this, OpenIddict's path accepted an assertion up to minutes after its exp.
            return "the client assertion has expired";
        }

        if (expires.Value > now + options.MaxAssertionLifetime)
        {
            return $"the client assertion lives longer than {options.MaxAssertionLifetime.TotalMinutes:0} minutes";
        }

        var latest = now + TokenServiceOptions.AssertionClockSkew;
        foreach (var (claim, value) in new[] { ("nbf", notBefore), ("iat", issuedAt) })
        {
            if (value > latest)
            {
                return $"the client assertion's {claim} is in the future (more than {TokenServiceOptions.AssertionClockSkew.TotalSeconds:0} s ahead of this server)";
            }
        }

        return null;
    }

    /// <summary>The identifier that makes a client's assertion single use (RFC 7523 §3 item 7).</summary>
    public static string AssertionSingleUseId(string clientId, string jti) => "assertion:" + clientId + ":" + jti;

    /// <summary>Why the client may not ask for one of <paramref name="scopes"/>: it asks only for scopes it is registered for.</summary>
    public static string? ScopeRefusal(OAuthClient client, IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(client);
        return FirstUnregistered(scopes, client.Scopes) is { } scope ? $"the client may not ask for scope '{scope}'" : null;
    }

    /// <summary>RFC 8707: why the client may not get a token for one of <paramref name="resources"/> (it may for its registered audiences).</summary>
    public static string? ResourceRefusal(OAuthClient client, IEnumerable<string> resources)
    {
        ArgumentNullException.ThrowIfNull(client);
        return FirstUnregistered(resources, client.Audiences) is { } resource ? $"the client may not get tokens for '{resource}'" : null;
    }

    private static string? FirstUnregistered(IEnumerable<string> requested, IEnumerable<string> registered)
    {
        ArgumentNullException.ThrowIfNull(requested);
        return requested.FirstOrDefault(value => !registered.Contains(value, StringComparer.Ordinal));
    }

    /// <summary>
    /// The binding the client is registered for: DPoP (<c>require_dpop</c>) needs a proof; certificate binding
    /// (<c>tls_client_certificate_bound_access_tokens</c>) needs a presented certificate and no proof.
    /// </summary>
    public static string? BindingRefusal(OAuthClient client, bool dpopProofSent, bool certificatePresented)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!dpopProofSent)
        {
            if (client.RequireDpop)
            {
                return "this client's tokens must be DPoP-bound: send a DPoP proof";
            }

            if (client.TlsClientCertificateBoundAccessTokens && !certificatePresented)
            {
                return "this client's tokens must be bound to its TLS client certificate (RFC 8705): connect with mutual TLS and present it";
            }
        }
        else if (client.TlsClientCertificateBoundAccessTokens)
        {
            return "this client's tokens are bound to its TLS client certificate (RFC 8705): send no DPoP proof";
        }

        return null;
    }

    /// <summary>The audiences of the client's token: the resources it asked for, or all of its registered audiences.</summary>
    public static IReadOnlyList<string> Audiences(OAuthClient client, IReadOnlyList<string> requested)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(requested);
        return requested.Count == 0 ? client.Audiences : requested;
    }

    /// <summary>RFC 9449 §8: with nonces on, every token response hands out the current nonce in <c>DPoP-Nonce</c>.</summary>
    public static async ValueTask AttachDpopNonceAsync(DpopNonces nonces, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nonces);
        ArgumentNullException.ThrowIfNull(response);
        if (nonces.Source is not { } source)
        {
            return;
        }

        try
        {
            response.Headers["DPoP-Nonce"] = await source.CurrentAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Without a nonce to hand out the response goes as it is; a client that needs one asks again.
        }
    }
}
