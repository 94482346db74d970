using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureFuture.Server.Tests;

[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class TlsTests(ServerFixture fixture)
{
    [Fact]
    public async Task Serves_https_with_the_given_pem_certificate()
    {
        var directory = Directory.CreateTempSubdirectory("sfi-tls-").FullName;
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
            var certFile = Path.Combine(directory, "server.crt");
            var keyFile = Path.Combine(directory, "server.key");
            await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

            var expected = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            var seen = new List<string>();
            await using var server = await RunningServer.StartAsync(
                fixture.Custodian,
                configure: o => o with { Urls = ["https://127.0.0.1:0"], TlsCertificate = certFile, TlsKey = keyFile },
                handler: () => new HttpClientHandler
                {
                    // Trust exactly the certificate the server was given, as a pinned client would.
                    ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                    {
                        var hash = presented!.GetCertHashString(HashAlgorithmName.SHA256);
                        lock (seen)
                        {
                            seen.Add(hash);
                        }

                        return hash == expected;
                    },
                });

            Assert.Equal("https", server.BaseAddress.Scheme);
            using var jwks = await server.Anonymous.GetAsync(new Uri("/.well-known/jwks.json", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
            Assert.Contains(expected, seen);

            // Under TLS every answer tells browsers to stay on https (RFC 6797); over plain http none does.
            Assert.Equal("max-age=31536000", Assert.Single(jwks.Headers.GetValues("Strict-Transport-Security")));
            using var unauthorized = await server.Anonymous.GetAsync(new Uri("/v1/keyrings", UriKind.Relative));
            Assert.Equal("max-age=31536000", Assert.Single(unauthorized.Headers.GetValues("Strict-Transport-Security")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:5080", null, "clear text")]
    [InlineData("http://*:5080", null, "clear text")]
    [InlineData("http://192.0.2.10:5080", null, "clear text")]
    [InlineData("https://127.0.0.1:0", null, "https URLs need --tls-cert and --tls-key")]
    [InlineData("ftp://127.0.0.1:21", null, "is not an http or https URL")]
    [InlineData("https://127.0.0.1:0", "/nonexistent/cert.pem", "cannot load the TLS certificate")]
    public async Task Listeners_that_would_expose_the_admin_key_are_refused_before_anything_is_created(string url, string? cert, string expected)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "sfi-refused-" + Guid.NewGuid().ToString("N"));
        var options = new ServerOptions { DataDirectory = dataDirectory, Urls = [url], TlsCertificate = cert, TlsKey = cert is null ? null : cert + ".key" };
        var error = await Assert.ThrowsAsync<ServerStartException>(() => SfiServer.StartAsync(options, TextWriter.Null, fixture.Custodian));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDirectory));
    }
}
