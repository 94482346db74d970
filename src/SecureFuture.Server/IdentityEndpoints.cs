using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// The identity side of <c>sfi serve</c>: client registration (admin) and <c>GET /v1/whoami</c>, which is protected by
/// sfi's own validation library exactly as a resource server would use it, keys fetched from the token ring's JWKS.
/// </summary>
internal sealed class IdentityEndpoints : IDisposable
{
    private readonly ClientService _clients;
    private readonly TokenServiceOptions _options;
    private readonly StrictTokenValidator _tokens;
    private readonly ResourceRequestValidator _requests;
    private readonly HttpClient _jwks;

    public IdentityEndpoints(KeyRingService keys, ClientService clients, TokenServiceOptions options, TimeProvider clock)
    {
        _clients = clients;
        _options = options;
        var jwksUri = new Uri(options.Issuer, $"v1/keyrings/{options.RingName}/jwks.json");
        // The JWKS is read in-process (the same document the endpoint serves), so whoami does not depend on the
        // server reaching its own public address.
        _jwks = new HttpClient(new LocalJwksHandler(keys, options.RingName, jwksUri));
        _tokens = new StrictTokenValidator([new TrustedIssuer(options.Issuer.AbsoluteUri, jwksUri, [options.OwnAudience])], _jwks, clock: clock);
        _requests = new ResourceRequestValidator(_tokens, new DpopProofValidator(new DpopOptions { Algorithms = TokenServiceOptions.DpopAlgorithms }, clock));
    }

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
        admin.MapGet("/clients/{id}", async (string id, CancellationToken ct) => Results.Json(View(await _clients.GetAsync(id, ct)), Api.Json));
        admin.MapPost("/clients/{id}/disable", async (HttpContext context, string id, CancellationToken ct) =>
            Results.Json(View(await _clients.SetEnabledAsync(id, enabled: false, SfiServer.Actor(context), "admin", ct)), Api.Json));
        admin.MapPost("/clients/{id}/enable", async (HttpContext context, string id, CancellationToken ct) =>
            Results.Json(View(await _clients.SetEnabledAsync(id, enabled: true, SfiServer.Actor(context), "admin", ct)), Api.Json));
        admin.MapPut("/clients/{id}/jwks", async (HttpContext context, string id, CancellationToken ct) =>
        {
            using var jwks = await SfiServer.ReadAsync<JsonDocument>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JWKS is required");
            return Results.Json(View(await _clients.ReplaceKeysAsync(id, jwks.RootElement, SfiServer.Actor(context), ct)), Api.Json);
        });

        app.MapGet("/v1/whoami", async (HttpContext context, CancellationToken ct) =>
        {
            var outcome = await _requests.ValidateAsync(
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, [.. context.Request.Headers["DPoP"].Select(v => v ?? string.Empty)],
                context.Request.Method, new Uri(_options.Issuer, "v1/whoami"), ct);
            if (!outcome.IsValid)
            {
                context.Response.Headers.WWWAuthenticate = outcome.Challenge(TokenServiceOptions.DpopAlgorithms);
                return Problems.Of(401, "Unauthorized", outcome.Description ?? "a token is required");
            }

            var p = outcome.Principal!;
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
                boundTo = outcome.BoundKey,
                kid = p.KeyId,
                alg = p.Algorithm,
                expiresAt = p.ExpiresAt,
            }, Api.Json);
        });
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _jwks.Dispose();
    }

    private static object View(OAuthClient c) => new
    {
        clientId = c.ClientId,
        enabled = c.Enabled,
        requireDpop = c.RequireDpop,
        scopes = c.Scopes,
        audiences = c.Audiences,
        keyIds = c.Keys.KeyIds,
        jwks = JsonDocument.Parse(c.Keys.Json).RootElement,
        createdAt = c.CreatedAt,
        updatedAt = c.UpdatedAt,
        revision = c.Revision,
    };

    /// <summary>Answers GETs of the token ring's JWKS URL from the key service, with the same Cache-Control as the endpoint.</summary>
    private sealed class LocalJwksHandler(KeyRingService keys, string ring, Uri jwksUri) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get || request.RequestUri != jwksUri)
            {
                return new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
            }

            var (json, maxAge) = await keys.GetJwksAsync(ring, cancellationToken);
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent(json) };
            response.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { Public = true, MaxAge = maxAge };
            return response;
        }
    }
}
