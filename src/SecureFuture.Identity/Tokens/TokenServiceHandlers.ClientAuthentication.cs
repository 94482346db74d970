using System.Collections.Immutable;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using SecureFuture.Identity.Clients;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>Client authentication with <c>private_key_jwt</c> (RFC 7523) at every endpoint: keys from the registry, single use.</summary>
    internal static class ClientAuthentication
    {
        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ResolveClientKeys.Descriptor,
            RejectReplayedAssertion.Descriptor,
            RequireClientAssertion<ValidateIntrospectionRequestContext>.Descriptor(OpenIddictServerHandlers.Introspection.ValidateAuthentication.Descriptor),
            RequireClientAssertion<ValidateRevocationRequestContext>.Descriptor(OpenIddictServerHandlers.Revocation.ValidateAuthentication.Descriptor),
        ];

        /// <summary>Client assertions are looked up, never trusted: the registry says which keys may sign for a client.</summary>
        internal sealed class ResolveClientKeys(ClientService clients, TokenServiceOptions options) : IOpenIddictServerHandler<ValidateTokenContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .UseSingletonHandler<ResolveClientKeys>()
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

                if ((ClientAssertionType.UnreadableJson(context.Token) ?? ClientAssertionType.UnrepresentableTime(context.Token)) is { } unreadable)
                {
                    context.Reject(Errors.InvalidClient, unreadable);
                    return;
                }

                // The issuer of an assertion is the client (RFC 7523 §3): read it only to find the client's registered keys;
                // the signature, issuer, audience and lifetime are then checked by OpenIddict against those keys alone.
                var unverified = ClientAssertionType.ReadUnverified(context.Token);
                var clientId = unverified?.Issuer is { Length: > 0 } issuer ? issuer : null;
                var client = clientId is null ? null : await RequestClient.FindAsync(context.Transaction, clients, clientId, context.CancellationToken);
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

        /// <summary>
        /// An assertion is good for one token request (RFC 7523 §3 item 7 allows the server to enforce one-time use): its
        /// <c>jti</c> is remembered until it expires, and an assertion living longer than a few minutes, or dated in the
        /// future, is refused.
        /// </summary>
        internal sealed class RejectReplayedAssertion(AssertionReplayCache replays, TokenServiceOptions options, ClientService clients) : IOpenIddictServerHandler<ValidateTokenContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .UseSingletonHandler<RejectReplayedAssertion>()
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
                var verified = new JsonWebToken(context.Token);
                if (ClientCredentialsRules.AssertionTimesRefusal(jti, expires, TimeOf(verified.ValidFrom), TimeOf(verified.IssuedAt), replays.Now, options) is { } refusal)
                {
                    context.Reject(Errors.InvalidClient, refusal);
                    return;
                }

                bool first;
                try
                {
                    first = await replays.Cache.TryAddAsync(ClientCredentialsRules.AssertionSingleUseId(client, jti!), expires!.Value, context.CancellationToken);
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

            /// <summary>A JWT time as read by Microsoft.IdentityModel (<see cref="DateTime.MinValue"/> when absent).</summary>
            private static DateTimeOffset? TimeOf(DateTime value) => value == DateTime.MinValue ? null : new DateTimeOffset(value, TimeSpan.Zero);
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
    }
}
