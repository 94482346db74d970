using System.Collections.Immutable;
using System.Text.Json;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>Introspection (RFC 7662): who may introspect a token, and what the answer says.</summary>
    internal static class Introspection
    {
        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            AuthorizeIntrospection.Descriptor,
            EvaluateIntrospectedToken.Descriptor,
            AttachIntrospectedConfirmation.Descriptor,
        ];

        /// <summary>The token's own client may introspect it; so may a client registered with scope <c>sfi.introspect</c> (a resource server).</summary>
        internal sealed class AuthorizeIntrospection(ClientService clients) : IOpenIddictServerHandler<ValidateIntrospectionRequestContext>
        {
            public const string Scope = "sfi.introspect";

            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateIntrospectionRequestContext>()
                .UseSingletonHandler<AuthorizeIntrospection>()
                .SetOrder(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor.Order)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public async ValueTask HandleAsync(ValidateIntrospectionRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var caller = context.ClientId is { } id ? await RequestClient.FindAsync(context.Transaction, clients, id, context.CancellationToken) : null;
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

        /// <summary>An introspected token that security events have invalidated is reported inactive.</summary>
        internal sealed class EvaluateIntrospectedToken(ContinuousAccessEvaluation evaluation, TokenServiceOptions options) : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
                .UseSingletonHandler<EvaluateIntrospectedToken>()
                // After OpenIddict attaches the token's principal (an order of its own: see Every_handler_sfi_adds_...).
                .SetOrder(OpenIddictServerHandlers.Introspection.AttachPrincipal.Descriptor.Order + 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(HandleIntrospectionRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                // OpenIddict validated the token and attached its principal before this handler; without it nothing
                // could be evaluated, and an unevaluated token must not be reported active.
                var principal = context.GenericTokenPrincipal ?? throw new InvalidOperationException("the introspected token's principal is not attached yet");
                if (principal.GetClaim(Claims.Subject) is not { } subject)
                {
                    context.Reject(Errors.InvalidToken, "the token has no subject, so its revocation cannot be checked");
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
    }
}
