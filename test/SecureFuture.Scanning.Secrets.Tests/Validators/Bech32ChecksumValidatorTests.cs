using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class Bech32ChecksumValidatorTests
{
    // Generated for this test by an independent encoder (Python, BIP 173 reference algorithm) from random bytes.
    private const string AgeKey = "AGE-SECRET-KEY-1UREGFX0U04K4TZ7NCK3UJLEJF830WY70HAV6THHYX3ZCP3MSAXWQK6N8A5";

    private readonly Bech32ChecksumValidator _validator = new();

    // BIP 173's valid test vectors.
    [Theory]
    [InlineData("A12UEL5L")]
    [InlineData("a12uel5l")]
    [InlineData("an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs")]
    [InlineData("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")]
    [InlineData("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w")]
    [InlineData("?1ezyfcl")]
    [InlineData(AgeKey)]
    public void ValidBech32_IsAccepted(string text) => Assert.True(Bech32ChecksumValidator.Verify(text));

    // BIP 173's invalid test vectors that concern the checksum and alphabet, plus mixed case.
    [Theory]
    [InlineData("li1dgmt3")]
    [InlineData("x1b4n0q5v")]
    [InlineData("A1G7SGD8")]
    [InlineData("1qzzfhee")]
    [InlineData("A12uEL5L")]
    public void InvalidBech32_IsRejected(string text) => Assert.False(Bech32ChecksumValidator.Verify(text));

    [Fact]
    public void AgeKey_WithOneCharacterChanged_IsRejected()
    {
        var changed = AgeKey[..^1] + (AgeKey[^1] == 'Q' ? 'P' : 'Q');
        var outcome = _validator.Validate(Candidates.For(changed));
        Assert.False(outcome.Accept);
        Assert.Equal("Bech32 checksum does not match", outcome.Reason);
    }

    [Fact]
    public void AgeKey_IsAccepted() => Assert.True(_validator.Validate(Candidates.For(AgeKey)).Accept);
}
