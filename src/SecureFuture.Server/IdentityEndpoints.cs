using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Events;
using SecureFuture.Identity.Tokens;
using SecureFuture.Identity.Validation;
using SecureFuture.Identity.Validation.AspNetCore;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// The identity side of <c>sfi serve</c>: client registration (admin) and <c>GET /v1/whoami</c>, which is protected by
/// sfi's own validation library exactly as a resource server would use it (keys from the token ring's JWKS, security
/// events applied), admin revocation of a subject's sessions, and the Shared Signals poll endpoint.
/// </summary>
internal sealed class IdentityEndpoints : IDisposable
{
    private readonly ClientService _clients;
    private readonly TokenServiceOptions _options;
    private readonly StrictTokenValidator _tokens;
    private readonly ResourceRequestValidator _requests;
    private readonly SecurityEventPublisher _events;
    private readonly TimeProvider _clock;
    private readonly PushEndpointPolicy _pushPolicy;

    public IdentityEndpoints(ClientService clients, TokenServiceOptions options, SecurityEventPublisher events, ContinuousAccessEvaluation evaluation, IReplayCache replays, PushEndpointPolicy pushPolicy, LocalJwks jwks, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(jwks);
        _pushPolicy = pushPolicy;
        _clients = clients;
        _options = options;
        _events = events;
        _clock = clock;
        _tokens = new StrictTokenValidator([new TrustedIssuer(options.Issuer.AbsoluteUri, jwks.TokenJwksUri, [options.OwnAudience])], jwks.Client, clock: clock);
        Evaluation = evaluation;
        _requests = new ResourceRequestValidator(_tokens, new DpopProofValidator(new DpopOptions { Algorithms = TokenServiceOptions.DpopAlgorithms }, clock, replays), Evaluation);
    }

    /// <summary>What this node's own resource endpoints know from security events (<see cref="SecurityEventWorker"/> applies them).</summary>
    public ContinuousAccessEvaluation Evaluation { get; }

    public void Map(WebApplication app, RouteGroupBuilder admin)
    {
        admin.MapPost("/clients", async (HttpContext context, CancellationToken ct) =>
        {
            var request = await SfiServer.ReadAsync<ClientRegistration>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required");
            var client = await _clients.RegisterAsync(request, SfiServer.Actor(context), ct);
            context.Response.Headers.Location = $"/v1/clients/{Uri.EscapeDataString(client.ClientId)}";
            return Results.Json(View(client), Api.Json, statusCode: 201);
        });
        admin.MapGet("/clients", async (CancellationToken ct) => Results.Json(new { clients = (await _clients.ListAsync(ct)).Select(View) }, Api.Json));
        admin.MapGet("/clients/{id}", async (string id, CancellationToken ct) => Results.Json(View(await _clients.GetAsync(ClientIds.FromRoute(id), ct)), Api.Json));
        admin.MapPatch("/clients/{id}", async (HttpContext context, string id, CancellationToken ct) =>
        {
            var update = await SfiServer.ReadAsync<ClientUpdate>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required");
            return Results.Json(View(await _clients.UpdateAsync(ClientIds.FromRoute(id), update, SfiServer.Actor(context), ct)), Api.Json);
        });
        admin.MapPost("/clients/{id}/disable", async (HttpContext context, string id, CancellationToken ct) =>
            Results.Json(View(await _clients.SetEnabledAsync(ClientIds.FromRoute(id), enabled: false, SfiServer.Actor(context), "admin", ct)), Api.Json));
        admin.MapPost("/clients/{id}/enable", async (HttpContext context, string id, CancellationToken ct) =>
            Results.Json(View(await _clients.SetEnabledAsync(ClientIds.FromRoute(id), enabled: true, SfiServer.Actor(context), "admin", ct)), Api.Json));
        admin.MapPut("/clients/{id}/jwks", async (HttpContext context, string id, CancellationToken ct) =>
        {
            using var jwks = await SfiServer.ReadAsync<JsonDocument>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JWKS is required");
            return Results.Json(View(await _clients.ReplaceKeysAsync(ClientIds.FromRoute(id), jwks.RootElement, SfiServer.Actor(context), ct)), Api.Json);
        });

        admin.MapPost("/ssf/streams", async (HttpContext context, CancellationToken ct) =>
        {
            var request = await SfiServer.ReadAsync<StreamRequest>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required");
            if (!Uri.TryCreate(request.Endpoint, UriKind.Absolute, out var endpoint))
            {
                throw new KeyServiceException(KeyErrorKind.Invalid, "endpoint: an https URL that accepts RFC 8935 push delivery");
            }

            if (await _pushPolicy.RefuseAsync(endpoint, ct) is { } refused)
            {
                throw new KeyServiceException(KeyErrorKind.Invalid, $"endpoint: {refused}");
            }

            // A new receiver gets the whole history, so it learns which clients are disabled now.
            var stream = new PushSubscription("stream-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), endpoint, 0, _clock.GetUtcNow());
            await _clients.Store.AddStreamAsync(stream, ct);
            return Results.Json(new { id = stream.Id, endpoint = stream.Endpoint, delivered = stream.Delivered }, Api.Json, statusCode: 201);
        });
        admin.MapGet("/ssf/streams", async (CancellationToken ct) =>
            Results.Json(new { streams = (await _clients.Store.ListStreamsAsync(ct)).Select(s => new { id = s.Id, endpoint = s.Endpoint, delivered = s.Delivered }) }, Api.Json));

        admin.MapPost("/subjects/{sub}/revoke", async (HttpContext context, string sub, CancellationToken ct) =>
        {
            sub = ClientIds.FromRoute(sub);
            await _clients.RevokeSubjectAsync(sub, SfiServer.Actor(context), "admin", ct);
            return Results.Json(new { subject = sub, revoked = true }, Api.Json);
        });

        // The SSF poll endpoint: resource servers holding a token with scope sfi.events read SETs after a sequence.
        app.MapGet("/v1/ssf/events", async (HttpContext context, long? after, int? limit, CancellationToken ct) =>
        {
            var (outcome, refused) = await AuthenticateAsync(context, "v1/ssf/events", ct);
            if (refused is not null)
            {
                return refused;
            }

            var scopes = (outcome!.Principal!.Claims.TryGetProperty("scope", out var scope) && scope.ValueKind == JsonValueKind.String ? scope.GetString()! : string.Empty).Split(' ');
            if (!scopes.Contains(EventsScope, StringComparer.Ordinal))
            {
                context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{EventsScope}\"";
                return Problems.Of(403, "Forbidden", $"reading security events needs scope {EventsScope}");
            }

            var (sets, last) = await _events.ReadAsync(Math.Max(0, after ?? 0), limit ?? 100, ct);
            return Results.Json(new { sets, last }, Api.Json);
        });

        app.MapGet("/v1/whoami", async (HttpContext context, CancellationToken ct) =>
        {
            var (outcome, refused) = await AuthenticateAsync(context, "v1/whoami", ct);
            if (refused is not null)
            {
                return refused;
            }

            var p = outcome!.Principal!;
            string? Claim(string name) => p.Claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return Results.Json(new
            {
                issuer = p.Issuer,
                subject = p.Subject,
                subjectKey = p.SubjectKey,
                clientId = Claim("client_id"),
                scope = Claim("scope"),
                audiences = p.Audiences,
                tokenType = outcome.Scheme,
                binding = outcome.Binding,
                boundTo = outcome.BoundKey,
                boundCertificate = outcome.BoundCertificate,
                kid = p.KeyId,
                alg = p.Algorithm,
                expiresAt = p.ExpiresAt,
            }, Api.Json);
        });
    }

    public void Dispose() => _tokens.Dispose();

    private sealed record StreamRequest(string? Endpoint);

    /// <summary>The scope a resource server's client needs to read security events.</summary>
    public const string EventsScope = "sfi.events";

    /// <summary>
    /// Authenticates a request to one of this server's own resources with an access token it issued (bearer, DPoP or
    /// certificate-bound, checked as <c>/v1/whoami</c> checks them); returns the token's scopes, or the 401 to answer.
    /// </summary>
    internal async Task<(string? ClientId, IReadOnlyList<string> Scopes, IResult? Refused)> AuthenticateClientAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (outcome, refused) = await AuthenticateAsync(context, context.Request.Path.Value!.TrimStart('/'), cancellationToken);
        if (refused is not null)
        {
            return (null, [], refused);
        }

        var claims = outcome!.Principal!.Claims;
        string? Claim(string name) => claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return (Claim("client_id") ?? outcome.Principal.Subject, (Claim("scope") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries), null);
    }

