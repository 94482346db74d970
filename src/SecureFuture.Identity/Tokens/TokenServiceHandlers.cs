using System.Collections.Immutable;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using SecureFuture.Identity.Clients;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// sfi's handlers in OpenIddict's server pipeline, as OpenIddict arranges its own: one small handler per check or step,
/// each with its event and order in its descriptor, grouped per endpoint, every group listing its handlers in
/// <c>DefaultHandlers</c>. An expected refusal is <c>context.Reject(error, description)</c>; a broken invariant throws.
/// Each handler's order is its own within its event, placed relative to the OpenIddict handler it must follow or
/// precede: OpenIddict sorts an event's handlers once with an unstable sort, so two handlers of equal order run in
/// either order, and which one can change whenever any handler is added.
/// </summary>
internal static partial class TokenServiceHandlers
{
    /// <summary>Transaction property: the RFC 7638 thumbprint of the verified DPoP proof's key, which binds the token.</summary>
    internal const string JktProperty = "sfi.dpop.jkt";

    /// <summary>Transaction property: the SHA-256 thumbprint of the presented TLS client certificate, which binds the token.</summary>
    internal const string X5tProperty = "sfi.mtls.x5t";

    /// <summary>Every handler sfi adds, in no particular order (each descriptor carries its own).</summary>
    public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
    [
        .. ClientAuthentication.DefaultHandlers,
        .. Exchange.DefaultHandlers,
        .. Protection.DefaultHandlers,
        .. Introspection.DefaultHandlers,
        .. Revocation.DefaultHandlers,
        .. Discovery.DefaultHandlers,
        .. Responses.DefaultHandlers,
    ];

    /// <summary>Where the request came from, as throttling counts it.</summary>
    internal static string? SourceOf(OpenIddictServerTransaction transaction)
        => AttemptSource.Of(transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress);

    /// <summary>
    /// The registered client a request names, looked up once per request: the client-assertion check, the token
    /// endpoint's checks and the token itself all see the same registration.
    /// </summary>
    internal static class RequestClient
    {
        private const string Property = "sfi.client";

        /// <summary>The client registered as <paramref name="clientId"/>, or null.</summary>
        public static async ValueTask<OAuthClient?> FindAsync(OpenIddictServerTransaction transaction, ClientService clients, string clientId, CancellationToken cancellationToken)
        {
            if (transaction.Properties.TryGetValue(Property, out var value) && value is OAuthClient known && string.Equals(known.ClientId, clientId, StringComparison.Ordinal))
            {
                return known;
            }

            var client = await clients.FindAsync(clientId, cancellationToken);
            if (client is not null)
            {
                transaction.Properties[Property] = client;
            }

            return client;
        }

        /// <summary>The client of a token request that <see cref="Exchange.RequireEnabledClient"/> let through.</summary>
        public static async ValueTask<OAuthClient> ValidatedAsync(ValidateTokenRequestContext context, ClientService clients)
            => await FindAsync(context.Transaction, clients, context.ClientId ?? string.Empty, context.CancellationToken)
                ?? throw new InvalidOperationException("the client was validated");
    }
}
