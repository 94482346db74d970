using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Testing;

namespace SecureFuture.Server.Tests;

/// <summary>What a client of the token service makes: assertions, DPoP proofs and JWKs; shared by the token tests.</summary>
internal static class OAuthTestKit
{
    /// <summary>Probes until <paramref name="done"/> holds or 10 s pass (changes that reach other components asynchronously); returns the last value.</summary>
    public static Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done) => Polling.UntilAsync(probe, done, TimeSpan.FromSeconds(10));

    /// <summary>
    /// Waits until <paramref name="server"/>'s security-event worker has run a whole pass that started after this call
    /// (so every event recorded before it has been applied and pushed); for checks that something did NOT happen, which
    /// no probe can wait for. Fails after 30 s.
    /// </summary>
    public static Task EventPassAsync(SfiServer server)
        => server.Services.GetRequiredService<SecurityEventWorker>().NextPassAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>A client assertion as RFC 7523 and its 2025 update describe it: typ client-authentication+jwt, aud the issuer.</summary>
    public static string Assertion(string audience, string clientId, ECDsa key, string kid = "k1")
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(2),
            TokenType = "client-authentication+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>
    /// A client assertion with exactly the header and times given: <paramref name="typ"/> null leaves the header without
    /// one (as openid-client sends it); <paramref name="iat"/> and <paramref name="nbf"/> default to now.
    /// </summary>
    public static string RawAssertion(string audience, string clientId, ECDsa key, string? typ, DateTimeOffset? iat = null, DateTimeOffset? nbf = null, string kid = "k1")
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = kid };
        if (typ is not null)
        {
            header["typ"] = typ;
        }

        var claims = new JsonObject
        {
            ["iss"] = clientId,
            ["sub"] = clientId,
            ["aud"] = audience,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = (iat ?? now).ToUnixTimeSeconds(),
            ["nbf"] = (nbf ?? now).ToUnixTimeSeconds(),
            ["exp"] = ((iat ?? now) > now ? iat!.Value : now).AddMinutes(2).ToUnixTimeSeconds(),
        };
        return Sign(header, claims, key);
    }

    /// <summary>A DPoP proof (RFC 9449) for one request, with the embedded public key.</summary>
    public static string Proof(ECDsa key, string method, string uri, DateTimeOffset? iat = null, string typ = "dpop+jwt", string? accessToken = null, string? nonce = null)
    {
        var header = new JsonObject { ["typ"] = typ, ["alg"] = "ES256", ["jwk"] = PublicJwk(key, null) };
        var claims = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["htm"] = method,
            ["htu"] = uri,
            ["iat"] = (iat ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        if (accessToken is not null)
        {
            claims["ath"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        return Sign(header, claims, key);
    }

    /// <summary>A compact ES256 JWS of exactly this header and these claims.</summary>
    public static string Sign(JsonObject header, JsonObject claims, ECDsa key) => Sign(header.ToJsonString(), claims.ToJsonString(), key);

    /// <summary>A compact ES256 JWS of exactly these header and claims texts (duplicate members included).</summary>
    public static string Sign(string header, string claims, ECDsa key)
    {
        var input = Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(claims));
        return input + "." + Base64Url(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    public static JsonObject PublicJwk(ECDsa key, string? kid)
    {
        var p = key.ExportParameters(false);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url(p.Q.X!), ["y"] = Base64Url(p.Q.Y!) };
        if (kid is not null)
        {
            jwk["kid"] = kid;
        }

        return jwk;
    }

    public static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    /// <summary>The OAuth error code (Duende reports the HTTP reason phrase as Error for a 401).</summary>
    public static string? Code(TokenResponse response)
        => response.Json is { } json && json.TryGetProperty("error", out var error) ? error.GetString() : response.Error;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
