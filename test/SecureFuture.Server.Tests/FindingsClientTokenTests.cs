using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using static SecureFuture.Server.Tests.OAuthTestKit;
using static SecureFuture.Testing.HubSarif;

namespace SecureFuture.Server.Tests;

/// <summary>
/// CI clients push analyses to the findings hub with their own token (scope sfi.findings.write and their project's
/// scope), by private_key_jwt: only to their own project, never reading findings, and not once disabled.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class FindingsClientTokenTests(ServerFixture fixture)
{
    private static readonly string Sarif = Log("probe", new Result("SQLI-1", "src/Repository.cs", 40, "4a1b2c3d4e5f6a7b:1"));

    [Fact]
    public async Task A_ci_token_pushes_to_its_own_project_only_and_cannot_read_findings()
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        await using var server = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) });
        foreach (var project in new[] { "shop", "billing" })
        {
            using var created = await server.Admin.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { id = project });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var shopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var billingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var unscopedKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(server, "ci-shop", shopKey, "sfi.findings.write", "sfi.findings.project:shop");
        await RegisterAsync(server, "ci-billing", billingKey, "sfi.findings.write", "sfi.findings.project:billing");
        await RegisterAsync(server, "ci-any", unscopedKey, "sfi.findings.write");
        using var http = new HttpClient();
        var shopToken = await TokenAsync(http, issuer, "ci-shop", shopKey, "sfi.findings.write sfi.findings.project:shop");

        // Its own project: stored, and the history says which client pushed it.
        using (var pushed = await PushAsync(server, "shop", shopToken))
        {
            Assert.True(pushed.StatusCode == HttpStatusCode.Created, await pushed.Content.ReadAsStringAsync());
        }

        var finding = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/findings?project=shop", UriKind.Relative)))!["findings"]![0]!;
        var detail = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri($"/v1/findings/{finding["id"]}", UriKind.Relative)))!;
        Assert.Equal("client:ci-shop", (string)detail["history"]![0]!["actor"]!);

        // Another project's token, a token without the project scope, no token, a garbage token: refused, nothing stored.
        var billingToken = await TokenAsync(http, issuer, "ci-billing", billingKey, "sfi.findings.write sfi.findings.project:billing");
        using (var other = await PushAsync(server, "shop", billingToken))
        {
            await KeyApiTests.AssertProblem(other, HttpStatusCode.Forbidden, "sfi.findings.project:shop");
            Assert.Contains("insufficient_scope", other.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        using (var unscoped = await PushAsync(server, "shop", await TokenAsync(http, issuer, "ci-any", unscopedKey, "sfi.findings.write")))
        {
            await KeyApiTests.AssertProblem(unscoped, HttpStatusCode.Forbidden, "the token lacks sfi.findings.project:shop");
        }

        using (var none = await PushAsync(server, "shop", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        }

        using (var forged = await PushAsync(server, "shop", shopToken[..^4] + "AAAA"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        Assert.Single(JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/findings", UriKind.Relative)))!["findings"]!.AsArray());

        // A push token reads nothing and registers nothing: every other hub endpoint is the admin's.
        using var withToken = new HttpClient { BaseAddress = server.BaseAddress };
        withToken.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", shopToken);
        using (var list = await withToken.GetAsync(new Uri("/v1/findings?project=shop", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        }

        using (var register = await withToken.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { id = "evil" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, register.StatusCode);
        }

        // A disabled client's tokens stop working (continuous access evaluation), without waiting for them to expire.
        using (var disabled = await server.Admin.PostAsync(new Uri("/v1/clients/ci-shop/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        var status = await EventuallyAsync(async () =>
        {
            using var response = await PushAsync(server, "shop", shopToken);
            return response.StatusCode;
        }, s => s == HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task An_expired_ci_token_is_refused()
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer), Clock = clock });
        using (var created = await server.Admin.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { id = "shop" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(server, "ci-shop", key, "sfi.findings.write", "sfi.findings.project:shop");
        using var http = new HttpClient();
        var token = await TokenAsync(http, issuer, "ci-shop", key, "sfi.findings.write sfi.findings.project:shop");
        using (var fresh = await PushAsync(server, "shop", token))
        {
            Assert.Equal(HttpStatusCode.Created, fresh.StatusCode);
        }

        clock.Advance(TimeSpan.FromHours(2));
        using var expired = await PushAsync(server, "shop", token);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("invalid_token", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    private static async Task RegisterAsync(RunningServer server, string clientId, ECDsa key, params string[] scopes)
    {
        using var response = await server.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new { clientId, jwks = new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) }, scopes });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> TokenAsync(HttpClient http, string issuer, string clientId, ECDsa key, string scope)
    {
        var response = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = issuer + "oauth2/token",
            ClientId = clientId,
            Scope = scope,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(issuer, clientId, key) },
        });
        Assert.False(response.IsError, response.Error + " " + response.ErrorDescription);
        return response.AccessToken!;
    }

    private static async Task<HttpResponseMessage> PushAsync(RunningServer server, string project, string? token)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/projects/{project}/analyses?ref=main&category=code") { Content = new StringContent(Sarif, Encoding.UTF8, "application/sarif+json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }
}
