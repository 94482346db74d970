using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation.AspNetCore;
using SecureFuture.Keys.Storage;
using SecureFuture.Testing;

using static SecureFuture.Server.Tests.OAuthTestKit;

namespace SecureFuture.Server.Tests;

/// <summary>
/// Certificate-bound access tokens (RFC 8705) end to end: sfi serve on https with a certificate made here, clients that
/// present self-signed TLS certificates made here (SocketsHttpHandler, nothing mocked), an unmodified OAuth client
/// library (Duende.IdentityModel) with private_key_jwt, and /v1/whoami as the resource server. Then the attack the
/// binding exists for: the token without its certificate.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class MtlsBindingTests(ServerFixture fixture)
{
    private const string ForwardedHeader = "X-Client-Cert";

    [Fact]
    public async Task An_unmodified_client_gets_a_certificate_bound_token_over_mutual_TLS_and_only_its_certificate_can_use_it()
    {
        await using var sfi = await MtlsServer.StartAsync(fixture);
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await sfi.RegisterAsync("orders-worker", clientKey);
        using var certificate = ClientCertificate("CN=orders-worker");
        using var stranger = ClientCertificate("CN=orders-worker");
        using var http = sfi.Client(certificate);

        var discovery = await http.GetDiscoveryDocumentAsync(sfi.Issuer);
        Assert.False(discovery.IsError, discovery.Error);
        Assert.True(JsonDocument.Parse(discovery.Raw!).RootElement.GetProperty("tls_client_certificate_bound_access_tokens").GetBoolean(), discovery.Raw);

        var response = await RequestTokenAsync(http, discovery.TokenEndpoint!, sfi.Issuer, "orders-worker", clientKey);
        Assert.False(response.IsError, response.Error + " " + response.ErrorDescription);
        Assert.Equal("Bearer", response.TokenType); // RFC 8705 §3: still a Bearer token, bound by the connection
        var thumbprint = Base64Url(SHA256.HashData(certificate.RawData));
        var cnf = Cnf(response.AccessToken!);
        Assert.Equal(thumbprint, cnf.GetProperty("x5t#S256").GetString());
        Assert.False(cnf.TryGetProperty("jkt", out _));

        // With its certificate: accepted, and whoami says how the token is bound.
        var (status, _, body) = await WhoamiAsync(http, sfi.HttpsBase, response.AccessToken!);
        Assert.True(status == HttpStatusCode.OK, body);
        var principal = JsonNode.Parse(body)!;
        Assert.Equal("mtls", (string)principal["binding"]!);
        Assert.Equal(thumbprint, (string)principal["boundCertificate"]!);
        Assert.Equal("Bearer", (string)principal["tokenType"]!);

        // The stolen token: from a client with another certificate, with none, and over plain http.
        using var thief = sfi.Client(stranger);
        var other = await WhoamiAsync(thief, sfi.HttpsBase, response.AccessToken!);
        Assert.Equal(HttpStatusCode.Unauthorized, other.Status);
        Assert.Contains("error=\"invalid_token\"", other.Challenge, StringComparison.Ordinal);
        Assert.Contains("another TLS client certificate", other.Challenge, StringComparison.Ordinal);
        using var noCertificate = sfi.Client(null);
        var none = await WhoamiAsync(noCertificate, sfi.HttpsBase, response.AccessToken!);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.StartsWith("Bearer error=\"invalid_token\"", none.Challenge, StringComparison.Ordinal);
        Assert.Contains("present it over mutual TLS", none.Challenge, StringComparison.Ordinal);
        using var plain = new HttpClient();
        var overHttp = await WhoamiAsync(plain, sfi.HttpBase, response.AccessToken!);
        Assert.Equal(HttpStatusCode.Unauthorized, overHttp.Status);
        Assert.Contains("error=\"invalid_token\"", overHttp.Challenge, StringComparison.Ordinal);

        // Without a certificate the same client gets an unbound token, usable anywhere, as before.
        var unbound = await RequestTokenAsync(noCertificate, discovery.TokenEndpoint!, sfi.Issuer, "orders-worker", clientKey);
        Assert.False(unbound.IsError, unbound.Error + " " + unbound.ErrorDescription);
        Assert.False(new JsonWebToken(unbound.AccessToken).TryGetPayloadValue<JsonElement>("cnf", out _));
        var anywhere = await WhoamiAsync(plain, sfi.HttpBase, unbound.AccessToken!);
        Assert.True(anywhere.Status == HttpStatusCode.OK, anywhere.Body);
        Assert.Equal("none", (string)JsonNode.Parse(anywhere.Body)!["binding"]!);

        // Introspection (RFC 7662 with RFC 8705 §3.2) reports the binding.
        var introspected = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = sfi.Issuer + "oauth2/introspect",
            ClientId = "orders-worker",
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(sfi.Issuer, "orders-worker", clientKey) },
            Token = response.AccessToken!,
        });
        Assert.True(introspected.IsActive, introspected.Raw);
        Assert.Equal(thumbprint, JsonDocument.Parse(introspected.Raw!).RootElement.GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task A_client_certificate_naming_issuer_CRL_and_OCSP_URLs_makes_the_server_fetch_nothing()
    {
        // The certificate only names a key to bind to; were the server to build its chain the usual way, a client could
        // make it fetch any URL (AIA caIssuers, CRL, OCSP) during the handshake: server-side request forgery and a
        // slow handshake. Those URLs point at a listener here that must never see a connection.
        using var trap = new ConnectionTrap();
        var url = trap.Url.ToString().TrimEnd('/');
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=untrusted issuing CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=fetcher", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([url + "/ocsp"], [url + "/ca.crt"]));
        leafRequest.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url + "/ca.crl"]));
        using var issued = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(30), [1, 2, 3, 4]);
        using var certificate = issued.CopyWithPrivateKey(leafKey);

        await using var sfi = await MtlsServer.StartAsync(fixture);
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await sfi.RegisterAsync("fetcher", clientKey);
        using var http = sfi.Client(certificate);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var response = await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "fetcher", clientKey);
        Assert.False(response.IsError, response.Error + " " + response.ErrorDescription);
        Assert.Equal(Base64Url(SHA256.HashData(certificate.RawData)), Cnf(response.AccessToken!).GetProperty("x5t#S256").GetString());
        var (status, _, body) = await WhoamiAsync(http, sfi.HttpsBase, response.AccessToken!);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the handshakes took {started.Elapsed}");
        // Chain building fetches during the handshake, so any fetch it made has connected by now.
        Assert.True(await trap.ConnectionsSoFarAsync() == 0, "the server connected to a URL named in the client's certificate");
    }

    [Fact]
    public async Task A_client_registered_for_certificate_bound_tokens_gets_none_without_its_certificate_and_DPoP_wins_for_others()
    {
        await using var sfi = await MtlsServer.StartAsync(fixture);
        using var boundKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await sfi.RegisterAsync("payments", boundKey, certificateBound: true);
        await sfi.RegisterAsync("reports", otherKey);
        using var certificate = ClientCertificate("CN=payments");
        using var withCertificate = sfi.Client(certificate);
        using var withoutCertificate = sfi.Client(null);
        var endpoint = sfi.Issuer + "oauth2/token";

        // The registration says so, persisted, and contradictory registrations are refused.
        var registered = JsonNode.Parse(await sfi.Admin.GetStringAsync(new Uri(sfi.HttpsBase, "/v1/clients/payments")))!;
        Assert.True((bool)registered["tlsClientCertificateBoundAccessTokens"]!);
        var stored = await new SqlClientStore(((SqlKeyStore)sfi.Server.Keys.Store).DataSource, postgres: false).GetAsync("payments", default);
        Assert.True(stored!.TlsClientCertificateBoundAccessTokens);
        using (var both = await sfi.Admin.PostAsJsonAsync(new Uri(sfi.HttpsBase, "/v1/clients"), new JsonObject
        {
            ["clientId"] = "confused",
            ["jwks"] = new JsonObject { ["keys"] = new JsonArray(PublicJwk(otherKey, "k1")) },
            ["requireDpop"] = true,
            ["tlsClientCertificateBoundAccessTokens"] = true,
        }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
            Assert.Contains("exclude each other", await both.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // No certificate: no token, and the error says why.
        var refused = await RequestTokenAsync(withoutCertificate, endpoint, sfi.Issuer, "payments", boundKey);
        Assert.Equal("invalid_request", Code(refused));
        Assert.Contains("RFC 8705", refused.ErrorDescription, StringComparison.Ordinal);

        // A DPoP proof instead of, or next to, the certificate: refused for this client.
        var withProof = await RequestTokenAsync(withCertificate, endpoint, sfi.Issuer, "payments", boundKey, dpop: Proof(dpopKey, "POST", endpoint));
        Assert.Equal("invalid_request", Code(withProof));
        Assert.Contains("send no DPoP proof", withProof.ErrorDescription, StringComparison.Ordinal);

        var bound = await RequestTokenAsync(withCertificate, endpoint, sfi.Issuer, "payments", boundKey);
        Assert.False(bound.IsError, bound.Error + " " + bound.ErrorDescription);
        Assert.Equal(Base64Url(SHA256.HashData(certificate.RawData)), Cnf(bound.AccessToken!).GetProperty("x5t#S256").GetString());

        // Any other client that sends a DPoP proof over mutual TLS gets a DPoP-bound token only: cnf holds one key.
        using var reportsCertificate = ClientCertificate("CN=reports");
        using var reports = sfi.Client(reportsCertificate);
        var dpop = await RequestTokenAsync(reports, endpoint, sfi.Issuer, "reports", otherKey, dpop: Proof(dpopKey, "POST", endpoint));
        Assert.False(dpop.IsError, dpop.Error + " " + dpop.ErrorDescription);
        Assert.Equal("DPoP", dpop.TokenType);
        var cnf = Cnf(dpop.AccessToken!);
        Assert.True(cnf.TryGetProperty("jkt", out _));
        Assert.False(cnf.TryGetProperty("x5t#S256", out _));
    }

    [Fact]
    public async Task Behind_a_proxy_the_forwarded_certificate_header_binds_tokens_and_hostile_values_get_clean_errors()
    {
        // The proxy terminates TLS and forwards the client's certificate; sfi listens on loopback http.
        await using var sfi = await MtlsServer.StartAsync(fixture, https: false, header: ForwardedHeader);
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await sfi.RegisterAsync("edge-worker", clientKey, certificateBound: true);
        using var certificate = ClientCertificate("CN=edge-worker");
        using var stranger = ClientCertificate("CN=edge-worker");
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var forwarded = Uri.EscapeDataString(certificate.ExportCertificatePem()); // nginx $ssl_client_escaped_cert

        Assert.Equal("invalid_request", Code(await RequestTokenAsync(http, endpoint, sfi.Issuer, "edge-worker", clientKey)));
        var token = await RequestTokenAsync(http, endpoint, sfi.Issuer, "edge-worker", clientKey, certificateHeader: forwarded);
        Assert.False(token.IsError, token.Error + " " + token.ErrorDescription);
        Assert.Equal(Base64Url(SHA256.HashData(certificate.RawData)), Cnf(token.AccessToken!).GetProperty("x5t#S256").GetString());

        var ok = await WhoamiAsync(http, sfi.HttpBase, token.AccessToken!, forwarded);
        Assert.True(ok.Status == HttpStatusCode.OK, ok.Body);
        Assert.Equal("mtls", (string)JsonNode.Parse(ok.Body)!["binding"]!);
        var base64Der = await WhoamiAsync(http, sfi.HttpBase, token.AccessToken!, Convert.ToBase64String(certificate.RawData));
        Assert.Equal(HttpStatusCode.OK, base64Der.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi.HttpBase, token.AccessToken!, Convert.ToBase64String(stranger.RawData))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoamiAsync(http, sfi.HttpBase, token.AccessToken!)).Status);

        string[] hostile =
        [
            "garbage",
            "%ZZ%00%",
            "-----BEGIN CERTIFICATE-----%0A!!!%0A-----END CERTIFICATE-----",
            Uri.EscapeDataString(certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()),
            Uri.EscapeDataString(certificate.ExportCertificatePem() + stranger.ExportCertificatePem()),
            Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12)),
            Convert.ToBase64String(new byte[64]),
            new string('A', 20_000),
        ];
        foreach (var value in hostile)
        {
            var (status, challenge, body) = await WhoamiAsync(http, sfi.HttpBase, token.AccessToken!, value);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{value[..Math.Min(30, value.Length)]}: {(int)status} {body}");
            Assert.Contains("error=\"invalid_request\"", challenge, StringComparison.Ordinal);
            Assert.Contains(ForwardedHeader, challenge, StringComparison.Ordinal);

            var refused = await RequestTokenAsync(http, endpoint, sfi.Issuer, "edge-worker", clientKey, certificateHeader: value);
            Assert.Equal(HttpStatusCode.BadRequest, refused.HttpStatusCode);
            Assert.Equal("invalid_request", Code(refused));
        }

        // Two copies of the header are refused too; afterwards the service still works.
        using (var twice = new HttpRequestMessage(HttpMethod.Get, new Uri(sfi.HttpBase, "/v1/whoami")))
        {
            twice.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token.AccessToken);
            twice.Headers.TryAddWithoutValidation(ForwardedHeader, [forwarded, forwarded]);
            using var answer = await http.SendAsync(twice);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await WhoamiAsync(http, sfi.HttpBase, token.AccessToken!, forwarded)).Status);
    }

    [Fact]
    public async Task The_strict_ASP_NET_Core_handler_accepts_a_certificate_bound_token_only_with_its_certificate()
    {
        await using var sfi = await MtlsServer.StartAsync(fixture);
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await sfi.RegisterAsync("orders-worker", clientKey);
        using var certificate = ClientCertificate("CN=orders-worker");
        using var stranger = ClientCertificate("CN=orders-worker");
        using var http = sfi.Client(certificate);
        var token = (await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "orders-worker", clientKey)).AccessToken!;

        // A resource server of its own on https that asks clients for a certificate, with AddSfiBearer: once reading the
        // TLS connection, once (on another scheme and path) reading a proxy's header.
        using var serverCertificate = ServerCertificate();
        using var backchannel = sfi.Client(null);
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls($"https://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (_, _, _) => true;
            https.CheckCertificateRevocation = false;
        }));
        builder.Services.AddAuthorization();
        void Configure(SfiBearerOptions o, string? header)
        {
            o.Issuer = sfi.Issuer;
            o.JwksUri = new Uri(sfi.Issuer + "v1/keyrings/tokens/jwks.json");
            o.Audience = sfi.Issuer + "v1/";
            o.Backchannel = backchannel;
            o.ClientCertificateHeader = header;
        }

        builder.Services.AddAuthentication("sfi").AddSfiBearer("sfi", o => Configure(o, null)).AddSfiBearer("proxied", o => Configure(o, ForwardedHeader));
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/orders", (HttpContext context) => Results.Text(context.User.FindFirst("cnf_x5t#S256")?.Value ?? "unbound"))
            .RequireAuthorization(new AuthorizationPolicyBuilder("sfi").RequireAuthenticatedUser().Build());
        app.MapGet("/proxied", (HttpContext context) => Results.Text(context.User.FindFirst("cnf_x5t#S256")?.Value ?? "unbound"))
            .RequireAuthorization(new AuthorizationPolicyBuilder("proxied").RequireAuthenticatedUser().Build());
        await app.StartAsync();
        var pinned = serverCertificate.GetCertHashString(HashAlgorithmName.SHA256);
        HttpClient Caller(X509Certificate2? presented) => new(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString(HashAlgorithmName.SHA256) == pinned,
                LocalCertificateSelectionCallback = presented is null ? null : (_, _, _, _, _) => presented,
            },
        });

        async Task<(HttpStatusCode Status, string Challenge, string Body)> CallAsync(HttpClient caller, string path, string? header = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://127.0.0.1:{port}{path}"));
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            if (header is not null)
            {
                request.Headers.TryAddWithoutValidation(ForwardedHeader, header);
            }

            using var response = await caller.SendAsync(request);
            return (response.StatusCode, response.Headers.WwwAuthenticate.ToString(), await response.Content.ReadAsStringAsync());
        }

        using var owner = Caller(certificate);
        using var thief = Caller(stranger);
        using var anonymous = Caller(null);
        var ok = await CallAsync(owner, "/orders");
        Assert.True(ok.Status == HttpStatusCode.OK, ok.Challenge);
        Assert.Equal(Base64Url(SHA256.HashData(certificate.RawData)), ok.Body);
        foreach (var caller in new[] { thief, anonymous })
        {
            var refused = await CallAsync(caller, "/orders");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.StartsWith("Bearer error=\"invalid_token\"", refused.Challenge, StringComparison.Ordinal);
        }

        // Through the header: the connection's certificate is ignored, the header's counts, garbage is invalid_request.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(anonymous, "/proxied", Uri.EscapeDataString(certificate.ExportCertificatePem()))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(owner, "/proxied")).Status);
        var garbage = await CallAsync(owner, "/proxied", "%%%not a certificate");
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.Status);
        Assert.Contains("error=\"invalid_request\"", garbage.Challenge, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_forwarded_certificate_header_is_off_by_default_and_needs_the_token_service_and_a_sane_name()
    {
        // Off: a client that sends the header to a server without the option gets nothing from it.
        await using (var sfi = await MtlsServer.StartAsync(fixture, https: false))
        {
            using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await sfi.RegisterAsync("sneaky", clientKey);
            using var certificate = ClientCertificate("CN=sneaky");
            using var http = new HttpClient();
            var token = await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "sneaky", clientKey, certificateHeader: Convert.ToBase64String(certificate.RawData));
            Assert.False(token.IsError, token.Error);
            Assert.False(new JsonWebToken(token.AccessToken).TryGetPayloadValue<JsonElement>("cnf", out _));
        }

        foreach (var (issuer, header, expected) in new (Uri?, string, string)[]
        {
            (null, ForwardedHeader, "--client-cert-header needs --issuer"),
            (new Uri("http://127.0.0.1:1/"), "Authorization", "--client-cert-header: 'Authorization'"),
            (new Uri("http://127.0.0.1:1/"), "X Client Cert", "--client-cert-header: 'X Client Cert'"),
        })
        {
            var dataDirectory = Path.Combine(Path.GetTempPath(), "sfi-refused-" + Guid.NewGuid().ToString("N"));
            var options = new ServerOptions { DataDirectory = dataDirectory, Urls = ["http://127.0.0.1:0"], Issuer = issuer, ClientCertificateHeader = header };
            var error = await Assert.ThrowsAsync<ServerStartException>(() => SfiServer.StartAsync(options, TextWriter.Null, fixture.Custodian));
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(dataDirectory));
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_client_table_from_before_certificate_binding_gains_the_column_and_keeps_its_clients(string database)
    {
        var directory = Directory.CreateTempSubdirectory("sfi-clients-migration-").FullName;
        try
        {
            await using var keys = database == "sqlite"
                ? SqlKeyStore.OpenSqlite(Path.Combine(directory, "sfi.db"))
                : SqlKeyStore.OpenPostgres(await TestPostgres.CreateDatabaseAsync("sfi_clients"));
            await using (var create = keys.DataSource.CreateCommand(
                "CREATE TABLE oauth_clients (client_id TEXT PRIMARY KEY, jwks TEXT NOT NULL, scopes TEXT NOT NULL, audiences TEXT NOT NULL, enabled INTEGER NOT NULL, require_dpop INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revision BIGINT NOT NULL)"))
            {
                await create.ExecuteNonQueryAsync();
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var jwks = new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) }.ToJsonString();
            await using (var insert = keys.DataSource.CreateCommand(
                $"INSERT INTO oauth_clients VALUES ('old-client', '{jwks}', '[]', '[\"https://api.example/\"]', 1, 0, 0, 0, 1)"))
            {
                await insert.ExecuteNonQueryAsync();
            }

            var store = new SqlClientStore(keys.DataSource, postgres: database == "postgres");
            await store.InitializeAsync(default);
            await store.InitializeAsync(default); // a second start finds the column and adds nothing
            var old = await store.GetAsync("old-client", default);
            Assert.NotNull(old);
            Assert.False(old.TlsClientCertificateBoundAccessTokens);
            Assert.Equal(["k1"], old.Keys.KeyIds);

            var changed = old with { TlsClientCertificateBoundAccessTokens = true, Revision = 2 };
            Assert.True(await store.UpdateAsync(changed, 1, new SecurityEvent(0, DateTimeOffset.UtcNow, "client.changed", "old-client", null, "{}"), default));
            Assert.True((await store.GetAsync("old-client", default))!.TlsClientCertificateBoundAccessTokens);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(HttpStatusCode Status, string Challenge, string Body)> WhoamiAsync(HttpClient http, Uri baseAddress, string token, string? certificateHeader = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, "/v1/whoami"));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (certificateHeader is not null)
        {
            request.Headers.TryAddWithoutValidation(ForwardedHeader, certificateHeader);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Headers.WwwAuthenticate.ToString(), await response.Content.ReadAsStringAsync());
    }

    private static async Task<TokenResponse> RequestTokenAsync(HttpClient http, string endpoint, string issuer, string clientId, ECDsa key, string? dpop = null, string? certificateHeader = null)
    {
        var request = new ClientCredentialsTokenRequest
        {
            Address = endpoint,
            ClientId = clientId,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(issuer, clientId, key) },
        };
        if (dpop is not null)
        {
            request.Headers.Add("DPoP", dpop);
        }

        if (certificateHeader is not null)
        {
            request.Headers.TryAddWithoutValidation(ForwardedHeader, certificateHeader);
        }

        return await http.RequestClientCredentialsTokenAsync(request);
    }

    private static JsonElement Cnf(string accessToken) => new JsonWebToken(accessToken).GetPayloadValue<JsonElement>("cnf");

    /// <summary>A self-signed TLS client certificate with a fresh key, as an mTLS client makes one (RFC 8705 §2.2).</summary>
    private static X509Certificate2 ClientCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // clientAuth
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    private static X509Certificate2 ServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    /// <summary>
    /// sfi serve with the token service: on https (a server certificate made here) plus a plain http listener, or,
    /// as behind a TLS-terminating proxy, on http only with the forwarded-certificate header.
    /// </summary>
    private sealed class MtlsServer : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly string? _pinnedServerCertificate;

        private MtlsServer(SfiServer server, string directory, string issuer, Uri httpsBase, Uri httpBase, string? pinned, HttpClient admin)
        {
            Server = server;
            _directory = directory;
            Issuer = issuer;
            HttpsBase = httpsBase;
            HttpBase = httpBase;
            _pinnedServerCertificate = pinned;
            Admin = admin;
        }

        public SfiServer Server { get; }

        public string Issuer { get; }

        public Uri HttpsBase { get; }

        public Uri HttpBase { get; }

        public HttpClient Admin { get; }

        public static async Task<MtlsServer> StartAsync(ServerFixture fixture, bool https = true, string? header = null)
        {
            var directory = Directory.CreateTempSubdirectory("sfi-mtls-").FullName;
            var adminKey = "sfi_admin_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var httpPort = FreePort();
            var httpBase = new Uri($"http://127.0.0.1:{httpPort}/");
            string? certFile = null;
            string? keyFile = null;
            string? pinned = null;
            var httpsBase = httpBase;
            if (https)
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
                var names = new SubjectAlternativeNameBuilder();
                names.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(names.Build());
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
                certFile = Path.Combine(directory, "server.crt");
                keyFile = Path.Combine(directory, "server.key");
                await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
                await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
                pinned = certificate.GetCertHashString(HashAlgorithmName.SHA256);
                httpsBase = new Uri($"https://127.0.0.1:{FreePort()}/");
            }

            var options = new ServerOptions
            {
                DataDirectory = Path.Combine(directory, "data"),
                Urls = https ? [httpsBase.ToString().TrimEnd('/'), httpBase.ToString().TrimEnd('/')] : [httpBase.ToString().TrimEnd('/')],
                Dev = true,
                BootstrapAdminKey = adminKey,
                Issuer = httpsBase,
                TlsCertificate = certFile,
                TlsKey = keyFile,
                ClientCertificateHeader = header,
            };
            var server = await SfiServer.StartAsync(options, TextWriter.Null, fixture.Custodian);
            var admin = new HttpClient(Handler(pinned, null));
            admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
            var running = new MtlsServer(server, directory, httpsBase.ToString(), httpsBase, httpBase, pinned, admin);
            await Polling.UntilReadyAsync(admin, new Uri(httpsBase, "/readyz"), TimeSpan.FromSeconds(30));
            return running;
        }

        /// <summary>A client that trusts exactly this server's certificate and presents <paramref name="certificate"/>, if any.</summary>
        public HttpClient Client(X509Certificate2? certificate) => new(Handler(_pinnedServerCertificate, certificate));

        public async Task RegisterAsync(string clientId, ECDsa key, bool certificateBound = false)
        {
            using var created = await Admin.PostAsJsonAsync(new Uri(HttpsBase, "/v1/clients"), new JsonObject
            {
                ["clientId"] = clientId,
                ["jwks"] = new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) },
                ["tlsClientCertificateBoundAccessTokens"] = certificateBound,
            });
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            await Server.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }

        private static SocketsHttpHandler Handler(string? pinned, X509Certificate2? certificate) => new()
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && pinned is not null
                    && presented.GetCertHashString(HashAlgorithmName.SHA256) == pinned,
                // offline: the client does not fetch anything its certificate names either (one test's certificate
                // points its issuer, CRL and OCSP URLs at a trap that must stay silent).
                ClientCertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            },
        };
    }
}
