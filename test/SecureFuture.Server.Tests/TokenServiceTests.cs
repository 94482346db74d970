using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Identity.Validation.AspNetCore;
using SecureFuture.Keys;
using SecureFuture.Testing;

using static SecureFuture.Server.Tests.OAuthTestKit;

namespace SecureFuture.Server.Tests;

/// <summary>
/// The token service end to end: an unmodified OAuth client library (Duende.IdentityModel) finds the token endpoint
/// through discovery and authenticates with private_key_jwt; the token is signed in the HSM by the token ring's active
/// key; an unmodified JwtBearer resource server accepts it through discovery; sfi's /v1/whoami accepts it through sfi's
/// validation library. Then the misuse each part exists for.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class TokenServiceTests(ServerFixture fixture)
{
    [Fact]
    public async Task An_unmodified_client_gets_an_HSM_signed_token_that_JwtBearer_and_whoami_accept()
    {
        await using var sfi = await StartAsync();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "orders-worker", clientKey, scopes: ["orders.read"]);

        using var http = new HttpClient();
        var discovery = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest
        {
            Address = sfi.Issuer,
            Policy = new DiscoveryPolicy { RequireHttps = false, ValidateEndpoints = false },
        });
        Assert.False(discovery.IsError, discovery.Error);
        Assert.Equal(new Uri(sfi.Issuer + "oauth2/token"), new Uri(discovery.TokenEndpoint!));
        Assert.True(discovery.TokenEndpointAuthenticationMethodsSupported.SequenceEqual(["private_key_jwt"]), discovery.Raw);
        Assert.Contains("ES256", discovery.TryGetStringArray("dpop_signing_alg_values_supported"));
        Assert.EndsWith("/v1/keyrings/tokens/jwks.json", discovery.JwksUri, StringComparison.Ordinal);

        var response = await RequestTokenAsync(http, discovery.TokenEndpoint!, sfi.Issuer, "orders-worker", clientKey, scope: "orders.read");
        Assert.False(response.IsError, response.Error + " " + response.ErrorDescription);
        Assert.Equal("Bearer", response.TokenType);
        Assert.InRange(response.ExpiresIn, 590, 600);

        var token = new JsonWebToken(response.AccessToken);
        var active = (await sfi.Server.Keys.Store.ListVersionsAsync("tokens", default)).Single(v => v.State == KeyState.Active);
        Assert.Equal(active.Kid, token.Kid);
        Assert.Equal("ES256", token.Alg);
        Assert.Equal(sfi.Issuer, token.Issuer);
        Assert.Equal("orders-worker", token.Subject);
        Assert.Equal([sfi.OwnAudience], token.Audiences);
        Assert.Equal(TimeSpan.FromMinutes(10), token.ValidTo - token.IssuedAt);

        // An unmodified resource server: JwtBearer with Authority = the issuer, everything from discovery.
        await using (var api = await JwtBearerApi.StartAsync(sfi.Issuer, sfi.OwnAudience))
        {
            var (status, body) = await api.CallAsync(response.AccessToken!);
            Assert.True(status == HttpStatusCode.OK, body);
            Assert.Equal("hello orders-worker", body);
        }

        using var whoami = new HttpRequestMessage(HttpMethod.Get, new Uri(sfi.Running.BaseAddress, "/v1/whoami"));
        whoami.Headers.Authorization = new AuthenticationHeaderValue("Bearer", response.AccessToken);
        using var answer = await http.SendAsync(whoami);
        var principal = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
        Assert.True(answer.IsSuccessStatusCode, principal.ToJsonString());
        Assert.Equal(sfi.Issuer + "#orders-worker", (string)principal["subjectKey"]!);
        Assert.Equal("orders.read", (string)principal["scope"]!);
        Assert.Equal("Bearer", (string)principal["tokenType"]!);
    }

    [Fact]
    public async Task Registration_refuses_a_jwk_that_carries_private_key_material_and_stores_nothing()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = PublicJwk(key, "k1");
        jwk["d"] = Base64Url(key.ExportParameters(true).D!);
        using var refused = await sfi.Running.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new { clientId = "leaky", jwks = new JsonObject { ["keys"] = new JsonArray(jwk) } });
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("private or symmetric key material ('d')", problem, StringComparison.Ordinal);
        Assert.DoesNotContain((string)jwk["d"]!, problem, StringComparison.Ordinal);

        using var lookup = await sfi.Running.Admin.GetAsync(new Uri("/v1/clients/leaky", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);

        // A symmetric key is refused too, and registration is admin-only.
        using var symmetric = await sfi.Running.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new { clientId = "hmac", jwks = new { keys = new[] { new { kty = "oct", kid = "s", k = "c2VjcmV0" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, symmetric.StatusCode);
        using var anonymous = await sfi.Running.Anonymous.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new { clientId = "x", jwks = new { keys = new[] { PublicJwk(key, "k1") } } });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Disabled_clients_secrets_replayed_or_foreign_assertions_and_unregistered_keys_get_no_token()
    {
        await using var sfi = await StartAsync();
        using var aliceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bobKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "alice", aliceKey);
        await RegisterAsync(sfi, "bob", bobKey);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";

        // The same assertion twice: the second is a replay.
        var assertion = Assertion(sfi.Issuer, "alice", aliceKey);
        var first = await RequestTokenAsync(http, endpoint, "alice", assertion);
        Assert.False(first.IsError, first.Error + " " + first.ErrorDescription);
        var replay = await RequestTokenAsync(http, endpoint, "alice", assertion);
        Assert.Equal("invalid_client", Code(replay));
        Assert.Contains("already used", replay.ErrorDescription, StringComparison.Ordinal);

        // Bob's key cannot sign for alice, and a key alice never registered cannot either.
        Assert.Equal("invalid_client", Code(await RequestTokenAsync(http, endpoint, "alice", Assertion(sfi.Issuer, "alice", bobKey, kid: "k1"))));
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal("invalid_client", Code(await RequestTokenAsync(http, endpoint, "alice", Assertion(sfi.Issuer, "alice", stranger))));

        // An assertion for another audience (the token endpoint of some other server) is refused.
        var elsewhere = await RequestTokenAsync(http, endpoint, "alice", Assertion("https://elsewhere.example/", "alice", aliceKey));
        Assert.True(elsewhere.IsError);
        Assert.Contains("audience", elsewhere.ErrorDescription, StringComparison.Ordinal);

        // Client secrets are off.
        var secret = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest { Address = endpoint, ClientId = "alice", ClientSecret = "guess", ClientCredentialStyle = ClientCredentialStyle.PostBody });
        Assert.Equal("invalid_client", Code(secret));

        // A scope the client was not given.
        Assert.Equal("invalid_scope", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "alice", aliceKey, scope: "admin")));

        // Disabled: no token, at once.
        using (var disabled = await sfi.Running.Admin.PostAsync(new Uri("/v1/clients/alice/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        var afterDisable = await RequestTokenAsync(http, endpoint, sfi.Issuer, "alice", aliceKey);
        Assert.Equal("invalid_client", Code(afterDisable));
        Assert.False((await RequestTokenAsync(http, endpoint, sfi.Issuer, "bob", bobKey)).IsError);

        // Key rotation for clients: after replacing alice's key (and enabling her), only the new key works.
        using var aliceNext = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var replaced = await sfi.Running.Admin.PutAsJsonAsync(new Uri("/v1/clients/alice/jwks", UriKind.Relative), new JsonObject { ["keys"] = new JsonArray(PublicJwk(aliceNext, "k2")) }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        using (var enabled = await sfi.Running.Admin.PostAsync(new Uri("/v1/clients/alice/enable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        }

        Assert.Equal("invalid_client", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "alice", aliceKey)));
        Assert.False((await RequestTokenAsync(http, endpoint, "alice", Assertion(sfi.Issuer, "alice", aliceNext, kid: "k2"))).IsError);

        // Refused authentications are counted per client, and recorded as security events.
        var metrics = await sfi.Running.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.assertion-replayed\",client=\"alice\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.client-authentication-failed\",client=\"alice\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.disabled-client\",client=\"alice\"} 1", metrics, StringComparison.Ordinal);
        var recorded = await new SecureFuture.Identity.Clients.SqlClientStore(((SecureFuture.Keys.Storage.SqlKeyStore)sfi.Server.Keys.Store).DataSource, postgres: false).ReadEventsAsync(0, 500, default);
        Assert.Contains(recorded, e => e.Type == "attack.assertion-replayed" && e.ClientId == "alice");

        // Every change is in the hash-chained audit log.
        var audit = await sfi.Server.Keys.Store.ReadAuditAsync(default);
        Assert.Contains(audit, r => r.Action == "client.disabled");
        Assert.Contains(audit, r => r.Action == "client.keys-replaced");
        Assert.Empty((await sfi.Server.Keys.VerifyAuditAsync(default)).Problems);
    }

    [Fact]
    public async Task A_DPoP_bound_token_needs_its_proof_and_a_stolen_copy_or_replayed_proof_is_refused()
    {
        await using var sfi = await StartAsync();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "mobile", clientKey, requireDpop: true);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";

        // Without a proof, a client that must bind gets nothing.
        Assert.Equal("invalid_request", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey)));

        // Proof checks at the token endpoint: wrong method, wrong URI, stale iat, HMAC, missing typ.
        Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: Proof(dpopKey, "GET", endpoint))));
        Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", "https://evil.example/oauth2/token"))));
        Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint, iat: DateTimeOffset.UtcNow.AddMinutes(-5)))));
        Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint, typ: "JWT"))));

        var proof = Proof(dpopKey, "POST", endpoint);
        var bound = await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: proof);
        Assert.False(bound.IsError, bound.Error + " " + bound.ErrorDescription);
        Assert.Equal("DPoP", bound.TokenType);
        var thumbprint = Base64Url(new JsonWebKey(PublicJwk(dpopKey, "p").ToJsonString()).ComputeJwkThumbprint());
        var cnf = JsonDocument.Parse(new JsonWebToken(bound.AccessToken).GetPayloadValue<JsonElement>("cnf").GetRawText()).RootElement;
        Assert.Equal(thumbprint, cnf.GetProperty("jkt").GetString());

        // The same proof again at the token endpoint is a replay.
        Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: proof)));

        var whoamiUri = sfi.Issuer + "v1/whoami";
        // Stolen token presented as Bearer: refused.
        var (asBearer, bearerChallenge, _) = await WhoamiAsync(http, sfi, "Bearer", bound.AccessToken!, dpop: null);
        Assert.Equal(HttpStatusCode.Unauthorized, asBearer);
        Assert.Contains("invalid_token", bearerChallenge, StringComparison.Ordinal);

        // With the DPoP scheme and a proof bound to this token (ath), from the right key: accepted.
        var resourceProof = Proof(dpopKey, "GET", whoamiUri, accessToken: bound.AccessToken);
        var (ok, _, body) = await WhoamiAsync(http, sfi, "DPoP", bound.AccessToken!, resourceProof);
        Assert.True(ok == HttpStatusCode.OK, body);
        Assert.Equal(thumbprint, (string)JsonNode.Parse(body)!["boundTo"]!);

        // The same resource proof again: replay. A proof from another key: refused. A proof without ath: refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi, "DPoP", bound.AccessToken!, resourceProof)).Status);
        using var thief = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi, "DPoP", bound.AccessToken!, Proof(thief, "GET", whoamiUri, accessToken: bound.AccessToken))).Status);
        var (noAth, challenge, _) = await WhoamiAsync(http, sfi, "DPoP", bound.AccessToken!, Proof(dpopKey, "GET", whoamiUri));
        Assert.Equal(HttpStatusCode.Unauthorized, noAth);
        Assert.Contains("invalid_dpop_proof", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Security_events_make_a_disabled_clients_and_a_revoked_subjects_tokens_fail_within_seconds()
    {
        var clock = new ForwardClock();
        await using var sfi = await StartAsync(o => o with { Clock = clock });
        using var workerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bobKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "worker", workerKey);
        await RegisterAsync(sfi, "bob", bobKey);
        await RegisterAsync(sfi, "resource-server", rsKey, scopes: ["sfi.events"]);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var workerToken = (await RequestTokenAsync(http, endpoint, sfi.Issuer, "worker", workerKey)).AccessToken!;
        var bobToken = (await RequestTokenAsync(http, endpoint, sfi.Issuer, "bob", bobKey)).AccessToken!;

        // An external resource server built from the validation library: tokens from the token ring's JWKS, SETs from
        // the events ring's JWKS, polled over HTTP with its own client-credentials token.
        var evaluation = new SecureFuture.Identity.Validation.ContinuousAccessEvaluation();
        using var tokens = new SecureFuture.Identity.Validation.StrictTokenValidator(
            [new SecureFuture.Identity.Validation.TrustedIssuer(sfi.Issuer, new Uri(sfi.Issuer + "v1/keyrings/tokens/jwks.json"), [sfi.OwnAudience])], http);
        using var receiver = new SecureFuture.Identity.Validation.SecurityEventReceiver(
            new SecureFuture.Identity.Validation.TrustedIssuer(sfi.Issuer, new Uri(sfi.Issuer + "v1/keyrings/security-events/jwks.json"), [sfi.OwnAudience]), http, evaluation);
        var resource = new SecureFuture.Identity.Validation.ResourceRequestValidator(tokens, new SecureFuture.Identity.Validation.DpopProofValidator(), evaluation);
        var rsToken = (await RequestTokenAsync(http, endpoint, sfi.Issuer, "resource-server", rsKey, scope: "sfi.events")).AccessToken!;
        using var polling = new CancellationTokenSource();
        var poller = receiver.RunPollingAsync(http, new Uri(sfi.Issuer + "v1/ssf/events"), _ => Task.FromResult<string?>("Bearer " + rsToken), TimeSpan.FromMilliseconds(250), failed: null, polling.Token);

        async Task<string?> ExternalAsync(string token)
        {
            var outcome = await resource.ValidateAsync("Bearer " + token, [], "GET", new Uri("https://api.example/orders"), default);
            return outcome.IsValid ? null : outcome.Error;
        }

        Assert.Null(await ExternalAsync(workerToken));
        Assert.Equal(HttpStatusCode.OK, (await WhoamiAsync(http, sfi, "Bearer", workerToken, dpop: null)).Status);

        // Without the events scope, nobody reads the events.
        using (var noScope = new HttpRequestMessage(HttpMethod.Get, new Uri(sfi.Issuer + "v1/ssf/events")))
        {
            noScope.Headers.Authorization = new AuthenticationHeaderValue("Bearer", workerToken);
            using var forbidden = await http.SendAsync(noScope);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        var disabledAt = DateTime.UtcNow;
        using (var disabled = await sfi.Running.Admin.PostAsync(new Uri("/v1/clients/worker/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        // Both the external resource server and sfi's own whoami refuse the still-unexpired token within seconds.
        var (whoamiStatus, challenge, _) = await EventuallyAsync(() => WhoamiAsync(http, sfi, "Bearer", workerToken, dpop: null), r => r.Status == HttpStatusCode.Unauthorized);
        Assert.Contains("error=\"insufficient_claims\"", challenge, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, whoamiStatus);
        Assert.Equal("insufficient_claims", await EventuallyAsync(() => ExternalAsync(workerToken), e => e is not null));
        Assert.True(DateTime.UtcNow - disabledAt < TimeSpan.FromSeconds(5), $"took {DateTime.UtcNow - disabledAt}");
        Assert.Null(await ExternalAsync(bobToken));

        // Admin revocation of bob's sessions: his current token is invalid_token; a token obtained afterwards works.
        using (var revoked = await sfi.Running.Admin.PostAsync(new Uri("/v1/subjects/bob/revoke", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        Assert.Equal("invalid_token", await EventuallyAsync(() => ExternalAsync(bobToken), e => e is not null));
        clock.SkipPastSecondOf(clock.GetUtcNow()); // tokens issued in the second of the revocation are refused too
        var fresh = (await RequestTokenAsync(http, endpoint, sfi.Issuer, "bob", bobKey)).AccessToken!;
        Assert.Null(await ExternalAsync(fresh));

        // A SET signed by any other key (here the token ring's, which is the same issuer's) is not applied.
        var active = (await sfi.Server.Keys.Store.ListVersionsAsync("tokens", default)).Single(v => v.State == KeyState.Active);
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", kid = active.Kid, typ = "secevent+jwt" }));
        var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = sfi.Issuer,
            ["jti"] = "forged-1",
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["aud"] = sfi.OwnAudience,
            ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
            ["sub_id"] = new { format = "iss_sub", iss = sfi.Issuer, sub = "resource-server" },
            ["events"] = new Dictionary<string, object> { [SecureFuture.Identity.Validation.SecurityEventTypes.AccountDisabled] = new { } },
        }));
        var signature = fixture.Custodian.SignDigest(active.HsmId, SigningAlgorithm.ES256, SHA256.HashData(Encoding.ASCII.GetBytes(header + "." + claims)));
        Assert.NotNull(await receiver.ApplyAsync(header + "." + claims + "." + Base64Url(signature), default));
        Assert.Null(await ExternalAsync(rsToken));

        await polling.CancelAsync();
        await poller;
    }

    [Fact]
    public async Task The_strict_ASP_NET_Core_handler_accepts_bound_and_unbound_tokens_and_refuses_stolen_or_unsigned_ones()
    {
        await using var sfi = await StartAsync();
        using var svcKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var mobileKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", svcKey);
        await RegisterAsync(sfi, "mobile", mobileKey, requireDpop: true);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var unbound = (await RequestTokenAsync(http, endpoint, sfi.Issuer, "svc", svcKey)).AccessToken!;
        var bound = (await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", mobileKey, dpop: Proof(dpopKey, "POST", endpoint))).AccessToken!;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthorization();
        var port = FreePort();
        var publicBase = new Uri($"http://127.0.0.1:{port}/");
        var refusals = new System.Collections.Concurrent.ConcurrentQueue<(SecureFuture.Identity.Validation.Refusal Kind, string? Subject)>();
        builder.WebHost.UseUrls(publicBase.ToString());
        builder.Services.AddAuthentication("sfi").AddSfiBearer("sfi", o =>
        {
            o.Issuer = sfi.Issuer;
            o.JwksUri = new Uri(sfi.Issuer + "v1/keyrings/tokens/jwks.json");
            o.Audience = sfi.OwnAudience;
            o.PublicBaseUri = publicBase;
            o.OnRefused = (_, outcome) =>
            {
                refusals.Enqueue((outcome.Refusal, outcome.RefusedPrincipal?.Subject));
                return Task.CompletedTask;
            };
        });
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/orders", (HttpContext context) => Results.Text(context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)!.Value)).RequireAuthorization();
        await app.StartAsync();

        async Task<(HttpStatusCode Status, string Challenge, string Body)> CallAsync(string? scheme, string? token, string? dpop)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(publicBase, "/orders"));
            if (scheme is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", scheme + " " + token);
            }

            if (dpop is not null)
            {
                request.Headers.Add("DPoP", dpop);
            }

            using var response = await http.SendAsync(request);
            return (response.StatusCode, response.Headers.WwwAuthenticate.ToString(), await response.Content.ReadAsStringAsync());
        }

        var ok = await CallAsync("Bearer", unbound, null);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal(sfi.Issuer + "#svc", ok.Body);

        var orders = new Uri(publicBase, "/orders").ToString();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync("DPoP", bound, Proof(dpopKey, "GET", orders, accessToken: bound))).Status);
        var stolen = await CallAsync("Bearer", bound, null);
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.Status);
        Assert.Contains("error=\"invalid_token\"", stolen.Challenge, StringComparison.Ordinal);

        // alg none with the same claims; the signature stripped.
        var parts = unbound.Split('.');
        var none = Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"at+jwt\"}")) + "." + parts[1] + ".";
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync("Bearer", none, null)).Status);
        var anonymous = await CallAsync(null, null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.StartsWith("Bearer", anonymous.Challenge, StringComparison.Ordinal);

        // The application hears of each refusal with its kind: the stolen token names its owner, the forgery no one.
        Assert.Equal([(SecureFuture.Identity.Validation.Refusal.BindingViolation, "mobile"), (SecureFuture.Identity.Validation.Refusal.ForgedHeader, null)], refusals.ToArray());
        await app.StopAsync();
    }

    [Fact]
    public async Task Pushed_security_events_reach_a_receiver_that_was_down_and_disable_the_client_there()
    {
        await using var sfi = await StartAsync(o => o with { AllowPrivatePushEndpoints = true }); // the receiver listens on loopback
        using var workerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "worker", workerKey);
        using var http = new HttpClient();
        var workerToken = (await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "worker", workerKey)).AccessToken!;

        // The receiving resource server: RFC 8935 push endpoint, down (503) until told otherwise.
        var evaluation = new SecureFuture.Identity.Validation.ContinuousAccessEvaluation();
        using var receiver = new SecureFuture.Identity.Validation.SecurityEventReceiver(
            new SecureFuture.Identity.Validation.TrustedIssuer(sfi.Issuer, new Uri(sfi.Issuer + "v1/keyrings/security-events/jwks.json"), [sfi.OwnAudience]), http, evaluation);
        var up = false;
        var refusedWhileDown = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (!Volatile.Read(ref up))
            {
                Interlocked.Increment(ref refusedWhileDown);
                context.Response.StatusCode = 503;
                return;
            }

            await next(context);
        });
        app.MapSecurityEventPush("/ssf/push", receiver);
        await app.StartAsync();
        var pushUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/ssf/push");

        using (var created = await sfi.Running.Admin.PostAsJsonAsync(new Uri("/v1/ssf/streams", UriKind.Relative), new { endpoint = pushUri }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var disabled = await sfi.Running.Admin.PostAsync(new Uri("/v1/clients/worker/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref refusedWhileDown)), n => n >= 2);
        Assert.Equal(0, evaluation.Applied);
        Volatile.Write(ref up, true);

        using var tokens = new SecureFuture.Identity.Validation.StrictTokenValidator(
            [new SecureFuture.Identity.Validation.TrustedIssuer(sfi.Issuer, new Uri(sfi.Issuer + "v1/keyrings/tokens/jwks.json"), [sfi.OwnAudience])], http);
        var resource = new SecureFuture.Identity.Validation.ResourceRequestValidator(tokens, new SecureFuture.Identity.Validation.DpopProofValidator(), evaluation);
        var outcome = await EventuallyAsync(() => resource.ValidateAsync("Bearer " + workerToken, [], "GET", new Uri("https://api.example/x"), default), o => !o.IsValid);
        Assert.Equal("insufficient_claims", outcome.Error);

        // A SET that is not signed by the transmitter is answered 400 with RFC 8935's error shape.
        using var bogus = new StringContent("eyJhbGciOiJub25lIn0.e30.");
        bogus.Headers.ContentType = new MediaTypeHeaderValue("application/secevent+jwt");
        using var answer = await http.PostAsync(pushUri, bogus);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("\"err\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.StopAsync();
    }

    /// <summary>
    /// OpenIddict runs an event's handlers in order of their <c>Order</c>, sorted once with <c>List.Sort</c>, which is
    /// not stable: two handlers of one event with the same order run in either order, and which one changed when any
    /// handler was added. The check that reports a revoked token inactive had the order of OpenIddict's handler that
    /// attaches the token's principal; after an unrelated handler was added it ran first, found no principal, and a
    /// revoked token was introspected as active. So each handler sfi adds has an order of its own within its event.
    /// </summary>
    [Fact]
    public async Task Every_handler_sfi_adds_runs_at_an_order_no_other_handler_of_its_event_has()
    {
        await using var sfi = await StartAsync();
        var handlers = sfi.Server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions>>().CurrentValue.Handlers;
        Assert.Contains(handlers, h => h.Type == OpenIddict.Server.OpenIddictServerHandlerType.Custom);
        var shared = handlers
            .GroupBy(h => (h.ContextType, h.Order))
            .Where(g => g.Count() > 1 && g.Any(h => h.Type == OpenIddict.Server.OpenIddictServerHandlerType.Custom))
            .Select(g => $"{g.Key.ContextType.Name} at {g.Key.Order}: {string.Join(", ", g.Select(h => h.ServiceDescriptor.ServiceType.Name))}")
            .ToList();
        Assert.True(shared.Count == 0, string.Join("\n", shared));
    }

    [Fact]
    public async Task Introspection_answers_the_owner_and_resource_servers_and_a_revoked_token_dies_everywhere()
    {
        await using var sfi = await StartAsync();
        using var svcKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", svcKey);
        await RegisterAsync(sfi, "rs", rsKey, scopes: ["sfi.introspect"]);
        await RegisterAsync(sfi, "other", otherKey);
        using var http = new HttpClient();
        var token = (await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "svc", svcKey)).AccessToken!;

        async Task<TokenIntrospectionResponse> IntrospectAsync(string clientId, ECDsa key) => await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = sfi.Issuer + "oauth2/introspect",
            ClientId = clientId,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(sfi.Issuer, clientId, key) },
            Token = token,
        });

        var own = await IntrospectAsync("svc", svcKey);
        Assert.False(own.IsError, own.Error + " " + own.Raw);
        Assert.True(own.IsActive, own.Raw);
        Assert.Contains(own.Claims, c => c.Type == "sub" && c.Value == "svc");
        var byResourceServer = await IntrospectAsync("rs", rsKey);
        Assert.True(byResourceServer.IsActive, byResourceServer.Raw);
        var byOther = await IntrospectAsync("other", otherKey);
        Assert.False(byOther.IsActive, byOther.Raw);

        // Another client cannot revoke it; its own client can.
        async Task<TokenRevocationResponse> RevokeAsync(string clientId, ECDsa key) => await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = sfi.Issuer + "oauth2/revoke",
            ClientId = clientId,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(sfi.Issuer, clientId, key) },
            Token = token,
        });

        await RevokeAsync("other", otherKey);
        await EventPassAsync(sfi.Server); // a revocation that had been accepted would have reached introspection by now
        Assert.True((await IntrospectAsync("rs", rsKey)).IsActive);

        var revoked = await RevokeAsync("svc", svcKey);
        Assert.False(revoked.IsError, revoked.Error + " " + revoked.Raw);
        var inactive = await EventuallyAsync(() => IntrospectAsync("rs", rsKey), r => !r.IsActive);
        Assert.False(inactive.IsActive, inactive.Raw);
        var (status, challenge, _) = await EventuallyAsync(() => WhoamiAsync(http, sfi, "Bearer", token, dpop: null), r => r.Status == HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);

        // The client's other tokens are untouched.
        var next = (await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "svc", svcKey)).AccessToken!;
        Assert.Equal(HttpStatusCode.OK, (await WhoamiAsync(http, sfi, "Bearer", next, dpop: null)).Status);
    }

    [Fact]
    public async Task Hostile_token_requests_get_oauth_errors_never_a_crash()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        using var http = new HttpClient();
        var endpoint = new Uri(sfi.Issuer + "oauth2/token");
        var nested = new string('[', 30_000) + new string(']', 30_000);
        var hugeHeader = Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"ES256\",\"kid\":\"k1\",\"x\":\"" + new string('a', 100_000) + "\"}"));
        var payload = Base64Url(Encoding.UTF8.GetBytes("{\"iss\":\"svc\",\"sub\":\"svc\"}"));
        string[] assertions =
        [
            "not-a-jwt",
            "a.b",
            "a.b.c.d.e.f",
            "!!!.###.$$$",
            Base64Url(Encoding.UTF8.GetBytes(nested)) + "." + payload + ".sig",
            hugeHeader + "." + payload + ".sig",
            Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"none\"}")) + "." + payload + ".",
            string.Empty,
        ];
        foreach (var assertion in assertions)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = "svc",
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = assertion,
            });
            using var response = await http.PostAsync(endpoint, form);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.RequestEntityTooLarge, $"{assertion[..Math.Min(20, assertion.Length)]}: {(int)response.StatusCode} {body[..Math.Min(300, body.Length)]}");
            Assert.Contains("error", body, StringComparison.Ordinal);
        }

        // Unknown and unsupported grant types, and a malformed DPoP proof.
        foreach (var grant in new[] { "password", "urn:example:unknown", "authorization_code" })
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = grant, ["client_id"] = "svc" });
            using var response = await http.PostAsync(endpoint, form);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (var proof in new[] { "x", "a.b.c", new string('A', 9_000) })
        {
            Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint.ToString(), sfi.Issuer, "svc", key, dpop: proof)));
        }

        // A header beyond Kestrel's limits never reaches the proof parser.
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await RequestTokenAsync(http, endpoint.ToString(), sfi.Issuer, "svc", key, dpop: new string('A', 100_000))).HttpStatusCode);

        // A form body over the server's limit is refused before it is parsed.
        using (var huge = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_assertion"] = new string('a', 600_000) }))
        {
            using var response = await http.PostAsync(endpoint, huge);
            Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // After all that, the service still issues tokens.
        Assert.False((await RequestTokenAsync(http, endpoint.ToString(), sfi.Issuer, "svc", key)).IsError);
    }

    [Fact]
    public async Task With_server_nonces_a_DPoP_token_request_needs_the_nonce_the_server_handed_out()
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        await using var sfi = new IssuerServer(
            await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer), RequireDpopNonce = true }), issuer);
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var plainKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "mobile", clientKey, requireDpop: true);
        await RegisterAsync(sfi, "batch", plainKey);
        using var http = new HttpClient();
        var endpoint = issuer + "oauth2/token";

        // A proof made without the nonce (or in advance, with a made-up one): 400 use_dpop_nonce, and the nonce to use.
        var first = await RequestTokenAsync(http, endpoint, issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint));
        Assert.Equal(HttpStatusCode.BadRequest, first.HttpResponse!.StatusCode);
        Assert.Equal("use_dpop_nonce", first.Error);
        var nonce = Assert.Single(first.HttpResponse.Headers.GetValues("DPoP-Nonce"));
        Assert.Matches("^[A-Za-z0-9_-]{43}$", nonce);
        var guessed = await RequestTokenAsync(http, endpoint, issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint, nonce: "made-up-in-advance"));
        Assert.Equal("use_dpop_nonce", guessed.Error);

        // With the nonce: a bound token, and the response hands out the nonce again.
        var bound = await RequestTokenAsync(http, endpoint, issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint, nonce: nonce));
        Assert.False(bound.IsError, bound.Error + " " + bound.ErrorDescription);
        Assert.Equal("DPoP", bound.TokenType);
        Assert.Equal(nonce, Assert.Single(bound.HttpResponse!.Headers.GetValues("DPoP-Nonce")));

        // A nonce does not make a proof reusable: the same proof again is still a replay.
        var proof = Proof(dpopKey, "POST", endpoint, nonce: nonce);
        Assert.False((await RequestTokenAsync(http, endpoint, issuer, "mobile", clientKey, dpop: proof)).IsError);
        Assert.Equal("invalid_dpop_proof", Code(await RequestTokenAsync(http, endpoint, issuer, "mobile", clientKey, dpop: proof)));

        // Requests without a proof are not affected.
        Assert.False((await RequestTokenAsync(http, endpoint, issuer, "batch", plainKey)).IsError);

        // Without the token service the option has nothing to act on.
        var directory = Directory.CreateTempSubdirectory("sfi-server-");
        var error = await Assert.ThrowsAsync<ServerStartException>(() => SfiServer.StartAsync(
            new ServerOptions { DataDirectory = directory.FullName, Urls = ["http://127.0.0.1:0"], Dev = true, RequireDpopNonce = true }, TextWriter.Null, fixture.Custodian));
        Assert.Equal("--dpop-nonce needs --issuer (the token service is off without one)", error.Message);
        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Forged_stolen_or_replayed_tokens_at_whoami_are_counted_and_recorded_without_throttling_the_victim()
    {
        await using var sfi = await StartAsync();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "mobile", clientKey, requireDpop: true);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var whoami = sfi.Issuer + "v1/whoami";
        var bound = await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint));
        Assert.False(bound.IsError, bound.Error + " " + bound.ErrorDescription);

        // Storm-0558-style forgeries naming mobile: a key the issuer never published, 25 times. Not verified, so no
        // client is named; counted every time, stored once per kind within the interval.
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = sfi.Issuer,
            Audience = sfi.OwnAudience,
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "mobile", ["client_id"] = "mobile" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(forger) { KeyId = "forged-1" }, SecurityAlgorithms.EcdsaSha256),
        });
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi, "Bearer", forged, dpop: null)).Status);
        }

        // mobile's real token, stolen: presented without its proof (25 times), and its whoami proof replayed.
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi, "Bearer", bound.AccessToken!, dpop: null)).Status);
        }

        var proof = Proof(dpopKey, "GET", whoami, accessToken: bound.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await WhoamiAsync(http, sfi, "DPoP", bound.AccessToken!, proof)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi, "DPoP", bound.AccessToken!, proof)).Status);

        // An expired or malformed token is noise, not an attack: not recorded.
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi, "Bearer", "not-a-token", dpop: null)).Status);

        var metrics = await sfi.Running.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.resource.unknown-key\",client=\"unregistered\"} 25", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.resource.binding-violation\",client=\"mobile\"} 25", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.resource.replayed-proof\",client=\"mobile\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("attack.resource.malformed", metrics, StringComparison.Ordinal);
        var recorded = await new SecureFuture.Identity.Clients.SqlClientStore(((SecureFuture.Keys.Storage.SqlKeyStore)sfi.Server.Keys.Store).DataSource, postgres: false).ReadEventsAsync(0, 500, default);
        Assert.Single(recorded, e => e.Type == "attack.resource.unknown-key" && e.ClientId is null);
        var stolen = Assert.Single(recorded, e => e.Type == "attack.resource.binding-violation");
        Assert.Equal("mobile", stolen.ClientId);
        Assert.Contains("GET /v1/whoami from 127.0.0.1", stolen.Details, StringComparison.Ordinal);
        Assert.Single(recorded, e => e.Type == "attack.resource.replayed-proof" && e.ClientId == "mobile");

        // Whoever holds mobile's stolen token is not mobile: mobile still gets tokens.
        var after = await RequestTokenAsync(http, endpoint, sfi.Issuer, "mobile", clientKey, dpop: Proof(dpopKey, "POST", endpoint));
        Assert.False(after.IsError, after.Error + " " + after.ErrorDescription);
    }

    [Fact]
    public async Task Changing_a_clients_scopes_or_binding_applies_to_new_tokens_and_ends_its_earlier_ones()
    {
        var clock = new ForwardClock();
        await using var sfi = await StartAsync(o => o with { Clock = clock });
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "reports", clientKey, scopes: ["orders.read", "orders.write"]);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var before = await RequestTokenAsync(http, endpoint, sfi.Issuer, "reports", clientKey, scope: "orders.write");
        Assert.False(before.IsError, before.Error + " " + before.ErrorDescription);
        Assert.Equal(HttpStatusCode.OK, (await WhoamiAsync(http, sfi, "Bearer", before.AccessToken!, dpop: null)).Status);

        // The admin takes write access away and requires DPoP from now on.
        using (var patched = await sfi.Running.Admin.PatchAsJsonAsync(new Uri("/v1/clients/reports", UriKind.Relative), new { scopes = new[] { "orders.read" }, requireDpop = true }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            var view = JsonNode.Parse(await patched.Content.ReadAsStringAsync())!;
            Assert.True((bool)view["requireDpop"]!);
            Assert.Equal("orders.read", (string)view["scopes"]![0]!);
            Assert.Single(view["scopes"]!.AsArray());
        }

        var changedAt = clock.GetUtcNow();

        // The earlier token (write scope, unbound) is refused from the security-event worker's next pass on: the change
        // is a CAEP token-claims-change.
        await EventPassAsync(sfi.Server);
        var (status, challenge, _) = await WhoamiAsync(http, sfi, "Bearer", before.AccessToken!, dpop: null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("insufficient_claims", challenge, StringComparison.Ordinal);

        // New tokens follow the new settings: unbound is refused, the removed scope is refused, a bound read token is issued.
        // (iat has one-second resolution, so a token of the same second as the change counts as earlier: skip past it.)
        clock.SkipPastSecondOf(changedAt);

        Assert.Equal("invalid_request", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "reports", clientKey, scope: "orders.read")));
        Assert.Equal("invalid_scope", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "reports", clientKey, scope: "orders.write", dpop: Proof(dpopKey, "POST", endpoint))));
        var after = await RequestTokenAsync(http, endpoint, sfi.Issuer, "reports", clientKey, scope: "orders.read", dpop: Proof(dpopKey, "POST", endpoint));
        Assert.False(after.IsError, after.Error + " " + after.ErrorDescription);
        Assert.Equal("DPoP", after.TokenType);

        // Misuse: both bindings at once, keys or the enabled state through PATCH, an unknown client, no admin key.
        var clientUri = new Uri("/v1/clients/reports", UriKind.Relative);
        using (var both = await sfi.Running.Admin.PatchAsJsonAsync(clientUri, new { tlsClientCertificateBoundAccessTokens = true }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
            Assert.Contains("exclude each other", await both.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var keys = await sfi.Running.Admin.PatchAsJsonAsync(clientUri, new { jwks = new { keys = Array.Empty<object>() } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, keys.StatusCode);
        }

        using (var enabled = await sfi.Running.Admin.PatchAsJsonAsync(clientUri, new { enabled = false }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, enabled.StatusCode);
        }

        using (var noAudience = await sfi.Running.Admin.PatchAsJsonAsync(clientUri, new { audiences = Array.Empty<string>() }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noAudience.StatusCode);
        }

        foreach (var hostile in new[] { "{", "{\"scopes\": 5}", "[]", "{\"scopes\": [\"a b\"]}", new string('[', 5000) })
        {
            using var body = new StringContent(hostile, Encoding.UTF8, "application/json");
            using var answer = await sfi.Running.Admin.PatchAsync(clientUri, body);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{hostile[..Math.Min(20, hostile.Length)]}: {answer.StatusCode}");
        }

        using (var unknown = await sfi.Running.Admin.PatchAsJsonAsync(new Uri("/v1/clients/nobody", UriKind.Relative), new { requireDpop = true }))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using (var anonymous = await sfi.Running.Anonymous.PatchAsJsonAsync(clientUri, new { requireDpop = false }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // The same settings again change nothing: no event, so the bound token stays valid. The change is audited once.
        using (var same = await sfi.Running.Admin.PatchAsJsonAsync(clientUri, new { scopes = new[] { "orders.read" }, requireDpop = true }))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        }

        var audit = await sfi.Server.Keys.Store.ReadAuditAsync(default);
        Assert.Single(audit, r => r.Action == "client.updated");
        Assert.Empty((await sfi.Server.Keys.VerifyAuditAsync(default)).Problems);
        await EventPassAsync(sfi.Server); // an event from the PATCH would have been applied to whoami by now
        var whoamiProof = Proof(dpopKey, "GET", sfi.Issuer + "v1/whoami", accessToken: after.AccessToken);
        var (afterStatus, _, afterBody) = await WhoamiAsync(http, sfi, "DPoP", after.AccessToken!, whoamiProof);
        Assert.True(afterStatus == HttpStatusCode.OK, afterBody);
    }

    [Fact]
    public async Task The_token_ring_is_bound_to_its_issuer_and_a_restart_with_another_issuer_is_refused()
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var sfi = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) });
        var ring = await sfi.Server.Keys.Store.GetRingAsync("tokens", default);
        Assert.Equal(issuer, ring!.Policy.Issuer);

        // The ring itself refuses to sign a token for another issuer, whoever asks.
        var active = (await sfi.Server.Keys.Store.ListVersionsAsync("tokens", default)).Single(v => v.State == KeyState.Active);
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", kid = active.Kid }));
        var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { iss = "https://login.example/", sub = "x", exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds() }));
        using (var forged = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/tokens/sign", UriKind.Relative), new { payload = Base64Url(Encoding.ASCII.GetBytes(header + "." + claims)) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        var dataDirectory = sfi.DataDirectory;
        await sfi.Server.DisposeAsync();
        var error = await Assert.ThrowsAsync<ServerStartException>(() => SfiServer.StartAsync(
            new ServerOptions { DataDirectory = dataDirectory, Urls = ["http://127.0.0.1:0"], Dev = true, BootstrapAdminKey = sfi.AdminKey, Issuer = new Uri("http://localhost:1/") }, TextWriter.Null, fixture.Custodian));
        Assert.Contains("never sign for another issuer", error.Message, StringComparison.Ordinal);
        Directory.Delete(dataDirectory, recursive: true);
        sfi.Anonymous.Dispose();
        sfi.Admin.Dispose();
    }

    private async Task<IssuerServer> StartAsync(Func<ServerOptions, ServerOptions>? configure = null)
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var running = await RunningServer.StartAsync(fixture.Custodian, configure: o => (configure ?? (x => x))(o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) }));
        return new IssuerServer(running, issuer);
    }

    internal static async Task RegisterAsync(IssuerServer sfi, string clientId, ECDsa key, string[]? scopes = null, bool requireDpop = false, string[]? audiences = null)
    {
        using var created = await sfi.Running.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new JsonObject
        {
            ["clientId"] = clientId,
            ["jwks"] = new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) },
            ["scopes"] = new JsonArray([.. (scopes ?? []).Select(s => (JsonNode)s)]),
            ["requireDpop"] = requireDpop,
            ["audiences"] = audiences is null ? null : new JsonArray([.. audiences.Select(a => (JsonNode)a)]),
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    internal static Task<TokenResponse> RequestTokenAsync(HttpClient http, string endpoint, string issuer, string clientId, ECDsa key, string? scope = null, string? dpop = null)
        => RequestTokenAsync(http, endpoint, clientId, Assertion(issuer, clientId, key), scope, dpop);

    internal static async Task<TokenResponse> RequestTokenAsync(HttpClient http, string endpoint, string clientId, string assertion, string? scope = null, string? dpop = null)
    {
        var request = new ClientCredentialsTokenRequest
        {
            Address = endpoint,
            ClientId = clientId,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = assertion },
            Scope = scope,
        };
        if (dpop is not null)
        {
            request.Headers.Add("DPoP", dpop);
        }

        return await http.RequestClientCredentialsTokenAsync(request);
    }

    internal static async Task<(HttpStatusCode Status, string Challenge, string Body)> WhoamiAsync(HttpClient http, IssuerServer sfi, string scheme, string token, string? dpop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(sfi.Running.BaseAddress, "/v1/whoami"));
        request.Headers.TryAddWithoutValidation("Authorization", scheme + " " + token);
        if (dpop is not null)
        {
            request.Headers.Add("DPoP", dpop);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Headers.WwwAuthenticate.ToString(), await response.Content.ReadAsStringAsync());
    }

    internal sealed class IssuerServer(RunningServer running, string issuer) : IAsyncDisposable
    {
        public RunningServer Running => running;

        public SfiServer Server => running.Server;

        public string Issuer => issuer;

        public string OwnAudience => issuer + "v1/";

        public ValueTask DisposeAsync() => running.DisposeAsync();
    }

    /// <summary>An unmodified ASP.NET Core resource server: JwtBearer with Authority, metadata from discovery.</summary>
    private sealed class JwtBearerApi : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _client;

        private JwtBearerApi(WebApplication app, Uri address)
        {
            _app = app;
            _client = new HttpClient { BaseAddress = address };
        }

        public static async Task<JwtBearerApi> StartAsync(string authority, string audience)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddAuthorization();
            builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
            {
                options.Authority = authority;
                options.Audience = audience;
                options.RequireHttpsMetadata = false;
                options.MapInboundClaims = false;
                options.Events = new JwtBearerEvents
                {
                    OnChallenge = context =>
                    {
                        context.Response.Headers["X-Failure"] = (context.AuthenticateFailure?.Message ?? string.Empty).ReplaceLineEndings(" ");
                        return Task.CompletedTask;
                    },
                };
            });
            var app = builder.Build();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/orders", (HttpContext context) => Results.Text($"hello {context.User.FindFirst("sub")?.Value}")).RequireAuthorization();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new JwtBearerApi(app, new Uri(address));
        }

        public async Task<(HttpStatusCode Status, string Body)> CallAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _client.SendAsync(request);
            var failure = response.Headers.TryGetValues("X-Failure", out var values) ? string.Join(" ", values) : string.Empty;
            return (response.StatusCode, response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : failure);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
