using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// The OAuth 2.0 token service of <c>sfi serve</c>, built on OpenIddict's server. OpenIddict handles the protocol
/// (request parsing, client-assertion validation, token creation, discovery); <see cref="TokenServiceHandlers"/> add what it leaves to the
/// host in degraded mode, and what it lacks:
/// client lookup and keys from the client registry (<c>private_key_jwt</c> only, client secrets off), assertion replay
/// detection, signing in the HSM with the active key of the issuer's ring, discovery pointing at that ring's JWKS,
/// DPoP (RFC 9449) binding at the token endpoint, and, for a client that presents a TLS client certificate without a
/// DPoP proof, certificate binding (RFC 8705 §3).
/// </summary>
/// <remarks>The checks and steps themselves are handlers, one per check, grouped per endpoint in <see cref="TokenServiceHandlers"/>.</remarks>
public static class TokenService
{
    /// <summary>
    /// Registers the token service; the host must also register <see cref="ClientService"/> and <see cref="KeyRingService"/>,
    /// and put <see cref="ClientCredentialsEndpoint"/> in the request pipeline before the authentication middleware.
    /// </summary>
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

        var decided = new DecidedReplayCache(replays ?? new ReplayCache(clock));
        var dpop = new DpopProofValidator(new DpopOptions { Algorithms = TokenServiceOptions.DpopAlgorithms }, clock, decided);
        services.AddSingleton(options);
        services.AddSingleton(dpop);
        services.AddSingleton(new AssertionReplayCache(decided, clock));
        services.AddSingleton(new RingKeyCache());
        services.AddSingleton(provider => new DpopNonces(options.RequireDpopNonce
            ? new DpopNonceSource(provider.GetRequiredService<ClientService>().Store, clock, options.DpopNoncePeriod)
            : null));
        services.AddSingleton(evaluation);
        services.AddSingleton(provider => new ClientCredentialsEndpoint(provider.GetRequiredService<ClientService>(), options, dpop, provider.GetRequiredService<DpopNonces>(), decided, provider.GetRequiredService<KeyRingService>(), clock));
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

            foreach (var descriptor in TokenServiceHandlers.DefaultHandlers)
            {
                server.AddEventHandler(descriptor);
            }

            // Replaced by TokenServiceHandlers.Introspection.AuthorizeIntrospection and Revocation.AuthorizeRevocation.
            server.RemoveEventHandler(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor);
            server.RemoveEventHandler(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor);
        });
        return services;
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
