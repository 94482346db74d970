using System.Collections.Immutable;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using SecureFuture.Identity.Clients;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>Revocation (RFC 7009): who may revoke a token, and what revoking it does.</summary>
    internal static class Revocation
    {
        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            AuthorizeRevocation.Descriptor,
            RevokeAccessToken.Descriptor,
        ];

        /// <summary>RFC 7009 §2.1: only the client the token was issued to may revoke it.</summary>
        internal sealed class AuthorizeRevocation(ClientService clients) : IOpenIddictServerHandler<ValidateRevocationRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateRevocationRequestContext>()
                .UseSingletonHandler<AuthorizeRevocation>()
                .SetOrder(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor.Order)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateRevocationRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var caller = context.ClientId is { } id ? await RequestClient.FindAsync(context.Transaction, clients, id, context.CancellationToken) : null;
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

        /// <summary>
        /// Revocation without token storage: the token's <c>jti</c> becomes a security event, so every resource server that
        /// receives events (and introspection here) refuses it from then on.
        /// </summary>
        internal sealed class RevokeAccessToken(ClientService clients) : IOpenIddictServerHandler<HandleRevocationRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
                .UseSingletonHandler<RevokeAccessToken>()
                // After OpenIddict attaches the token's principal (an order of its own: see Every_handler_sfi_adds_...).
                .SetOrder(OpenIddictServerHandlers.Revocation.AttachPrincipal.Descriptor.Order + 500)
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
    }
}
