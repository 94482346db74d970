using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Keys;

namespace SecureFuture.Server.Tests;

/// <summary>
/// An unmodified ASP.NET Core resource server (JwtBearer over Microsoft.IdentityModel's ConfigurationManager) reads
/// sfi's JWKS while the ring rotates every ten seconds: every token minted by the ring is accepted, across several
/// rotations, and a token forged with a retired key (still in the HSM, as in a leak) is refused.
/// <para>
/// Scale: in production a relying party refreshes its metadata every 12 hours (ConfigurationManager's default) and
/// sfi publishes the next key 12 hours before it signs. ConfigurationManager will not refresh on its own more often
/// than every 5 minutes, so with --dev periods (10 s rotation, 5 s pre-publication) the test asks it to refresh once
/// a second, the same ratio of refresh interval to pre-publication. A control ring without pre-publication, read by
/// an identical resource server, shows that the test can fail: there the first token after each rotation is refused.
/// </para>
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class RelyingPartyRotationTests(ServerFixture fixture)
{
    private const string Issuer = "https://issuer.sfi.test";
    private const string Audience = "api://orders";

    [Fact]
    public async Task A_jwtbearer_resource_server_accepts_every_token_across_rotations_and_refuses_a_retired_key()
    {
        await using var sfi = await RunningServer.StartAsync(fixture.Custodian);
        using (var created = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new
        {
            name = "rp",
            rotationPeriod = "PT10S",
            prePublication = "PT5S",
            maxTokenLifetime = "PT4S",
            verificationGrace = "PT5S",
            retention = "PT1M",
            issuer = Issuer,
            audiences = new[] { Audience },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var control = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new
        {
            name = "control",
            rotationPeriod = "PT10S",
            prePublication = "PT0S",
            maxTokenLifetime = "PT4S",
            verificationGrace = "PT5S",
            issuer = Issuer,
            audiences = new[] { Audience },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, control.StatusCode);
        }

        await using var resourceServer = await ResourceServer.StartAsync(new Uri(sfi.BaseAddress, "/v1/keyrings/rp/jwks.json"));
        await using var controlServer = await ResourceServer.StartAsync(new Uri(sfi.BaseAddress, "/v1/keyrings/control/jwks.json"));
        using var stopRefreshing = new CancellationTokenSource();
        var refresher = Task.Run(async () =>
        {
            while (!stopRefreshing.IsCancellationRequested)
            {
                resourceServer.ConfigurationManager.RequestRefresh();
                controlServer.ConfigurationManager.RequestRefresh();
                await Task.Delay(1000, stopRefreshing.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });

        var rp = new Client(sfi, "rp", resourceServer);
        var controlClient = new Client(sfi, "control", controlServer);
        // At least 34 s (three 10 s rotations); on a loaded machine the scheduler's passes run late, so the run goes
        // on, up to 70 s, until both rings have shown their third rotation.
        var started = DateTime.UtcNow;
        bool KeepGoing() => DateTime.UtcNow - started < TimeSpan.FromSeconds(34)
            || ((rp.KidsUsed.Count < 4 || controlClient.KidsUsed.Count < 4) && DateTime.UtcNow - started < TimeSpan.FromSeconds(70));
        while (KeepGoing())
        {
            await rp.CallOnceAsync();
            await controlClient.CallOnceAsync();
            await Task.Delay(50);
        }

        await stopRefreshing.CancelAsync();
        await refresher;

        Assert.True(rp.Failures.Count == 0, $"{rp.Failures.Count} of {rp.Accepted + rp.Failures.Count} tokens refused:\n" + string.Join("\n", rp.Failures.Take(10)));
        Assert.True(rp.KidsUsed.Count >= 4, $"expected at least three rotations, saw keys: {string.Join(", ", rp.KidsUsed)}");
        Assert.True(rp.Accepted > 100);
        Assert.True(controlClient.KidsUsed.Count >= 4);
        Assert.NotEmpty(controlClient.Failures);
        Assert.All(controlClient.Failures, f => Assert.Contains("SecurityTokenSignatureKeyNotFoundException", f, StringComparison.Ordinal));

        // Storm-0558: a token forged with a retired key (its material still in the HSM, as if leaked) is refused,
        // by the resource server and by sfi's own verify endpoint.
        var retired = (await sfi.Server.Keys.Store.ListVersionsAsync("rp", default)).First(v => v.State == KeyState.Retired);
        var forgedInput = SigningInput(retired.Kid, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        var forgedSignature = fixture.Custodian.SignDigest(retired.HsmId, SigningAlgorithm.ES256, SHA256.HashData(Encoding.ASCII.GetBytes(forgedInput)));
        var (forgedStatus, _) = await resourceServer.CallAsync($"{forgedInput}.{Base64Url.Encode(forgedSignature)}");
        Assert.Equal(HttpStatusCode.Unauthorized, forgedStatus);
        using var verify = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/rp/verify", UriKind.Relative), new { kid = retired.Kid, payload = Base64Url.Encode(Encoding.ASCII.GetBytes(forgedInput)), signature = Base64Url.Encode(forgedSignature) });
        Assert.False((bool)JsonNode.Parse(await verify.Content.ReadAsStringAsync())!["valid"]!);

        // And the ring itself refuses to mint what the forger wanted: a long-lived token.
        var activeNow = (string)JsonNode.Parse(await sfi.Admin.GetStringAsync(new Uri("/v1/keyrings/rp", UriKind.Relative)))!["activeKid"]!;
        using var longLived = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/rp/sign", UriKind.Relative), new { payload = Base64Url.Encode(Encoding.ASCII.GetBytes(SigningInput(activeNow, DateTimeOffset.UtcNow, TimeSpan.FromHours(1)))) });
        await KeyApiTests.AssertProblem(longLived, HttpStatusCode.BadRequest, "maxTokenLifetime");
    }

    /// <summary>Mints tokens through the sign endpoint and presents them to a resource server.</summary>
    private sealed class Client(RunningServer sfi, string ring, ResourceServer resourceServer)
    {
        private string? _activeKid;

        public HashSet<string> KidsUsed { get; } = new(StringComparer.Ordinal);

        public List<string> Failures { get; } = [];

        public int Accepted { get; private set; }

        public async Task CallOnceAsync()
        {
            _activeKid ??= (string)JsonNode.Parse(await sfi.Admin.GetStringAsync(new Uri($"/v1/keyrings/{ring}", UriKind.Relative)))!["activeKid"]!;
            var signingInput = SigningInput(_activeKid, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(4));
            using var signed = await sfi.Admin.PostAsJsonAsync(new Uri($"/v1/keyrings/{ring}/sign", UriKind.Relative), new { payload = Base64Url.Encode(Encoding.ASCII.GetBytes(signingInput)) });
            if (signed.StatusCode == HttpStatusCode.Conflict)
            {
                _activeKid = null; // rotated since we read the ring: rebuild the header with the new kid
                return;
            }

            Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
            var signature = JsonNode.Parse(await signed.Content.ReadAsStringAsync())!;
            KidsUsed.Add((string)signature["kid"]!);
            var (status, detail) = await resourceServer.CallAsync($"{signingInput}.{(string)signature["signature"]!}");
            if (status == HttpStatusCode.OK)
            {
                Accepted++;
            }
            else
            {
                Failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} kid {signature["kid"]}: {(int)status} {detail}");
            }
        }
    }

    private static string SigningInput(string kid, DateTimeOffset now, TimeSpan lifetime)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", typ = "JWT", kid });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new { iss = Issuer, aud = Audience, sub = "client-42", iat = now.ToUnixTimeSeconds(), exp = (now + lifetime).ToUnixTimeSeconds() });
        return $"{Base64Url.Encode(header)}.{Base64Url.Encode(claims)}";
    }

    /// <summary>A minimal resource server: JwtBearer with its standard ConfigurationManager pointed at a JWKS.</summary>
    private sealed class ResourceServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _client;

        private ResourceServer(WebApplication app, Uri address, ConfigurationManager<OpenIdConnectConfiguration> configurationManager)
        {
            _app = app;
            _client = new HttpClient { BaseAddress = address };
            ConfigurationManager = configurationManager;
        }

        public ConfigurationManager<OpenIdConnectConfiguration> ConfigurationManager { get; }

        public static async Task<ResourceServer> StartAsync(Uri jwksUri)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var configurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(jwksUri.ToString(), new JwksRetriever(), new HttpDocumentRetriever { RequireHttps = false })
            {
                RefreshInterval = TimeSpan.FromSeconds(1),

                // By default Microsoft.IdentityModel retries a token whose kid is unknown against every "last known
                // good" configuration of the past hour, so a key removed from the JWKS keeps verifying for up to an
                // hour. A relying party that wants retired keys refused at once turns that off.
                UseLastKnownGoodConfiguration = false,
            };
            builder.Services.AddAuthorization();
            builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.ConfigurationManager = configurationManager;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = Issuer,
                    ValidAudience = Audience,
                    ValidAlgorithms = ["ES256"],
                    ClockSkew = TimeSpan.FromSeconds(2),
                };
                options.Events = new JwtBearerEvents
                {
                    OnChallenge = context =>
                    {
                        context.Response.Headers["X-Failure"] = (context.AuthenticateFailure?.GetType().Name + ": " + context.AuthenticateFailure?.Message).ReplaceLineEndings(" ");
                        return Task.CompletedTask;
                    },
                };
            });
            var app = builder.Build();
            app.Use(async (context, next) =>
            {
                try
                {
                    await next(context);
                }
                catch (Exception e) when (!context.Response.HasStarted)
                {
                    context.Response.StatusCode = 500;
                    context.Response.Headers["X-Failure"] = (e.GetType().Name + ": " + e.Message).ReplaceLineEndings(" ");
                }
            });
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/orders", (HttpContext context) => Results.Text($"hello {context.User.FindFirst("sub")?.Value}")).RequireAuthorization();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ResourceServer(app, new Uri(address), configurationManager);
        }

        public async Task<(HttpStatusCode Status, string Detail)> CallAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _client.SendAsync(request);
            return (response.StatusCode, response.Headers.TryGetValues("X-Failure", out var failure) ? string.Join(" ", failure) : string.Empty);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>Reads a bare JWKS into the configuration object JwtBearer consumes (sfi publishes no discovery document yet).</summary>
    private sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration { Issuer = Issuer, JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            return configuration;
        }
    }
}
