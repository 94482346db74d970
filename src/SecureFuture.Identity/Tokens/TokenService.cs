using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;
using SecureFuture.Identity.Validation.AspNetCore;
using SecureFuture.Keys;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

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

/// <summary>
/// The OAuth 2.0 token service of <c>sfi serve</c>, built on OpenIddict's server. OpenIddict handles the protocol
/// (request parsing, client-assertion validation, token creation, discovery); this class adds what it leaves to the
/// host in degraded mode, and what it lacks:
/// client lookup and keys from the client registry (<c>private_key_jwt</c> only, client secrets off), assertion replay
/// detection, signing in the HSM with the active key of the issuer's ring, discovery pointing at that ring's JWKS,
/// DPoP (RFC 9449) binding at the token endpoint, and, for a client that presents a TLS client certificate without a
/// DPoP proof, certificate binding (RFC 8705 §3).
/// </summary>
public static class TokenService
{
    internal const string JktProperty = "sfi.dpop.jkt";
    internal const string X5tProperty = "sfi.mtls.x5t";

    /// <summary>Where the request came from, as throttling counts it.</summary>
    internal static string? SourceOf(OpenIddictServerTransaction transaction)
        => AttemptSource.Of(transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress);

    /// <summary>Registers the token service; the host must also register <see cref="ClientService"/> and <see cref="KeyRingService"/>.</summary>
    /// <param name="evaluation">What security events have said so far; introspection reports tokens it refuses as inactive.</param>
    /// <param name="replays">
    /// Where client-assertion and DPoP proof identifiers are remembered; this process's memory when null (tests only:
    /// a replay right after a restart would be accepted). Every node that serves the same issuer must share one
    /// (<see cref="SqlReplayCache"/>), or an assertion or proof replayed to another node is accepted there.
    /// </param>
    public static IServiceCollection AddSfiTokenService(this IServiceCollection services, TokenServiceOptions options, TimeProvider clock, ContinuousAccessEvaluation evaluation, IReplayCache? replays = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (options.AccessTokenLifetime <= TimeSpan.Zero || options.AccessTokenLifetime > TokenServiceOptions.MaxAccessTokenLifetime)
        {
            throw new ArgumentException($"the access token lifetime must be more than zero and at most {TokenServiceOptions.MaxAccessTokenLifetime}", nameof(options));
        }

        replays ??= new ReplayCache(clock);
        services.AddSingleton(options);
        services.AddSingleton(new DpopProofValidator(new DpopOptions { Algorithms = TokenServiceOptions.DpopAlgorithms }, clock, replays));
        services.AddSingleton(new AssertionReplayCache(replays, clock));
        services.AddSingleton(new RingKeyCache());
        services.AddSingleton(provider => new DpopNonces(options.RequireDpopNonce
            ? new DpopNonceSource(provider.GetRequiredService<ClientService>().Store, clock, options.DpopNoncePeriod)
            : null));
        services.AddSingleton(evaluation);
        services.AddOpenIddict().AddServer(server =>
        {
            server.SetIssuer(options.Issuer);
            server.SetTokenEndpointUris("oauth2/token");
            server.SetConfigurationEndpointUris(".well-known/openid-configuration");
            server.SetIntrospectionEndpointUris("oauth2/introspect");
            server.SetRevocationEndpointUris("oauth2/revoke");
            server.AllowClientCredentialsFlow();
            server.Configure(o =>
            {
                // private_key_jwt only: no shared secret can leak from a client's configuration.
                o.ClientAuthenticationMethods.Clear();
                o.ClientAuthenticationMethods.Add(ClientAuthenticationMethods.PrivateKeyJwt);
            });
            server.SetAccessTokenLifetime(options.AccessTokenLifetime);
            server.DisableAccessTokenEncryption();
            server.DisableScopeValidation(); // scopes are checked per client by ValidateClientCredentialsRequest

            // RFC 8707: a resource is allowed per client (its registered audiences), not server-wide, so OpenIddict's
            // global resource list (empty here, which refused every resource) is off; ValidateClientCredentialsRequest
            // checks each requested resource against the client's audiences. OpenIddict still refuses a resource that
            // is not an absolute URI without a fragment (RFC 8707 §2).
            server.DisableResourceValidation();

            // Degraded mode: no OpenIddict stores. Clients live in sfi's registry, and the handlers below do the checks
            // that OpenIddict's application manager would otherwise do.
            server.EnableDegradedMode();

            // OpenIddict insists on one signing credential at start; this one is the ring itself, and the handler
            // below replaces it per token with the ring's active key version. No key material is in this process.
            server.AddSigningCredentials(new SigningCredentials(new PlaceholderRingKey(options.RingName), SecurityAlgorithms.EcdsaSha256));
            server.AddEphemeralEncryptionKey(); // required by OpenIddict's option checks; access tokens are not encrypted and no other token type is issued

            server.UseAspNetCore().DisableTransportSecurityRequirement(); // sfi serve decides about TLS for every endpoint

            server.AddEventHandler(ResolveClientKeys.Descriptor);
            server.AddEventHandler(ResolveRingKeys.Descriptor);
            server.RemoveEventHandler(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor);
            server.RemoveEventHandler(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor);
            server.AddEventHandler(RequireClientAssertion<ValidateIntrospectionRequestContext>.Descriptor(OpenIddictServerHandlers.Introspection.ValidateAuthentication.Descriptor));
            server.AddEventHandler(RequireClientAssertion<ValidateRevocationRequestContext>.Descriptor(OpenIddictServerHandlers.Revocation.ValidateAuthentication.Descriptor));
            server.AddEventHandler(AuthorizeIntrospection.Descriptor);
            server.AddEventHandler(AuthorizeRevocation.Descriptor);
            server.AddEventHandler(EvaluateIntrospectedToken.Descriptor);
            server.AddEventHandler(RevokeAccessToken.Descriptor);
            server.AddEventHandler(RejectReplayedAssertion.Descriptor);
            server.AddEventHandler(ValidateClientCredentialsRequest.Descriptor);
            server.AddEventHandler(IssueClientToken.Descriptor);
            server.AddEventHandler(SignInTheHsm.Descriptor);
            server.AddEventHandler(BindToDpopKey.Descriptor);
            server.AddEventHandler(BindToClientCertificate.Descriptor);
            server.AddEventHandler(AttachIntrospectedConfirmation.Descriptor);
            server.AddEventHandler(AnnounceDpopTokenType.Descriptor);
            server.AddEventHandler(AttachDpopNonce.Descriptor);
            server.AddEventHandler(RecordTokenOutcome.Descriptor);
            server.AddEventHandler(DescribeTokenService.Descriptor);
            server.AddEventHandler(AdvertisePrivateKeyJwtOnly.Descriptor);
        });
        return services;
    }

