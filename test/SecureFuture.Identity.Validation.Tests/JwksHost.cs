using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecureFuture.Identity.Validation.Tests;

/// <summary>Real HTTP JWKS endpoints on 127.0.0.1 for test issuers, with documents the test changes and request counts.</summary>
internal sealed class JwksHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    private JwksHost(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; } = new();

    public static async Task<JwksHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var host = new JwksHost(app);
        app.MapGet("/{issuer}/jwks.json", (string issuer, HttpContext context) =>
        {
            host._requests.AddOrUpdate(issuer, 1, (_, n) => n + 1);
            if (!host._documents.TryGetValue(issuer, out var document))
            {
                return Results.StatusCode(500);
            }

            context.Response.Headers.CacheControl = "public, max-age=300";
            return Results.Text(document, "application/json");
        });
        await app.StartAsync();
        host.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return host;
    }

    public Uri JwksUri(string issuer) => new(BaseAddress, $"/{issuer}/jwks.json");

    public void Publish(string issuer, params JsonObject[] keys) => _documents[issuer] = new JsonObject { ["keys"] = new JsonArray([.. keys]) }.ToJsonString();

    public void PublishRaw(string issuer, string document) => _documents[issuer] = document;

    public int Requests(string issuer) => _requests.GetValueOrDefault(issuer);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A signing key of a test issuer, and tokens made with it (including the malformed and hostile ones).</summary>
internal sealed class TestKey : IDisposable
{
    private TestKey(string kid, string alg, ECDsa? ec, RSA? rsa)
    {
        Kid = kid;
        Alg = alg;
        Ec = ec;
        Rsa = rsa;
    }

    public string Kid { get; }

    public string Alg { get; }

    public ECDsa? Ec { get; }

    public RSA? Rsa { get; }

    public static TestKey Es256(string kid) => new(kid, "ES256", ECDsa.Create(ECCurve.NamedCurves.nistP256), null);

    public static TestKey Rsa256(string kid, string alg = "RS256") => new(kid, alg, null, RSA.Create(2048));

    public JsonObject Jwk(bool withAlg = true, long? exp = null, bool includePrivate = false)
    {
        var jwk = new JsonObject { ["kid"] = Kid, ["use"] = "sig" };
        if (Ec is not null)
        {
            var p = Ec.ExportParameters(includePrivate);
            jwk["kty"] = "EC";
            jwk["crv"] = "P-256";
            jwk["x"] = B64(p.Q.X!);
            jwk["y"] = B64(p.Q.Y!);
            if (includePrivate)
            {
                jwk["d"] = B64(p.D!);
            }
        }
        else
        {
            var p = Rsa!.ExportParameters(false);
            jwk["kty"] = "RSA";
            jwk["n"] = B64(p.Modulus!);
            jwk["e"] = B64(p.Exponent!);
        }

        if (withAlg)
        {
            jwk["alg"] = Alg;
        }

        if (exp is not null)
        {
            jwk["exp"] = exp;
        }

        return jwk;
    }

    public string Token(object claims, object? header = null, string? alg = null)
        => Sign(SigningInput(header ?? new { alg = alg ?? Alg, kid = Kid, typ = "JWT" }, claims), alg);

    /// <summary>A correctly signed JWS of exactly these header and claims texts (duplicate members included).</summary>
    public string TokenFromJson(string header, string claims)
        => Sign(B64(Encoding.UTF8.GetBytes(header)) + "." + B64(Encoding.UTF8.GetBytes(claims)), alg: null);

    private string Sign(string signingInput, string? alg)
    {
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = (alg ?? Alg) switch
        {
            "ES256" => Ec!.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            "ES384" => Ec!.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            "PS256" => Rsa!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            _ => Rsa!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        };
        return signingInput + "." + B64(signature);
    }

    public static string SigningInput(object header, object claims)
        => B64(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(claims));

    public static string B64(byte[] data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    public void Dispose()
    {
        Ec?.Dispose();
        Rsa?.Dispose();
    }
}