    private async Task<(ResourceRequestOutcome? Outcome, IResult? Refused)> AuthenticateAsync(HttpContext context, string path, CancellationToken cancellationToken)
    {
        // The TLS client certificate (or the proxy's header for it) is read for every request: a certificate-bound
        // token (RFC 8705) is accepted only with it; a header that does not hold one certificate is refused.
        var presented = ClientCertificateSource.Read(context, _options.ClientCertificateHeader);
        var outcome = presented.Error is not null
            ? new ResourceRequestOutcome(null, "Bearer", "invalid_request", presented.Error, null) { Refusal = Refusal.Malformed }
            : await _requests.ValidateAsync(
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, [.. context.Request.Headers["DPoP"].Select(v => v ?? string.Empty)],
                context.Request.Method, new Uri(_options.Issuer, path), presented.Certificate, cancellationToken);
        if (outcome.IsValid)
        {
            return (outcome, null);
        }

        if (outcome.Refusal.IsAttack())
        {
            var client = outcome.RefusedPrincipal?.ClientId;
            var description = outcome.Description ?? string.Empty;
            try
            {
                await _clients.RecordResourceRefusalAsync(outcome.Refusal.Name(), client,
                    $"{context.Request.Method} /{path} from {context.Connection.RemoteIpAddress}: {(description.Length > 200 ? description[..200] + "…" : description)}", cancellationToken);
            }
            catch (System.Data.Common.DbException)
            {
                // Counted in /metrics already; a store outage must not turn a refusal into a 500.
            }
        }

        context.Response.Headers.WWWAuthenticate = outcome.Challenge(TokenServiceOptions.DpopAlgorithms);
        return (null, Problems.Of(401, "Unauthorized", outcome.Description ?? "a token is required"));
    }

    private static object View(OAuthClient c) => new
    {
        clientId = c.ClientId,
        enabled = c.Enabled,
        requireDpop = c.RequireDpop,
        tlsClientCertificateBoundAccessTokens = c.TlsClientCertificateBoundAccessTokens,
        scopes = c.Scopes,
        audiences = c.Audiences,
        keyIds = c.Keys.KeyIds,
        jwks = JsonDocument.Parse(c.Keys.Json).RootElement,
        createdAt = c.CreatedAt,
        updatedAt = c.UpdatedAt,
        revision = c.Revision,
    };
}
