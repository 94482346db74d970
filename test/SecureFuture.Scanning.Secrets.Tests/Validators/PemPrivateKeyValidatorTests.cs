using System.Security.Cryptography;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class PemPrivateKeyValidatorTests
{
    private readonly PemPrivateKeyValidator _validator = new();

    [Fact]
    public void PemBody_OfDerKey_IsAccepted()
    {
        using var key = RSA.Create(2048);
        Assert.True(_validator.Validate(Candidates.For(Body(key.ExportRSAPrivateKeyPem()))).Accept);
    }

    [Fact]
    public void PemBody_WithEscapedNewlines_AsInJson_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(_validator.Validate(Candidates.For(Body(key.ExportPkcs8PrivateKeyPem()).Replace("\n", "\\n", StringComparison.Ordinal))).Accept);
    }

    [Fact]
    public void OpenSshBody_IsAccepted()
    {
        var blob = new byte[120];
        "openssh-key-v1\0"u8.CopyTo(blob);
        Assert.True(_validator.Validate(Candidates.For(Convert.ToBase64String(blob, Base64FormattingOptions.InsertLineBreaks))).Accept);
    }

    [Fact]
    public void LegacyEncryptedBody_WithHeaders_IsAccepted()
    {
        var body = "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F1A2B3C4D5E6F708192A3B4C5D6E7F8\n\n" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        Assert.True(_validator.Validate(Candidates.For(body)).Accept);
    }

    [Theory]
    [InlineData("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC...")]
    [InlineData("MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1")]
    [InlineData("")]
    public void PlaceholderOrTruncatedBody_IsRejected(string body) =>
        Assert.False(_validator.Validate(Candidates.For(body)).Accept);

    [Fact]
    public void Body_ThatIsNotDer_IsRejected()
    {
        var bytes = RandomNumberGenerator.GetBytes(96);
        bytes[0] = 0x42;
        Assert.False(_validator.Validate(Candidates.For(Convert.ToBase64String(bytes))).Accept);
    }

    [Fact]
    public void PemBody_WithLinesStartingOrEndingInPlus_IsAccepted()
    {
        // '+' is a base64 digit; it must never be taken for string concatenation.
        var bytes = new byte[96];
        bytes[0] = 0x30;
        bytes.AsSpan(1).Fill(0xFB);
        var body = Convert.ToBase64String(bytes);
        Assert.True(_validator.Validate(Candidates.For(body[..64] + "\n" + body[64..])).Accept);
    }

    [Fact]
    public void PemBody_AsConcatenatedSourceStrings_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var lines = Body(key.ExportPkcs8PrivateKeyPem()).Split('\n').Select(l => "\"" + l + "\" +");
        Assert.True(_validator.Validate(Candidates.For(string.Join('\n', lines))).Accept);
    }

    private static string Body(string pem) =>
        string.Join('\n', pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
}
