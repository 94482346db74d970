using System.Security.Cryptography;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class GitHubChecksumValidatorTests
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly GitHubChecksumValidator _validator = new();

    [Fact]
    public void Crc32_OfCheckString_MatchesIeeeCheckValue() =>
        // The CRC-32/ISO-HDLC check value from the CRC catalogue.
        Assert.Equal(0xCBF43926u, GitHubChecksumValidator.Crc32("123456789"));

    [Fact]
    public void GitHubToken_ComputedByAnIndependentImplementation_IsAccepted() =>
        // Generated with Python's zlib.crc32 and a separate base62 encoder.
        Assert.True(_validator.Validate(Candidates.For("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")).Accept);

    [Fact]
    public void Checksum_MatchesIndependentImplementation() =>
        Assert.Equal("3UUBLk", GitHubChecksumValidator.Checksum("Kq7Yb2Ld9Xv4Ns1Wm8Pz3Tc6Rj0Hf5"));

    [Theory]
    [InlineData("ghp_")]
    [InlineData("gho_")]
    [InlineData("ghu_")]
    [InlineData("ghs_")]
    [InlineData("ghr_")]
    [InlineData("npm_")]
    public void GeneratedToken_WithCorrectChecksum_IsAccepted(string prefix)
    {
        var random = RandomBase62(30);
        Assert.True(_validator.Validate(Candidates.For(prefix + random + GitHubChecksumValidator.Checksum(random))).Accept);
    }

    [Fact]
    public void GitHubToken_WithWrongChecksum_IsRejected()
    {
        var random = RandomBase62(30);
        var checksum = GitHubChecksumValidator.Checksum(random);
        var wrong = (checksum[5] == 'a' ? 'b' : 'a').ToString();
        var outcome = _validator.Validate(Candidates.For("ghp_" + random + checksum[..5] + wrong));
        Assert.False(outcome.Accept);
        Assert.Equal("checksum does not match", outcome.Reason);
    }

    [Theory]
    [InlineData("ghp_tooShort123")]
    [InlineData("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("ghp_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public void MalformedToken_IsRejected(string token) =>
        Assert.False(_validator.Validate(Candidates.For(token)).Accept);

    [Fact]
    public void Checksum_IsLeftPaddedToSixCharacters()
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(6, GitHubChecksumValidator.Checksum(RandomBase62(30)).Length);
        }
    }

    private static string RandomBase62(int length) =>
        string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Base62[RandomNumberGenerator.GetInt32(62)];
            }
        });
}
