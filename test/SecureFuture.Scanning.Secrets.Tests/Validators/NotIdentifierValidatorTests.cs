using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class NotIdentifierValidatorTests
{
    private readonly NotIdentifierValidator _validator = new();

    [Theory]
    [InlineData("userInput", "password = userInput;")]
    [InlineData("request.Token", "token: request.Token")]
    [InlineData("ed25519.Ed25519PrivateKey", "private_key: ed25519.Ed25519PrivateKey")]
    [InlineData("_EllipticCurvePrivateKey", "private_key: \"_EllipticCurvePrivateKey\"")]
    [InlineData("challengePassword", "CHALLENGE_PASSWORD: \"challengePassword\"")]
    [InlineData("refresh_token_value", "token = 'refresh_token_value'")]
    public void UnquotedIdentifier_IsRejected(string secret, string match) =>
        Assert.False(_validator.Validate(Candidates.For(secret, match: match)).Accept);

    [Fact]
    public void QuotedWord_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For("correcthorse", match: "password = \"correcthorse\"")).Accept);

    [Fact]
    public void UnquotedValueWithDigitsOrSymbols_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For("Kx9-pQ2!vb", match: "password=Kx9-pQ2!vb")).Accept);

    [Theory]
    [InlineData("lsdkfol23w54jlksdef")]
    [InlineData("qwe089234lkjsdf")]
    [InlineData("A1b2C3d4E5f6G7h8")]
    public void QuotedGeneratedValue_IsAccepted(string secret) =>
        Assert.True(_validator.Validate(Candidates.For(secret, match: $"token = \"{secret}\"")).Accept);
}
