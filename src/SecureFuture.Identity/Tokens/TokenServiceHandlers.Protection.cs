using System.Collections.Immutable;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>Token protection: the ring's keys verify presented access tokens; the HSM signs new ones, with their binding.</summary>
    internal static class Protection
    {
        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ResolveRingKeys.Descriptor,
            SignInTheHsm.Descriptor,
            BindToDpopKey.Descriptor,
            BindToClientCertificate.Descriptor,
        ];

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
                .SetOrder(BindToDpopKey.Descriptor.Order - 1)
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
    }
}
