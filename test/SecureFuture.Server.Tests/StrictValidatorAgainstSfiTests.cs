using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;

namespace SecureFuture.Server.Tests;

/// <summary>
/// sfi's own validation library against sfi's JWKS: tokens from a scoped ring validate; after an emergency rotation
/// that retires a compromised key, a token forged with that key (its material still in the HSM, as if leaked) is refused
/// as soon as the JWKS lifetime has passed. (Microsoft.IdentityModel keeps such a key for up to an hour by default.)
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class StrictValidatorAgainstSfiTests(ServerFixture fixture)
{
    private const string Issuer = "https://issuer.sfi.test";
    private const string Audience = "api://orders";

    [Fact]
    public async Task Tokens_from_a_scoped_ring_validate_and_a_retired_key_is_refused_after_the_jwks_lifetime()
    {
        // One clock for the server (its JWKS cache) and the validator (the JWKS lifetime): the lifetimes pass by moving it.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sfi = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Clock = clock });
        using (var created = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new
        {
            name = "strict",
            rotationPeriod = "PT1H",
            prePublication = "PT2S",
            maxTokenLifetime = "PT5M",
            verificationGrace = "PT5M",
            retention = "PT1H",
            issuer = Issuer,
            audiences = new[] { Audience },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var http = new HttpClient();
        using var validator = new StrictTokenValidator([new TrustedIssuer(Issuer, new Uri(sfi.BaseAddress, "/v1/keyrings/strict/jwks.json"), [Audience])], http, clock: clock);
        var compromised = (await sfi.Server.Keys.Store.ListVersionsAsync("strict", default)).Single();
        var token = await MintAsync(sfi, compromised.Kid, clock.GetUtcNow());
        var outcome = await validator.ValidateAsync(token, default);
        Assert.True(outcome.IsValid, outcome.Error);
        Assert.Equal($"{Issuer}#client-42", outcome.Principal!.SubjectKey);

        using (var rotated = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/strict/rotate", UriKind.Relative), new { reason = "key material leaked", retireImmediately = true }))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        // The attacker signs with the leaked key directly, with a fresh lifetime.
        var forgedInput = SigningInput(compromised.Kid, clock.GetUtcNow());
        var forged = forgedInput + "." + Base64Url.Encode(fixture.Custodian.SignDigest(compromised.HsmId, SigningAlgorithm.ES256, SHA256.HashData(Encoding.ASCII.GetBytes(forgedInput))));

        // The JWKS says max-age=1 (half the pre-publication window); sfi's own cache lives one second more.
        clock.Advance(TimeSpan.FromSeconds(2.5));
        var refused = await validator.ValidateAsync(forged, default);
        Assert.False(refused.IsValid);
        Assert.Equal($"no key '{compromised.Kid}' is published by {Issuer}", refused.Error);

        var next = (await sfi.Server.Keys.Store.ListVersionsAsync("strict", default)).Single(v => v.State == KeyState.Active);
        Assert.True((await validator.ValidateAsync(await MintAsync(sfi, next.Kid, clock.GetUtcNow()), default)).IsValid);
    }

    private static async Task<string> MintAsync(RunningServer sfi, string kid, DateTimeOffset now)
    {
        var signingInput = SigningInput(kid, now);
        using var signed = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/strict/sign", UriKind.Relative), new { payload = Base64Url.Encode(Encoding.ASCII.GetBytes(signingInput)) });
        var body = JsonNode.Parse(await signed.Content.ReadAsStringAsync())!;
        Assert.True(signed.IsSuccessStatusCode, body.ToJsonString());
        return signingInput + "." + (string)body["signature"]!;
    }

    private static string SigningInput(string kid, DateTimeOffset now)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", typ = "JWT", kid });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new { iss = Issuer, aud = Audience, sub = "client-42", iat = now.ToUnixTimeSeconds(), exp = now.AddMinutes(4).ToUnixTimeSeconds() });
        return Base64Url.Encode(header) + "." + Base64Url.Encode(claims);
    }
}
