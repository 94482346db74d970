using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Identity.Validation.AspNetCore;

namespace SecureFuture.Identity.Validation.Tests;

/// <summary>
/// RFC 8705 §3 certificate-bound tokens at a resource server: <c>cnf.x5t#S256</c> must equal the SHA-256 thumbprint of
/// the certificate on the request, whatever else the token says. The certificates are made here, self-signed, as
/// mTLS clients make theirs (RFC 8705 §2.2).
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificateBindingTests : IAsyncLifetime, IDisposable
{
    private const string Issuer = "https://login.contoso.test/";
    private const string Api = "api://orders";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly TestKey _issuerKey = TestKey.Es256("issuer-1");
    private readonly X509Certificate2 _clientCertificate = SelfSigned("CN=orders-worker");
    private readonly X509Certificate2 _otherCertificate = SelfSigned("CN=orders-worker");
    private JwksHost _host = null!;
    private StrictTokenValidator _tokens = null!;
    private ResourceRequestValidator _requests = null!;

    private long Now => _clock.GetUtcNow().ToUnixTimeSeconds();

    public async Task InitializeAsync()
    {
        _host = await JwksHost.StartAsync();
        _host.Publish("issuer", _issuerKey.Jwk());
        _tokens = new StrictTokenValidator([new TrustedIssuer(Issuer, _host.JwksUri("issuer"), [Api])], _host.Http, clock: _clock);
        _requests = new ResourceRequestValidator(_tokens, new DpopProofValidator(clock: _clock));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose()
    {
        _tokens.Dispose();
        _issuerKey.Dispose();
        _clientCertificate.Dispose();
        _otherCertificate.Dispose();
    }

    [Fact]
    public void The_thumbprint_is_base64url_SHA_256_of_the_DER_and_matches_only_that_certificate()
    {
        var thumbprint = CertificateBinding.Thumbprint(_clientCertificate);
        Assert.Equal(TestKey.B64(SHA256.HashData(_clientCertificate.RawData)), thumbprint);
        Assert.Equal(43, thumbprint.Length);
        Assert.True(CertificateBinding.Matches(thumbprint, _clientCertificate));
        Assert.False(CertificateBinding.Matches(thumbprint, _otherCertificate)); // same subject, another key: another certificate
        Assert.False(CertificateBinding.Matches(thumbprint, null));

        // Not 32 bytes of base64url: never a match, whatever is presented.
        Assert.False(CertificateBinding.Matches(thumbprint[..42], _clientCertificate));
        Assert.False(CertificateBinding.Matches(thumbprint + "=", _clientCertificate));
        Assert.False(CertificateBinding.Matches(Convert.ToHexString(SHA256.HashData(_clientCertificate.RawData)), _clientCertificate));
    }

    [Fact]
    public async Task A_certificate_bound_token_is_accepted_as_Bearer_only_with_its_certificate()
    {
        var token = Token(new JsonObject { ["x5t#S256"] = CertificateBinding.Thumbprint(_clientCertificate) });

        var ok = await ValidateAsync("Bearer " + token, _clientCertificate);
        Assert.True(ok.IsValid, ok.Description);
        Assert.Equal("mtls", ok.Binding);
        Assert.Equal(CertificateBinding.Thumbprint(_clientCertificate), ok.BoundCertificate);
        Assert.True((await _tokens.ValidateAsync(token, _clientCertificate, default)).IsValid);

        var missing = await ValidateAsync("Bearer " + token, null);
        Assert.Equal("invalid_token", missing.Error);
        Assert.Equal("the token is bound to a TLS client certificate (RFC 8705); present it over mutual TLS", missing.Description);
        Assert.Equal("Bearer error=\"invalid_token\", error_description=\"the token is bound to a TLS client certificate (RFC 8705); present it over mutual TLS\"", missing.Challenge(["ES256"]));

        var mismatch = await ValidateAsync("Bearer " + token, _otherCertificate);
        Assert.Equal("invalid_token", mismatch.Error);
        Assert.Equal("the token is bound to another TLS client certificate than the one presented", mismatch.Description);

        // The token validator on its own, given the certificate, refuses the same way.
        Assert.False((await _tokens.ValidateAsync(token, null, default)).IsValid);
        Assert.False((await _tokens.ValidateAsync(token, _otherCertificate, default)).IsValid);

        // Presenting it with the DPoP scheme does not get around the certificate either.
        Assert.False((await ValidateAsync("DPoP " + token, _clientCertificate)).IsValid);
    }

    [Fact]
    public async Task An_unbound_token_is_accepted_with_or_without_a_certificate()
    {
        var token = _issuerKey.Token(Claims());
        var withCertificate = await ValidateAsync("Bearer " + token, _clientCertificate);
        Assert.True(withCertificate.IsValid, withCertificate.Description);
        Assert.Equal("none", withCertificate.Binding);
        Assert.True((await ValidateAsync("Bearer " + token, null)).IsValid);
    }

    [Fact]
    public async Task A_token_bound_to_a_DPoP_key_and_a_certificate_needs_both()
    {
        var token = Token(new JsonObject { ["jkt"] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", ["x5t#S256"] = CertificateBinding.Thumbprint(_clientCertificate) });
        var bearer = await ValidateAsync("Bearer " + token, _clientCertificate);
        Assert.Equal("the token is bound to a DPoP key; present it with the DPoP scheme and a proof", bearer.Description);
        var noCertificate = await ValidateAsync("DPoP " + token, null);
        Assert.StartsWith("the token is bound to a TLS client certificate", noCertificate.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"x5t#S256\"", "claim 'cnf' is not an object")]
    [InlineData("{}", "claim 'cnf' is empty")]
    [InlineData("{\"x5t#S256\": 42}", "claim 'cnf.x5t#S256' is malformed")]
    [InlineData("{\"x5t#S256\": \"\"}", "claim 'cnf.x5t#S256' is malformed")]
    [InlineData("{\"x5t#S256\": \"not base64url!\"}", "claim 'cnf.x5t#S256' is malformed")]
    [InlineData("{\"x5t#S256\": \"AAAA\"}", "claim 'cnf.x5t#S256' is malformed")]
    [InlineData("{\"x5t#S256\": \"3D7FE0BD8FE5A44C8A04A8C6B1A6B7F80C9C6FE7D1F6C1C96FA2A1C2AB52EC2C\"}", "claim 'cnf.x5t#S256' is malformed")]
    [InlineData("{\"jkt\": null}", "claim 'cnf.jkt' is malformed")]
    [InlineData("{\"jwk\": {\"kty\": \"EC\"}}", "claim 'cnf' names no confirmation method this resource server can check (jkt, x5t#S256)")]
    [InlineData("{\"x5t\": \"c2hhMQ\"}", "claim 'cnf' names no confirmation method this resource server can check (jkt, x5t#S256)")]
    public async Task A_cnf_that_cannot_be_checked_is_refused_not_ignored(string cnf, string expected)
    {
        var token = Token(JsonNode.Parse(cnf)!);
        var outcome = await ValidateAsync("Bearer " + token, _clientCertificate);
        Assert.Equal("invalid_token", outcome.Error);
        Assert.Equal(expected, outcome.Description);
        Assert.Equal(expected, (await _tokens.ValidateAsync(token, _clientCertificate, default)).Error);
    }

    [Fact]
    public void Proxy_headers_parse_as_URL_encoded_PEM_PEM_or_base64_DER_and_anything_else_is_an_error_value()
    {
        var expected = CertificateBinding.Thumbprint(_clientCertificate);
        var pem = _clientCertificate.ExportCertificatePem();
        foreach (var value in new[] { Uri.EscapeDataString(pem), pem.ReplaceLineEndings(" "), Convert.ToBase64String(_clientCertificate.RawData) })
        {
            var parsed = ClientCertificateSource.Parse(value);
            Assert.Null(parsed.Error);
            using var certificate = parsed.Certificate!;
            Assert.Equal(expected, CertificateBinding.Thumbprint(certificate));
        }

        var privateKeyPem = _clientCertificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        string[] hostile =
        [
            "garbage",
            "%",
            "%ZZ%00",
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
            privateKeyPem,
            pem + pem,
            Convert.ToBase64String(new byte[100]),
            Convert.ToBase64String(_clientCertificate.Export(X509ContentType.Pkcs12)),
            new string('A', ClientCertificateSource.MaxHeaderLength + 1),
            string.Empty,
        ];
        foreach (var value in hostile)
        {
            var parsed = ClientCertificateSource.Parse(value);
            Assert.Null(parsed.Certificate);
            Assert.False(string.IsNullOrEmpty(parsed.Error), value);
        }
    }

    [Fact]
    public async Task A_stolen_bound_token_is_an_attack_on_its_principal_and_is_counted()
    {
        var counted = new System.Collections.Concurrent.ConcurrentQueue<(string Reason, bool Attack)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ResourceRequestValidator.MeterName && instrument.Name == "sfi.validation.refusals")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? reason = null;
            var attack = false;
            foreach (var tag in tags)
            {
                reason = tag.Key == "reason" ? (string?)tag.Value : reason;
                attack = tag.Key == "attack" ? (bool)tag.Value! : attack;
            }

            counted.Enqueue((reason!, attack));
        });
        listener.Start();

        // Presented without its certificate, and a DPoP-bound token presented as Bearer: theft, of orders-worker's token.
        var withoutCertificate = await ValidateAsync("Bearer " + Token(new JsonObject { ["x5t#S256"] = CertificateBinding.Thumbprint(_clientCertificate) }), null);
        var withoutProof = await ValidateAsync("Bearer " + Token(new JsonObject { ["jkt"] = TestKey.B64(new byte[32]) }), null);
        foreach (var outcome in new[] { withoutCertificate, withoutProof })
        {
            Assert.Equal(Refusal.BindingViolation, outcome.Refusal);
            Assert.Equal("orders-worker", outcome.RefusedPrincipal!.Subject);
        }

        // A forgery names no one: its claims are not verified.
        using var forger = TestKey.Es256("issuer-1");
        var forged = await ValidateAsync("Bearer " + forger.Token(new JsonObject { ["iss"] = Issuer, ["aud"] = Api, ["sub"] = "orders-worker", ["iat"] = Now, ["exp"] = Now + 300 }), null);
        Assert.Equal(Refusal.BadSignature, forged.Refusal);
        Assert.Null(forged.RefusedPrincipal);

        // No credentials at all is counted too, but is no attack.
        Assert.Equal(Refusal.Missing, (await ValidateAsync(string.Empty, null)).Refusal);
        listener.RecordObservableInstruments();
        Assert.Equal([("binding-violation", true), ("binding-violation", true), ("bad-signature", true), ("missing", false)], counted.ToArray());
    }

    private Task<ResourceRequestOutcome> ValidateAsync(string authorization, X509Certificate2? certificate)
        => _requests.ValidateAsync(authorization, [], "GET", new Uri("https://api.example/orders"), certificate, default);

    private string Token(JsonNode cnf) => _issuerKey.Token(new JsonObject
    {
        ["iss"] = Issuer,
        ["aud"] = Api,
        ["sub"] = "orders-worker",
        ["iat"] = Now,
        ["exp"] = Now + 300,
        ["cnf"] = cnf,
    });

    private object Claims() => new { iss = Issuer, aud = Api, sub = "orders-worker", iat = Now, exp = Now + 300 };

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
