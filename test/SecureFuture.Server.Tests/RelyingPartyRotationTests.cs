using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
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
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Keys;

namespace SecureFuture.Server.Tests;

/// <summary>
/// A stock ASP.NET Core resource server (JwtBearer over Microsoft.IdentityModel's ConfigurationManager; only its clock
/// is the test's) reads sfi's JWKS while the ring rotates every ten seconds: every token minted by the ring is accepted, across several
/// rotations, and a token forged with a retired key (still in the HSM, as in a leak) is refused.
/// <para>
/// Scale: in production a relying party refreshes its metadata every 12 hours (ConfigurationManager's default) and
/// sfi publishes the next key 12 hours before it signs. ConfigurationManager will not refresh on its own more often
/// than every 5 minutes, so with --dev periods (10 s rotation, 5 s pre-publication) the test asks it to refresh once
/// a second, the same ratio of refresh interval to pre-publication. A control ring without pre-publication, read by
/// an identical resource server, shows that the test can fail: there the first token after each rotation is refused.
/// </para>
/// <para>
/// Time: sfi, the clients and both resource servers (metadata refresh and token lifetimes) read one
/// <see cref="FakeTimeProvider"/>, which the test moves on by a fifth of a second between calls, making the
/// scheduler's pass each second itself: the same 34 s or more of rotations as in real time, without waiting for them,
/// and a pass never runs late.
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
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // The test makes the scheduler's passes itself, one each second of the clock (the --dev interval), each to its
        // end before the clock moves on: the server's own scheduler waits an hour after its first pass.
        await using var sfi = await RunningServer.StartAsync(fixture.Custodian, schedulerInterval: TimeSpan.FromHours(1), configure: o => o with { Clock = clock });
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

        await using var resourceServer = await ResourceServer.StartAsync(new Uri(sfi.BaseAddress, "/v1/keyrings/rp/jwks.json"), clock);
        await using var controlServer = await ResourceServer.StartAsync(new Uri(sfi.BaseAddress, "/v1/keyrings/control/jwks.json"), clock);
        var rp = new Client(sfi, "rp", resourceServer, clock);
        var controlClient = new Client(sfi, "control", controlServer, clock);

        // Each second both resource servers refresh their metadata and the scheduler makes a pass; five calls to each
        // ring a second. At least 34 s (three 10 s rotations), and on, up to 70 s, until both rings have shown their
        // third rotation.
        var step = TimeSpan.FromMilliseconds(200);
        var elapsed = TimeSpan.Zero;
        while (elapsed < TimeSpan.FromSeconds(34) || ((rp.KidsUsed.Count < 4 || controlClient.KidsUsed.Count < 4) && elapsed < TimeSpan.FromSeconds(70)))
        {
            if (elapsed.Ticks % TimeSpan.TicksPerSecond == 0)
            {
                resourceServer.ConfigurationManager.RequestRefresh();
                controlServer.ConfigurationManager.RequestRefresh();
                await sfi.Server.Keys.TickAsync(default);
            }

            await rp.CallOnceAsync();
            await controlClient.CallOnceAsync();
            clock.Advance(step);
            elapsed += step;
        }

        Assert.True(rp.Failures.Count == 0, $"{rp.Failures.Count} of {rp.Accepted + rp.Failures.Count} tokens refused:\n" + string.Join("\n", rp.Failures.Take(10)));
        Assert.True(rp.KidsUsed.Count >= 4, $"expected at least three rotations, saw keys: {string.Join(", ", rp.KidsUsed)}");
        Assert.True(rp.Accepted > 100);
        Assert.True(controlClient.KidsUsed.Count >= 4);
        Assert.NotEmpty(controlClient.Failures);
        Assert.All(controlClient.Failures, f => Assert.Contains("SecurityTokenSignatureKeyNotFoundException", f, StringComparison.Ordinal));

        // Storm-0558: a token forged with a retired key (its material still in the HSM, as if leaked) is refused,
        // by the resource server and by sfi's own verify endpoint.
        var retired = (await sfi.Server.Keys.Store.ListVersionsAsync("rp", default)).First(v => v.State == KeyState.Retired);
        var forgedInput = SigningInput(retired.Kid, clock.GetUtcNow(), TimeSpan.FromHours(1));
        var forgedSignature = fixture.Custodian.SignDigest(retired.HsmId, SigningAlgorithm.ES256, SHA256.HashData(Encoding.ASCII.GetBytes(forgedInput)));
        var (forgedStatus, _) = await resourceServer.CallAsync($"{forgedInput}.{Base64Url.Encode(forgedSignature)}");
        Assert.Equal(HttpStatusCode.Unauthorized, forgedStatus);
        using var verify = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/rp/verify", UriKind.Relative), new { kid = retired.Kid, payload = Base64Url.Encode(Encoding.ASCII.GetBytes(forgedInput)), signature = Base64Url.Encode(forgedSignature) });
        Assert.False((bool)JsonNode.Parse(await verify.Content.ReadAsStringAsync())!["valid"]!);

        // And the ring itself refuses to mint what the forger wanted: a long-lived token.
        var activeNow = (string)JsonNode.Parse(await sfi.Admin.GetStringAsync(new Uri("/v1/keyrings/rp", UriKind.Relative)))!["activeKid"]!;
        using var longLived = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/rp/sign", UriKind.Relative), new { payload = Base64Url.Encode(Encoding.ASCII.GetBytes(SigningInput(activeNow, clock.GetUtcNow(), TimeSpan.FromHours(1)))) });
        await KeyApiTests.AssertProblem(longLived, HttpStatusCode.BadRequest, "maxTokenLifetime");
    }

    /// <summary>Mints tokens through the sign endpoint and presents them to a resource server.</summary>
    private sealed class Client(RunningServer sfi, string ring, ResourceServer resourceServer, TimeProvider clock)
    {
        private string? _activeKid;

        public HashSet<string> KidsUsed { get; } = new(StringComparer.Ordinal);

        public List<string> Failures { get; } = [];

        public int Accepted { get; private set; }

        public async Task CallOnceAsync()
        {
            _activeKid ??= (string)JsonNode.Parse(await sfi.Admin.GetStringAsync(new Uri($"/v1/keyrings/{ring}", UriKind.Relative)))!["activeKid"]!;
            var signingInput = SigningInput(_activeKid, clock.GetUtcNow(), TimeSpan.FromSeconds(4));
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
                Failures.Add($"{clock.GetUtcNow():HH:mm:ss.fff} kid {signature["kid"]}: {(int)status} {detail}");
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

        public static async Task<ResourceServer> StartAsync(Uri jwksUri, TimeProvider clock)
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
            UseClock(configurationManager, clock);
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

                    // JwtBearer checks lifetimes on the system clock; this resource server checks them on the test's.
                    LifetimeValidator = (notBefore, expires, _, parameters) =>
                    {
                        var now = clock.GetUtcNow().UtcDateTime;
                        return (notBefore is null || notBefore <= now + parameters.ClockSkew) && expires is not null && now - parameters.ClockSkew < expires;
                    },
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

        /// <summary>
        /// Makes the manager read <paramref name="clock"/>: ConfigurationManager takes its clock through an internal
        /// field (Microsoft.IdentityModel's own tests set it), which decides when a requested refresh may run.
        /// </summary>
        private static void UseClock(ConfigurationManager<OpenIdConnectConfiguration> manager, TimeProvider clock)
        {
            var field = typeof(ConfigurationManager<OpenIdConnectConfiguration>).GetField("TimeProvider", BindingFlags.Instance | BindingFlags.NonPublic)
                ?? throw new InvalidOperationException("Microsoft.IdentityModel's ConfigurationManager no longer has its internal TimeProvider field: give it the test's clock another way");
            field.SetValue(manager, clock);
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
