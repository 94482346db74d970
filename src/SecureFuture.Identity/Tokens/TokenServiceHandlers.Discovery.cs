using System.Collections.Immutable;
using System.Text.Json;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>Discovery (RFC 8414): what the configuration document says about this token service.</summary>
    internal static class Discovery
    {
        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            DescribeTokenService.Descriptor,
            AdvertisePrivateKeyJwtOnly.Descriptor,
        ];

        /// <summary>Discovery names the token ring's JWKS, <c>private_key_jwt</c> only, the DPoP algorithms and certificate binding.</summary>
        internal sealed class DescribeTokenService(TokenServiceOptions options) : IOpenIddictServerHandler<HandleConfigurationRequestContext>
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                .UseSingletonHandler<DescribeTokenService>()
                // After OpenIddict's own handlers, whose endpoints and authentication methods it replaces.
                .SetOrder(OpenIddictServerHandlers.Discovery.AttachAdditionalMetadata.Descriptor.Order + 1_000)
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
    }
}