    /// <summary>Client assertions are looked up, never trusted: the registry says which keys may sign for a client.</summary>
    internal sealed class ResolveClientKeys(ClientService clients, TokenServiceOptions options) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseScopedHandler<ResolveClientKeys>()
            .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (!context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion))
            {
                return;
            }

            if (ClientAssertionType.UnreadableJson(context.Token) is { } unreadable)
            {
                context.Reject(Errors.InvalidClient, unreadable);
                return;
            }

            // The issuer of an assertion is the client (RFC 7523 §3): read it only to find the client's registered keys;
            // the signature, issuer, audience and lifetime are then checked by OpenIddict against those keys alone.
            var unverified = ClientAssertionType.ReadUnverified(context.Token);
            var clientId = unverified?.Issuer is { Length: > 0 } issuer ? issuer : null;
            var client = clientId is null ? null : await clients.FindAsync(clientId, context.CancellationToken);
            var source = SourceOf(context.Transaction);
            if (clients.ThrottledFor(client?.ClientId, source) is { } wait && !await IsSignedByAsync(unverified, client))
            {
                // Rate limit after repeated refusals from this source: an attacker guessing at a client's keys or
                // replaying its assertions gets nothing but this answer until the window has passed, and its attempts
                // are no longer stored as events. Refusals count per source, so the client itself is not locked out,
                // and an assertion its registered key signed is never turned away here.
                clients.Metrics.CountEvent("attack.throttled", client?.ClientId);
                context.Reject(Errors.TemporarilyUnavailable, $"too many refused attempts from this address; retry in {Math.Ceiling(wait.TotalSeconds):0} s");
                return;
            }

            if (client is null || !client.Enabled)
            {
                if (client is not null)
                {
                    await clients.RecordAsync("attack.disabled-client", client.ClientId, source, "token request by a disabled client", context.CancellationToken);
                }

                context.Reject(Errors.InvalidClient, client is null ? "the client is not registered" : "the client is disabled");
                return;
            }

            if (unverified is not null && ClientAssertionType.Refusal(unverified, options) is { } refusal)
            {
                context.Reject(Errors.InvalidClient, refusal);
                return;
            }

            var parameters = context.TokenValidationParameters;
            // The type was decided above by ClientAssertionType, which names the reason; what passed is a client assertion.
            parameters.ValidTypes = null;
            parameters.TypeValidator = (_, _, _) => ClientAssertionType.Explicit;
            parameters.IssuerSigningKeys = client.Keys.SecurityKeys;
            parameters.TryAllIssuerSigningKeys = false; // a kid must name one registered key: never "try every key"
            parameters.ValidIssuers = [client.ClientId];
            parameters.ValidAlgorithms = TokenServiceOptions.DpopAlgorithms;
            parameters.RequireSignedTokens = true;
            parameters.RequireExpirationTime = true;
        }

        /// <summary>Whether one of the client's registered keys, named by the assertion's kid, signed it (nothing else is checked).</summary>
        private static async ValueTask<bool> IsSignedByAsync(JsonWebToken? assertion, OAuthClient? client)
        {
            if (assertion is null || client is null)
            {
                return false;
            }

            var result = await SignatureOnly.ValidateTokenAsync(assertion, new TokenValidationParameters
            {
                IssuerSigningKeys = client.Keys.SecurityKeys,
                TryAllIssuerSigningKeys = false,
                ValidAlgorithms = TokenServiceOptions.DpopAlgorithms,
                ValidateIssuer = false, // sfi:ignore SFI-CODE-107 signature-only probe: decides whether a throttled client may still be heard; the assertion is then fully validated by OpenIddict
                ValidateAudience = false, // sfi:ignore SFI-CODE-107 signature-only probe: decides whether a throttled client may still be heard; the assertion is then fully validated by OpenIddict
                ValidateLifetime = false, // sfi:ignore SFI-CODE-107 signature-only probe: decides whether a throttled client may still be heard; the assertion is then fully validated by OpenIddict
                TypeValidator = (type, _, _) => type ?? string.Empty,
            });
            return result.IsValid;
        }

        private static readonly JsonWebTokenHandler SignatureOnly = new();

    }

    /// <summary>Access tokens presented for introspection or revocation are verified with the token ring's published keys only.</summary>
    internal sealed class ResolveRingKeys(KeyRingService keys, TokenServiceOptions options, RingKeyCache cache) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseSingletonHandler<ResolveRingKeys>()
            .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 501)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion))
            {
                return;
            }

            var (jwks, _) = await keys.GetJwksAsync(options.RingName, context.CancellationToken);
            var parameters = context.TokenValidationParameters;
            parameters.IssuerSigningKeys = cache.For(jwks);
            parameters.TryAllIssuerSigningKeys = false;
            parameters.ValidAlgorithms = TokenServiceOptions.DpopAlgorithms;
        }
    }

    /// <summary>
    /// RFC 7662 §2.1 and RFC 7009 §2.1: the caller of introspection or revocation authenticates before anything about the
    /// token is looked at. Without this, a request with no client assertion (a bare <c>client_id</c>) went on to token
    /// validation, and OpenIddict answers an invalid token with <c>{"active": false}</c> (introspection) or 200
    /// (revocation), telling an unauthenticated caller whether a token is live. The assertion itself (its client,
    /// signature, type, times and single use) is checked next by OpenIddict's authentication with the handlers above.
    /// </summary>
    internal sealed class RequireClientAssertion<TContext> : IOpenIddictServerHandler<TContext>
        where TContext : BaseValidatingClientContext
    {
        /// <summary>Runs just before <paramref name="authentication"/>, the endpoint's client and token validation.</summary>
        public static OpenIddictServerHandlerDescriptor Descriptor(OpenIddictServerHandlerDescriptor authentication)
            => OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
                .UseSingletonHandler<RequireClientAssertion<TContext>>()
                .SetOrder(authentication.Order - 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(TContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var request = context.Transaction.Request;
            if (string.IsNullOrEmpty(request?.ClientAssertion) || request.ClientAssertionType != ClientAssertionTypes.JwtBearer)
            {
                context.Reject(Errors.InvalidClient, "this endpoint needs a client authenticated with private_key_jwt");
            }

            return default;
        }
    }

    /// <summary>The token's own client may introspect it; so may a client registered with scope <c>sfi.introspect</c> (a resource server).</summary>
    internal sealed class AuthorizeIntrospection(ClientService clients) : IOpenIddictServerHandler<ValidateIntrospectionRequestContext>
    {
        public const string Scope = "sfi.introspect";

        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateIntrospectionRequestContext>()
            .UseScopedHandler<AuthorizeIntrospection>()
            .SetOrder(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ValidateIntrospectionRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var caller = context.ClientId is { } id ? await clients.FindAsync(id, context.CancellationToken) : null;
            if (caller is null || !caller.Enabled || string.IsNullOrEmpty(context.Request.ClientAssertion))
            {
                context.Reject(Errors.InvalidClient, "introspection needs an enabled client authenticated with private_key_jwt");
                return;
            }

            var owner = context.GenericTokenPrincipal?.GetClaim(Claims.ClientId);
            if (owner != caller.ClientId && !caller.Scopes.Contains(Scope, StringComparer.Ordinal))
            {
                context.Reject(Errors.InvalidToken, "the token cannot be introspected by this client");
            }
        }
    }

    /// <summary>RFC 7009 §2.1: only the client the token was issued to may revoke it.</summary>
    internal sealed class AuthorizeRevocation(ClientService clients) : IOpenIddictServerHandler<ValidateRevocationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateRevocationRequestContext>()
            .UseScopedHandler<AuthorizeRevocation>()
            .SetOrder(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ValidateRevocationRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var caller = context.ClientId is { } id ? await clients.FindAsync(id, context.CancellationToken) : null;
            if (caller is null || string.IsNullOrEmpty(context.Request.ClientAssertion))
            {
                context.Reject(Errors.InvalidClient, "revocation needs a client authenticated with private_key_jwt");
                return;
            }

            if (context.GenericTokenPrincipal?.GetClaim(Claims.ClientId) != caller.ClientId)
            {
                context.Reject(Errors.UnsupportedTokenType, "a client may revoke only its own tokens");
            }
        }
    }

    /// <summary>An introspected token that security events have invalidated is reported inactive.</summary>
    internal sealed class EvaluateIntrospectedToken(ContinuousAccessEvaluation evaluation, TokenServiceOptions options) : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
            .UseSingletonHandler<EvaluateIntrospectedToken>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(HandleIntrospectionRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var principal = context.GenericTokenPrincipal;
            var subject = principal?.GetClaim(Claims.Subject);
            if (principal is null || subject is null)
            {
                return default;
            }

            var iat = principal.GetCreationDate()?.ToUnixTimeSeconds() ?? long.MinValue;
            var jti = principal.GetClaim(Claims.JwtId) ?? principal.GetTokenId();
            if (evaluation.Evaluate(options.Issuer.AbsoluteUri + "#" + subject, iat, jti) is { } refusal)
            {
                context.Reject(Errors.InvalidToken, refusal.Description);
            }

            return default;
        }
    }

    /// <summary>
    /// Revocation without token storage: the token's <c>jti</c> becomes a security event, so every resource server that
    /// receives events (and introspection here) refuses it from then on.
    /// </summary>
    internal sealed class RevokeAccessToken(ClientService clients) : IOpenIddictServerHandler<HandleRevocationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
            .UseScopedHandler<RevokeAccessToken>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(HandleRevocationRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var principal = context.GenericTokenPrincipal;
            var jti = principal?.GetClaim(Claims.JwtId) ?? principal?.GetTokenId();
            if (principal is null || jti is null)
            {
                context.Reject(Errors.UnsupportedTokenType, "only access tokens issued here can be revoked");
                return;
            }

            await clients.RevokeTokenAsync(principal.GetClaim(Claims.ClientId)!, jti, context.CancellationToken);
        }
    }

    /// <summary>
    /// An assertion is good for one token request (RFC 7523 §3 item 7 allows the server to enforce one-time use): its
    /// <c>jti</c> is remembered until it expires, and an assertion living longer than a few minutes, or dated in the
    /// future, is refused.
    /// </summary>
    internal sealed class RejectReplayedAssertion(AssertionReplayCache replays, TokenServiceOptions options, ClientService clients) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseScopedHandler<RejectReplayedAssertion>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidateExpirationDate.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (!context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion) || context.Principal is not { } principal)
            {
                return;
            }

            var client = principal.GetClaim(Claims.Issuer) ?? string.Empty;
            var jti = principal.GetClaim(Claims.JwtId) ?? principal.GetTokenId();
            var expires = principal.GetExpirationDate();
            if (string.IsNullOrEmpty(jti) || expires is null)
            {
                context.Reject(Errors.InvalidClient, "the client assertion needs jti and exp");
                return;
            }

            if (expires.Value > replays.Now + options.MaxAssertionLifetime)
            {
                context.Reject(Errors.InvalidClient, $"the client assertion lives longer than {options.MaxAssertionLifetime.TotalMinutes:0} minutes");
                return;
            }

            // RFC 7523 §3 items 5 and 6: an assertion not yet valid (nbf) or issued in the future (iat), beyond a small
            // clock skew, is refused before its jti is spent, so it cannot be made now and used later.
            var verified = new JsonWebToken(context.Token);
            var latest = replays.Now + TokenServiceOptions.AssertionClockSkew;
            foreach (var (claim, value) in new[] { ("nbf", verified.ValidFrom), ("iat", verified.IssuedAt) })
            {
                if (value != DateTime.MinValue && new DateTimeOffset(value, TimeSpan.Zero) > latest)
                {
                    context.Reject(Errors.InvalidClient, $"the client assertion's {claim} is in the future (more than {TokenServiceOptions.AssertionClockSkew.TotalSeconds:0} s ahead of this server)");
                    return;
                }
            }

            bool first;
            try
            {
                first = await replays.Cache.TryAddAsync("assertion:" + client + ":" + jti, expires.Value, context.CancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Fail closed: an assertion whose single use cannot be checked is not accepted.
                context.Reject(Errors.TemporarilyUnavailable, $"the replay cache is unavailable ({e.GetType().Name}); try again");
                return;
            }

            if (!first)
            {
                await clients.RecordAsync("attack.assertion-replayed", client, SourceOf(context.Transaction), $"jti {jti}", context.CancellationToken);
                context.Reject(Errors.InvalidClient, "the client assertion was already used");
            }
        }
    }

    /// <summary>
    /// Only <c>client_credentials</c> with a client assertion; the client must be registered and enabled, ask only for
    /// its scopes and audiences, and present a valid DPoP proof when it sends one or must, or a TLS client certificate
    /// when it must.
    /// </summary>
    /// <remarks>
    /// Which binding a token gets: a DPoP proof wins (<c>cnf.jkt</c>, token type DPoP), even when a certificate was
    /// presented too; otherwise a presented certificate binds it (<c>cnf.x5t#S256</c>, token type Bearer); otherwise it
    /// is unbound. Never both: RFC 7800 §3.1 lets <c>cnf</c> name one proof-of-possession key. A client registered with
    /// <c>tls_client_certificate_bound_access_tokens</c> must present a certificate and send no proof.
    /// </remarks>
    internal sealed class ValidateClientCredentialsRequest(ClientService clients, DpopProofValidator dpop, DpopNonces nonces, TokenServiceOptions options) : IOpenIddictServerHandler<ValidateTokenRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseScopedHandler<ValidateClientCredentialsRequest>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ValidateTokenRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (!context.Request.IsClientCredentialsGrantType())
            {
                context.Reject(Errors.UnsupportedGrantType, "only client_credentials is supported");
                return;
            }

            if (string.IsNullOrEmpty(context.Request.ClientAssertion) || !string.IsNullOrEmpty(context.Request.ClientSecret))
            {
                context.Reject(Errors.InvalidClient, "client secrets are off: authenticate with private_key_jwt (a client_assertion signed by a registered key)");
                return;
            }

            var client = context.ClientId is { } id ? await clients.FindAsync(id, context.CancellationToken) : null;
            if (client is null || !client.Enabled)
            {
                if (client is not null)
                {
                    await clients.RecordAsync("attack.disabled-client", client.ClientId, SourceOf(context.Transaction), "token request by a disabled client", context.CancellationToken);
                }

                context.Reject(Errors.InvalidClient, client is null ? "the client is not registered" : "the client is disabled");
                return;
            }

            foreach (var scope in context.Request.GetScopes())
            {
                if (!client.Scopes.Contains(scope, StringComparer.Ordinal))
                {
                    context.Reject(Errors.InvalidScope, $"the client may not ask for scope '{scope}'");
                    return;
                }
            }

            foreach (var resource in context.Request.GetResources())
            {
                if (!client.Audiences.Contains(resource, StringComparer.Ordinal))
                {
                    context.Reject(Errors.InvalidTarget, $"the client may not get tokens for '{resource}'");
                    return;
                }
            }

            var http = context.Transaction.GetHttpRequest() ?? throw new InvalidOperationException("the token endpoint runs inside ASP.NET Core");
            var presented = ClientCertificateSource.Read(http.HttpContext, options.ClientCertificateHeader);
            if (presented.Error is not null)
            {
                context.Reject(Errors.InvalidRequest, presented.Error);
                return;
            }

            var proofs = http.Headers["DPoP"];
            if (proofs.Count > 1)
            {
                context.Reject("invalid_dpop_proof", "send one DPoP header");
                return;
            }

            if (proofs.Count == 0)
            {
                if (client.RequireDpop)
                {
                    context.Reject(Errors.InvalidRequest, "this client's tokens must be DPoP-bound: send a DPoP proof");
                    return;
                }

                if (presented.Certificate is { } certificate)
                {
                    context.Transaction.Properties[X5tProperty] = CertificateBinding.Thumbprint(certificate);
                }
                else if (client.TlsClientCertificateBoundAccessTokens)
                {
                    context.Reject(Errors.InvalidRequest, "this client's tokens must be bound to its TLS client certificate (RFC 8705): connect with mutual TLS and present it");
                }

                return;
            }

            if (client.TlsClientCertificateBoundAccessTokens)
            {
                context.Reject(Errors.InvalidRequest, "this client's tokens are bound to its TLS client certificate (RFC 8705): send no DPoP proof");
                return;
            }

            IReadOnlyList<string>? accepted = null;
            if (nonces.Source is { } source)
            {
                try
                {
                    accepted = await source.AcceptedAsync(context.CancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    context.Reject(Errors.TemporarilyUnavailable, $"the DPoP nonces are unavailable ({e.GetType().Name}); try again");
                    return;
                }
            }

            var outcome = await dpop.ValidateAsync(proofs[0], http.Method, options.TokenEndpoint, acceptedNonces: accepted, cancellationToken: context.CancellationToken);
            if (outcome.NeedsNonce)
            {
                context.Reject("use_dpop_nonce", outcome.Error); // RFC 9449 §8; the response carries a fresh DPoP-Nonce
                return;
            }

            if (!outcome.IsValid)
            {
                if (outcome.IsReplay)
                {
                    await clients.RecordAsync("attack.dpop-replayed", client.ClientId, SourceOf(context.Transaction), outcome.Error!, context.CancellationToken);
                }

                context.Reject("invalid_dpop_proof", outcome.Error);
                return;
            }

            context.Transaction.Properties[JktProperty] = outcome.Proof!.JwkThumbprint;
        }
    }

    /// <summary>The token: subject and client are the client; audiences are the requested ones or all of the client's.</summary>
    internal sealed class IssueClientToken(ClientService clients) : IOpenIddictServerHandler<HandleTokenRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseScopedHandler<IssueClientToken>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(HandleTokenRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var client = await clients.FindAsync(context.ClientId!, context.CancellationToken) ?? throw new InvalidOperationException("the client was validated");
            var identity = new ClaimsIdentity(OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
            identity.SetClaim(Claims.Subject, client.ClientId);
            identity.SetClaim(Claims.ClientId, client.ClientId);
            var principal = new ClaimsPrincipal(identity);
            principal.SetScopes(context.Request.GetScopes());
            var requested = context.Request.GetResources();
            principal.SetResources(requested.IsEmpty ? client.Audiences : requested);
            principal.SetDestinations(_ => [Destinations.AccessToken]);
            context.SignIn(principal);
        }
    }

    /// <summary>Every access token is signed in the HSM by the active key of the token ring, named by its kid.</summary>
    internal sealed class SignInTheHsm(KeyRingService keys, TokenServiceOptions options) : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<SignInTheHsm>()
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(GenerateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.TokenType != TokenTypeIdentifiers.AccessToken)
            {
                // No other token type is issued by this service; refuse to sign one with a stand-in key.
                throw new InvalidOperationException($"the token service issues access tokens only, not {context.TokenType}");
            }

            var (_, active) = await keys.GetActiveAsync(options.RingName, context.CancellationToken);
            context.SigningCredentials = new SigningCredentials(new RingSecurityKey(keys, options.RingName, active.Kid, active.Algorithm), active.Algorithm.Name);
        }
    }

    /// <summary>RFC 9449 §6.1: a bound token carries the thumbprint of the proof's key as <c>cnf.jkt</c>.</summary>
    internal sealed class BindToDpopKey : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<BindToDpopKey>()
            .SetOrder(OpenIddictServerHandlers.Protection.GenerateIdentityModelToken.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(GenerateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.TokenType == TokenTypeIdentifiers.AccessToken && context.Transaction.Properties.TryGetValue(JktProperty, out var jkt) && jkt is string thumbprint)
            {
                var descriptor = context.SecurityTokenDescriptor;
                descriptor.Claims ??= new Dictionary<string, object>(StringComparer.Ordinal);
                descriptor.Claims["cnf"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["jkt"] = thumbprint };
            }

            return default;
        }
    }

    /// <summary>
    /// RFC 8705 §3.1: a token issued to a client that presented a TLS certificate (and no DPoP proof) carries the
    /// certificate's SHA-256 thumbprint as <c>cnf.x5t#S256</c>; its <c>token_type</c> stays Bearer (RFC 8705 §3).
    /// </summary>
    internal sealed class BindToClientCertificate : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<BindToClientCertificate>()
            .SetOrder(OpenIddictServerHandlers.Protection.GenerateIdentityModelToken.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(GenerateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.TokenType == TokenTypeIdentifiers.AccessToken && context.Transaction.Properties.TryGetValue(X5tProperty, out var x5t) && x5t is string thumbprint)
            {
                if (context.Transaction.Properties.ContainsKey(JktProperty))
                {
                    throw new InvalidOperationException("a token is bound to a DPoP key or a certificate, never both");
                }

                var descriptor = context.SecurityTokenDescriptor;
                descriptor.Claims ??= new Dictionary<string, object>(StringComparer.Ordinal);
                descriptor.Claims["cnf"] = new Dictionary<string, object>(StringComparer.Ordinal) { [CertificateBinding.ThumbprintMember] = thumbprint };
            }

            return default;
        }
    }

    /// <summary>
    /// RFC 7662 §2.2 with RFC 8705 §3.2 and RFC 9449 §6.2: the introspection answer for a bound token carries its
    /// <c>cnf</c>, so a resource server that introspects can check the binding.
    /// </summary>
    internal sealed class AttachIntrospectedConfirmation : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
            .UseSingletonHandler<AttachIntrospectedConfirmation>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(HandleIntrospectionRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.GenericTokenPrincipal?.GetClaim("cnf") is not { Length: > 0 } cnf)
            {
                return default;
            }

            try
            {
                using var document = JsonDocument.Parse(cnf);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    context.Claims["cnf"] = new OpenIddictParameter(document.RootElement.Clone());
                }
            }
            catch (JsonException)
            {
                // Only this service's tokens get here, and it writes cnf as an object; anything else is left out.
            }

            return default;
        }
    }

    /// <summary>RFC 9449 §5: a bound token is issued with <c>token_type</c> <c>DPoP</c>.</summary>
    internal sealed class AnnounceDpopTokenType : IOpenIddictServerHandler<ApplyTokenResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<AnnounceDpopTokenType>()
            .SetOrder(int.MinValue + 100)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(ApplyTokenResponseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Transaction.Properties.ContainsKey(JktProperty) && !string.IsNullOrEmpty(context.Response.AccessToken))
            {
                context.Response.TokenType = "DPoP";
            }

            return default;
        }
    }

    /// <summary>RFC 9449 §8: with nonces on, every token response hands out the current nonce in <c>DPoP-Nonce</c>.</summary>
    internal sealed class AttachDpopNonce(DpopNonces nonces) : IOpenIddictServerHandler<ApplyTokenResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<AttachDpopNonce>()
            .SetOrder(int.MinValue + 150)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ApplyTokenResponseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (nonces.Source is not { } source || context.Transaction.GetHttpRequest()?.HttpContext.Response is not { } response)
            {
                return;
            }

            try
            {
                response.Headers["DPoP-Nonce"] = await source.CurrentAsync(context.CancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Without a nonce to hand out the response goes as it is; a client that needs one asks again.
            }
        }
    }

    /// <summary>
    /// Counts every issued token, and records every refused client authentication (bad signature, unknown kid,
    /// expired or foreign assertion) as a security event of the client it named, for the audit trail and the metrics.
    /// </summary>
    internal sealed class RecordTokenOutcome(ClientService clients) : IOpenIddictServerHandler<ApplyTokenResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseScopedHandler<RecordTokenOutcome>()
            .SetOrder(int.MinValue + 200)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public async ValueTask HandleAsync(ApplyTokenResponseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (!string.IsNullOrEmpty(context.Response.AccessToken))
            {
                clients.Metrics.CountIssued();
                return;
            }

            if (context.Response.Error == Errors.InvalidClient && context.Request?.ClientId is { } clientId
                && !(context.Response.ErrorDescription ?? string.Empty).Contains("already used", StringComparison.Ordinal)
                && !(context.Response.ErrorDescription ?? string.Empty).Contains("disabled", StringComparison.Ordinal))
            {
                await clients.RecordAsync("attack.client-authentication-failed", clientId, SourceOf(context.Transaction), context.Response.ErrorDescription ?? string.Empty, context.CancellationToken);
            }
        }
    }

    /// <summary>Discovery names the token ring's JWKS, <c>private_key_jwt</c> only, the DPoP algorithms and certificate binding.</summary>
    internal sealed class DescribeTokenService(TokenServiceOptions options) : IOpenIddictServerHandler<HandleConfigurationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
            .UseSingletonHandler<DescribeTokenService>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(HandleConfigurationRequestContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            context.JsonWebKeySetEndpoint = new Uri(options.Issuer, $"v1/keyrings/{options.RingName}/jwks.json");
            context.TokenEndpointAuthenticationMethods.Clear();
            context.TokenEndpointAuthenticationMethods.Add(ClientAuthenticationMethods.PrivateKeyJwt);
            context.Metadata["token_endpoint_auth_signing_alg_values_supported"] = JsonSerializer.SerializeToElement(TokenServiceOptions.DpopAlgorithms);
            context.Metadata["dpop_signing_alg_values_supported"] = JsonSerializer.SerializeToElement(TokenServiceOptions.DpopAlgorithms);
            context.Metadata["tls_client_certificate_bound_access_tokens"] = true; // RFC 8705 §3.3
            return default;
        }
    }

    /// <summary>
    /// OpenIddict's ASP.NET Core host adds <c>client_secret_basic</c> to discovery after the request handlers ran, for
    /// the token, introspection and revocation endpoints alike; every one of them refuses secrets, so discovery offers
    /// <c>private_key_jwt</c> alone for each (RFC 8414 §2).
    /// </summary>
    internal sealed class AdvertisePrivateKeyJwtOnly : IOpenIddictServerHandler<ApplyConfigurationResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyConfigurationResponseContext>()
            .UseSingletonHandler<AdvertisePrivateKeyJwtOnly>()
            .SetOrder(int.MinValue + 100)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        private static readonly string[] AuthenticationMethodMembers =
        [
            Metadata.TokenEndpointAuthMethodsSupported,
            Metadata.IntrospectionEndpointAuthMethodsSupported,
            Metadata.RevocationEndpointAuthMethodsSupported,
        ];

        public ValueTask HandleAsync(ApplyConfigurationResponseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            foreach (var member in AuthenticationMethodMembers)
            {
                if (context.Response.HasParameter(member))
                {
                    context.Response[member] = new OpenIddictParameter(JsonSerializer.SerializeToElement(new[] { ClientAuthenticationMethods.PrivateKeyJwt }));
                }
            }

            return default;
        }
    }

    /// <summary>Stands in for the ring at OpenIddict's start-up checks; it can sign nothing.</summary>
    private sealed class PlaceholderRingKey : AsymmetricSecurityKey
    {
        public PlaceholderRingKey(string ring) => KeyId = "ring:" + ring;

        [Obsolete("HasPrivateKey is obsolete in Microsoft.IdentityModel; PrivateKeyStatus says the same.")]
        public override bool HasPrivateKey => true;

        public override PrivateKeyStatus PrivateKeyStatus => PrivateKeyStatus.Exists;

        public override int KeySize => 256;
    }
}

/// <summary>The token ring's published keys as Microsoft.IdentityModel keys, rebuilt only when the JWKS changes.</summary>
public sealed class RingKeyCache
{
    private (byte[] Jwks, SecurityKey[] Keys)? _current;

    internal SecurityKey[] For(byte[] jwks)
    {
        var current = _current;
        if (current is { } c && ReferenceEquals(c.Jwks, jwks))
        {
            return c.Keys;
        }

        var keys = new JsonWebKeySet(System.Text.Encoding.UTF8.GetString(jwks)).Keys.Cast<SecurityKey>().ToArray();
        _current = (jwks, keys);
        return keys;
    }
}

/// <summary>The token endpoint's DPoP nonces; <see cref="Source"/> is null when nonces are off.</summary>
public sealed record DpopNonces(DpopNonceSource? Source);

/// <summary>The replay cache shared by client assertions, with the clock it reads.</summary>
public sealed class AssertionReplayCache(IReplayCache cache, TimeProvider clock)
{
    public IReplayCache Cache => cache;

    public DateTimeOffset Now => clock.GetUtcNow();
}
