using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class PrivateKeyBlobValidatorTests
{
    private readonly PrivateKeyBlobValidator _validator = new();

    [Fact]
    public void Pkcs8PrivateKey_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var outcome = _validator.Validate(Candidates.For(Convert.ToBase64String(key.ExportPkcs8PrivateKey())));
        Assert.True(outcome.Accept);
        Assert.Equal("PKCS#8 private key", outcome.Properties!["key.format"]);
    }

    [Fact]
    public void Pkcs1RsaPrivateKey_IsAccepted()
    {
        using var key = RSA.Create(2048);
        Assert.Equal("PKCS#1 RSA private key", _validator.Validate(Candidates.For(Convert.ToBase64String(key.ExportRSAPrivateKey()))).Properties!["key.format"]);
    }

    [Fact]
    public void Sec1EcPrivateKey_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal("SEC1 EC private key", _validator.Validate(Candidates.For(Convert.ToBase64String(key.ExportECPrivateKey()))).Properties!["key.format"]);
    }

    [Fact]
    public void EncryptedPkcs8PrivateKey_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var encrypted = key.ExportEncryptedPkcs8PrivateKey("pw"u8, new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        Assert.True(_validator.Validate(Candidates.For(Convert.ToBase64String(encrypted))).Accept);
    }

    [Fact]
    public void Pkcs12Archive_WithLineBreaksAndUrlSafeAlphabet_IsAccepted()
    {
        using var certificate = SelfSigned();
        var pfx = Convert.ToBase64String(certificate.Export(X509ContentType.Pfx, "pw"), Base64FormattingOptions.InsertLineBreaks).Replace('+', '-').Replace('/', '_');
        var outcome = _validator.Validate(Candidates.For(pfx.Replace("\r\n", "\\n", StringComparison.Ordinal)));
        Assert.True(outcome.Accept);
        Assert.Equal("PKCS#12 (PFX) archive", outcome.Properties!["key.format"]);
    }

    [Fact]
    public void Certificate_OnlyPublicMaterial_IsRejected()
    {
        // The usual keyCredentials entry: a certificate, which is public and fine to publish.
        using var certificate = SelfSigned();
        Assert.False(_validator.Validate(Candidates.For(Convert.ToBase64String(certificate.RawData))).Accept);
    }

    [Fact]
    public void SubjectPublicKeyInfo_IsRejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(_validator.Validate(Candidates.For(Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()))).Accept);
    }

    [Fact]
    public void PemPrivateKeyText_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(_validator.Validate(Candidates.For(key.ExportPkcs8PrivateKeyPem())).Accept);
    }

    [Fact]
    public void Base64OfPemPrivateKey_AsInKubeconfig_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(_validator.Validate(Candidates.For(Convert.ToBase64String(Encoding.UTF8.GetBytes(key.ExportECPrivateKeyPem())))).Accept);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MIIE...")]
    [InlineData("not base64 at all")]
    [InlineData("MAA=")]
    [InlineData("MIIBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----")]
    public void Junk_IsRejectedWithoutThrowing(string secret) =>
        Assert.False(_validator.Validate(Candidates.For(secret)).Accept);

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        for (var i = 0; i < 500; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(1, 300));
            bytes[0] = 0x30;
            _ = _validator.Validate(Candidates.For(Convert.ToBase64String(bytes)));
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sfi-test", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
