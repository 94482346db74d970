using System.Collections.Immutable;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace SecureFuture.Identity.Tokens;

internal static partial class TokenServiceHandlers
{
    /// <summary>What every error response of the endpoints sfi serves carries.</summary>
    internal static class Responses
    {
        /// <summary>This group's handlers, registered by <see cref="TokenService.AddSfiTokenService"/>.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            LimitErrorDescription<ApplyTokenResponseContext>.Descriptor,
            LimitErrorDescription<ApplyIntrospectionResponseContext>.Descriptor,
            LimitErrorDescription<ApplyRevocationResponseContext>.Descriptor,
        ];

        /// <summary>
        /// Keeps <c>error_description</c> within the characters RFC 6749 §5.2 allows (printable ASCII but <c>"</c> and
        /// <c>\</c>), each other one written as <c>?</c>. A description can quote what the client sent (the member a JSON
        /// reader found twice, say) and goes into the <c>WWW-Authenticate</c> header of a 401, where Kestrel throws on
        /// a character outside ASCII: an unauthenticated request could turn a refusal into an HTTP 500.
        /// </summary>
        internal sealed class LimitErrorDescription<TContext> : IOpenIddictServerHandler<TContext>
            where TContext : BaseRequestContext
        {
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
                .UseSingletonHandler<LimitErrorDescription<TContext>>()
                .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachWwwAuthenticateHeader<TContext>.Descriptor.Order - 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

            public ValueTask HandleAsync(TContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (context.Transaction.Response?.ErrorDescription is { } description)
                {
                    context.Transaction.Response.ErrorDescription = Limit(description);
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary><paramref name="description"/> with every character RFC 6749 §5.2 does not allow in error_description (%x20-21 / %x23-5B / %x5D-7E) written as <c>?</c>.</summary>
        public static string Limit(string description)
        {
            ArgumentNullException.ThrowIfNull(description);
            return description.All(Allowed) ? description : string.Concat(description.Select(c => Allowed(c) ? c : '?'));

            static bool Allowed(char c) => c is (>= ' ' and <= '~') and not ('"' or '\\');
        }
    }
}
