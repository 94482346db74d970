using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

/// <summary>
/// The armored bodies below were exported with GnuPG 2.4 from throw-away Ed25519 keys made for this test
/// (`gpg --quick-gen-key ... ed25519`, no passphrase, never published or used).
/// </summary>
public sealed class OpenPgpSecretKeyValidatorTests
{
    private const string SecretKeyBody = """

        lFgEaxMw2BYJKwYBBAHaRw8BAQdA2FCDcvjNkYAJd9oRvKvne1KO+eeZNtfU0GAB
        QAAAzHMAAP96jom/fq8BQKOK38Ffm/T5m5NR9SQj/VDDU/git71XeRLttDlDb250
        b3NvIEJ1aWxkIFNpZ25pbmcgKHRlc3Qgb25seSkgPGJ1aWxkQGNvbnRvc28uZXhh
        bXBsZT6IkAQTFggAOBYhBLLUsAj7Xqs5/FtC6p3MUDvEYX3jBQJrEzDYAhsDBQsJ
        CAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEJ3MUDvEYX3jbnkA/0nhcHYXiaTK1MJJ
        x+1KpDcgx2tVs5Tx33YagFI4u0gQAQDYHcDD9CztOarqT/e8XpW4tn2OIf/dTRgu
        Z0Lw9Q0KCg==
        =9u6a
        """;

    // The public key of a second throw-away key, pasted under a PRIVATE KEY BLOCK label.
    private const string PublicKeyBody = """

        mDMEaxMw2RYJKwYBBAHaRw8BAQdAIp2a90UntClv6bgdmf01tOnPvbfqpAVfaSVD
        mS+SvWC0N0ZhYnJpa2FtIFJlbGVhc2UgKHRlc3Qgb25seSkgPHJlbGVhc2VAZmFi
        cmlrYW0uZXhhbXBsZT6IkAQTFggAOBYhBI4cC3p/yeJS9xDrp5r7NhL4+1KCBQJr
        EzDZAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEJr7NhL4+1KCHTQA/0H+
        5hdRKrDi+1T/KhwI4SIOBh/pS782dMJrLW9DepjjAQDMNNCuEPgL2kzItSZxTcl3
        J/kyJAQdX7lQzw5qjnptDA==
        =RGyk
        """;

    private readonly OpenPgpSecretKeyValidator _validator = new();

    [Fact]
    public void SecretKeyExport_IsAccepted() => Assert.True(_validator.Validate(Candidates.For(SecretKeyBody)).Accept);

    [Fact]
    public void SecretKeyExport_WithArmorHeaders_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For("\nVersion: GnuPG v2\nComment: build key\n" + SecretKeyBody.TrimStart('\n'))).Accept);

    [Fact]
    public void SecretKeyExport_WithoutChecksumLine_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For(SecretKeyBody.Replace("=9u6a", string.Empty, StringComparison.Ordinal))).Accept);

    [Fact]
    public void PublicKey_UnderAPrivateKeyLabel_IsRejected()
    {
        var outcome = _validator.Validate(Candidates.For(PublicKeyBody));
        Assert.False(outcome.Accept);
        Assert.Equal("first packet is tag 6, not a secret key", outcome.Reason);
    }

    [Fact]
    public void MangledCopy_FailsTheArmorChecksum()
    {
        var outcome = _validator.Validate(Candidates.For(SecretKeyBody.Replace("=9u6a", "=9u6b", StringComparison.Ordinal)));
        Assert.False(outcome.Accept);
        Assert.Equal("armor checksum does not match", outcome.Reason);
    }

    [Theory]
    [InlineData("\nlQOYBF...\n...\n")]
    [InlineData("\nlQOYBFxyz\n")]
    [InlineData("\nThis is not base64 at all, just prose about keys and how to keep them safe!!\n")]
    public void DocumentationBodies_AreRejected(string body) => Assert.False(_validator.Validate(Candidates.For(body)).Accept);

    [Theory]
    [InlineData(0x94, 5)] // legacy format, secret key, one-byte length
    [InlineData(0x95, 5)] // legacy format, secret key, two-byte length
    [InlineData(0x9D, 7)] // legacy format, secret subkey
    [InlineData(0xC5, 5)] // OpenPGP format, secret key
    [InlineData(0x99, 6)] // legacy format, public key
    [InlineData(0x3F, -1)] // not a packet header
    public void PacketTag_ReadsBothHeaderFormats(int header, int tag) =>
        Assert.Equal(tag, OpenPgpSecretKeyValidator.PacketTag((byte)header));

    [Fact]
    public void Crc24_OfEmptyInput_IsTheInitialValue() => Assert.Equal(0xB704CEu, OpenPgpSecretKeyValidator.Crc24([]));
}
