using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Events;
using SecureFuture.Identity.Tokens;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server;

/// <summary>The identity side of <c>sfi serve</c>, composed in the container: every part gets its <c>ILogger&lt;T&gt;</c> there.</summary>
internal static class IdentityRegistration
{
    /// <summary>
    /// Registers the client registry, the token service, security events (published, applied to this node's own
    /// resource endpoints, pushed to subscribers) and <see cref="IdentityEndpoints"/>, which the host maps once built.
    /// <see cref="KeyRingService"/> must be registered too.
    /// </summary>
    public static IServiceCollection AddSfiIdentity(this IServiceCollection services, SqlClientStore clientStore, IKeyStore keyStore, TokenServiceOptions options, TimeProvider clock, bool allowPrivatePushEndpoints)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(clock);
        services.AddSingleton(clientStore);
        services.AddSingleton(new ClientService(clientStore, keyStore, clock, options.OwnAudience));
        // Single-use identifiers are remembered in the database until they expire: on PostgreSQL so that a replay
        // to another node is caught, and on SQLite so that a replay right after a restart is caught too.
        var replays = new SqlReplayCache(clientStore, clock);
        services.AddSingleton<IReplayCache>(replays);
        services.AddSfiTokenService(options, clock, new ContinuousAccessEvaluation(), replays);
        services.AddSingleton(provider => new SecurityEventPublisher(clientStore, provider.GetRequiredService<KeyRingService>(), options));
        services.AddSingleton(new PushEndpointPolicy(allowPrivatePushEndpoints));
        services.AddSingleton<SecurityEventPusher>();
        services.AddSingleton<LocalJwks>();
        services.AddSingleton<IdentityEndpoints>();
        services.AddSingleton<SecurityEventWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<SecurityEventWorker>());
        return services;
    }

    /// <summary>
    /// The token endpoint's dedicated path for <c>client_credentials</c> with <c>private_key_jwt</c>; goes before
    /// OpenIddict's authentication middleware, which gets every request the path does not answer.
    /// </summary>
    public static void UseSfiTokenEndpoint(this IApplicationBuilder app)
    {
        var endpoint = app.ApplicationServices.GetRequiredService<ClientCredentialsEndpoint>();
        app.Use(next => context => endpoint.InvokeAsync(context, next));
    }
}
