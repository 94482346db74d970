using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Http;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;
using SecureFuture.Identity.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>
    /// The token endpoint (RFC 6749 §3.2): <c>client_credentials</c> with a client assertion only; the client must be
    /// registered and enabled, ask only for its scopes and audiences, and present a valid DPoP proof when it sends one
    /// or must, or a TLS client certificate when it must. One handler per check, in this order.
    /// </summary>
    /// <remarks>
    /// Which binding a token gets: a DPoP proof wins (<c>cnf.jkt</c>, token type DPoP), even when a certificate was
    /// presented too; otherwise a presented certificate binds it (<c>cnf.x5t#S256</c>, token type Bearer); otherwise it
    /// is unbound. Never both: RFC 7800 §3.1 lets <c>cnf</c> name one proof-of-possession key. A client registered with
    /// <c>tls_client_certificate_bound_access_tokens</c> must present a certificate and send no proof.
    /// </remarks>
    internal static class Exchange
    {
        /// <summary>Where the checks start: after every one of OpenIddict's own (client authentication included).</summary>
        private const int FirstCheck = int.MaxValue - 100_000;

        private const string PresentedCertificateProperty = "sfi.mtls.presented";

        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            RequireClientCredentialsGrant.Descriptor,
            RequirePrivateKeyJwt.Descriptor,
            RequireEnabledClient.Descriptor,
            RequireRegisteredScopes.Descriptor,
            RequireRegisteredResources.Descriptor,
            ReadClientCertificate.Descriptor,
            RequireOneDpopProof.Descriptor,
            RequireRegisteredBinding.Descriptor,
            ValidateDpopProof.Descriptor,
            BindToPresentedCertificate.Descriptor,
            IssueClientToken.Descriptor,
            AnnounceDpopTokenType.Descriptor,
            AttachDpopNonce.Descriptor,
            RecordTokenOutcome.Descriptor,
        ];

        /// <summary>The token endpoint serves the <c>client_credentials</c> grant alone (RFC 6749 §4.4).</summary>
        internal sealed class RequireClientCredentialsGrant : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequireClientCredentialsGrant>()
                .SetOrder(FirstCheck)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (!context.Request.IsClientCredentialsGrantType())
                {
                    context.Reject(Errors.UnsupportedGrantType, "only client_credentials is supported");
                }

                return default;
            }
        }

        /// <summary>private_key_jwt only: a client secret, even beside an assertion, is refused, and so is a request without an assertion.</summary>
        internal sealed class RequirePrivateKeyJwt : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequirePrivateKeyJwt>()
                .SetOrder(RequireClientCredentialsGrant.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (string.IsNullOrEmpty(context.Request.ClientAssertion) || !string.IsNullOrEmpty(context.Request.ClientSecret))
                {
                    context.Reject(Errors.InvalidClient, "client secrets are off: authenticate with private_key_jwt (a client_assertion signed by a registered key)");
                }

                return default;
            }
        }

        /// <summary>The client must be registered and enabled; a disabled client's request is recorded as an attack signal.</summary>
        internal sealed class RequireEnabledClient(ClientService clients) : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequireEnabledClient>()
                .SetOrder(RequirePrivateKeyJwt.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var client = context.ClientId is { } id ? await RequestClient.FindAsync(context.Transaction, clients, id, context.CancellationToken) : null;
                if (client is null || !client.Enabled)
                {
                    if (client is not null)
                    {
                        await clients.RecordAsync("attack.disabled-client", client.ClientId, SourceOf(context.Transaction), "token request by a disabled client", context.CancellationToken);
                    }

                    context.Reject(Errors.InvalidClient, client is null ? "the client is not registered" : "the client is disabled");
                }
            }
        }

        /// <summary>A client asks only for scopes it is registered for.</summary>
        internal sealed class RequireRegisteredScopes(ClientService clients) : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequireRegisteredScopes>()
                .SetOrder(RequireEnabledClient.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var client = await RequestClient.ValidatedAsync(context, clients);
                if (ClientCredentialsRules.ScopeRefusal(client, context.Request.GetScopes()) is { } refusal)
                {
                    context.Reject(Errors.InvalidScope, refusal);
                }
            }
        }

        /// <summary>RFC 8707: a client asks only for resources among its registered audiences.</summary>
        internal sealed class RequireRegisteredResources(ClientService clients) : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequireRegisteredResources>()
                .SetOrder(RequireRegisteredScopes.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var client = await RequestClient.ValidatedAsync(context, clients);
                if (ClientCredentialsRules.ResourceRefusal(client, context.Request.GetResources()) is { } refusal)
                {
                    context.Reject(Errors.InvalidTarget, refusal);
                }
            }
        }

        /// <summary>
        /// Reads the TLS client certificate the request presents (RFC 8705), from the connection or the configured proxy
        /// header; one that was sent but cannot be read is refused rather than ignored.
        /// </summary>
        internal sealed class ReadClientCertificate(TokenServiceOptions options) : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<ReadClientCertificate>()
                .SetOrder(RequireRegisteredResources.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var presented = ClientCertificateSource.Read(HttpRequestOf(context).HttpContext, options.ClientCertificateHeader);
                if (presented.Error is not null)
                {
                    context.Reject(Errors.InvalidRequest, presented.Error);
                    return default;
                }

                context.Transaction.Properties[PresentedCertificateProperty] = presented;
                return default;
            }
        }

        /// <summary>RFC 9449 §4.3 check 1: at most one DPoP header.</summary>
        internal sealed class RequireOneDpopProof : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequireOneDpopProof>()
                .SetOrder(ReadClientCertificate.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (HttpRequestOf(context).Headers["DPoP"].Count > 1)
                {
                    context.Reject("invalid_dpop_proof", "send one DPoP header");
                }

                return default;
            }
        }

        /// <summary>
        /// The binding the client is registered for: DPoP (<c>require_dpop</c>) needs a proof; certificate binding
        /// (<c>tls_client_certificate_bound_access_tokens</c>) needs a presented certificate and no proof.
        /// </summary>
        internal sealed class RequireRegisteredBinding(ClientService clients) : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<RequireRegisteredBinding>()
                .SetOrder(RequireOneDpopProof.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var client = await RequestClient.ValidatedAsync(context, clients);
                if (ClientCredentialsRules.BindingRefusal(client, HttpRequestOf(context).Headers["DPoP"].Count > 0, PresentedOf(context).Certificate is not null) is { } refusal)
                {
                    context.Reject(Errors.InvalidRequest, refusal);
                }
            }
        }

        /// <summary>
        /// RFC 9449 §4.3 and §8: a DPoP proof sent with the request must verify for this endpoint (with the current nonce when
        /// nonces are on, and never seen before); the token is then bound to its key. A replayed proof is recorded as an
        /// attack signal.
        /// </summary>
        internal sealed class ValidateDpopProof(ClientService clients, DpopProofValidator dpop, DpopNonces nonces, TokenServiceOptions options) : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<ValidateDpopProof>()
                .SetOrder(RequireRegisteredBinding.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var http = HttpRequestOf(context);
                var proofs = http.Headers["DPoP"];
                if (proofs.Count == 0)
                {
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
                        var client = await RequestClient.ValidatedAsync(context, clients);
                        await clients.RecordAsync("attack.dpop-replayed", client.ClientId, SourceOf(context.Transaction), outcome.Error!, context.CancellationToken);
                    }

                    context.Reject("invalid_dpop_proof", outcome.Error);
                    return;
                }

                context.Transaction.Properties[JktProperty] = outcome.Proof!.JwkThumbprint;
            }
        }

        /// <summary>RFC 8705 §3.1: without a DPoP proof, a presented TLS client certificate binds the token.</summary>
        internal sealed class BindToPresentedCertificate : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<BindToPresentedCertificate>()
                .SetOrder(ValidateDpopProof.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (HttpRequestOf(context).Headers["DPoP"].Count == 0 && PresentedOf(context).Certificate is { } certificate)
                {
                    context.Transaction.Properties[X5tProperty] = CertificateBinding.Thumbprint(certificate);
                }

                return default;
            }
        }

        /// <summary>The token: subject and client are the client; audiences are the requested ones or all of the client's.</summary>
        internal sealed class IssueClientToken(ClientService clients) : IOpenIddictServerHandler<HandleTokenRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                .UseSingletonHandler<IssueClientToken>()
                // Before OpenIddict's hand-over to the application (the passthrough mode, not enabled here).
                .SetOrder(OpenIddictServerAspNetCoreHandlers.EnablePassthroughMode<HandleTokenRequestContext, OpenIddictServerAspNetCoreHandlerFilters.RequireTokenEndpointPassthroughEnabled>.Descriptor.Order - 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(HandleTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var client = await RequestClient.FindAsync(context.Transaction, clients, context.ClientId!, context.CancellationToken) ?? throw new InvalidOperationException("the client was validated");
                var identity = new ClaimsIdentity(OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
                identity.SetClaim(Claims.Subject, client.ClientId);
                identity.SetClaim(Claims.ClientId, client.ClientId);
                var principal = new ClaimsPrincipal(identity);
                principal.SetScopes(context.Request.GetScopes());
                principal.SetResources(ClientCredentialsRules.Audiences(client, context.Request.GetResources()));
                principal.SetDestinations(_ => [Destinations.AccessToken]);
                context.SignIn(principal);
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
                if (context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response)
                {
                    await ClientCredentialsRules.AttachDpopNonceAsync(nonces, response, context.CancellationToken);
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
                .UseSingletonHandler<RecordTokenOutcome>()
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

        private static HttpRequest HttpRequestOf(ValidateTokenRequestContext context)
            => context.Transaction.GetHttpRequest() ?? throw new InvalidOperationException("the token endpoint runs inside ASP.NET Core");

        private static PresentedCertificate PresentedOf(ValidateTokenRequestContext context)
            => context.Transaction.Properties.TryGetValue(PresentedCertificateProperty, out var value) && value is PresentedCertificate presented
                ? presented
                : throw new InvalidOperationException("the client certificate is read before the binding is decided");
    }
}
