using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class NotIdentifierValidatorTests
{
    private readonly NotIdentifierValidator _validator = new();

    [Theory]
    [InlineData("userInput", "password = userInput;")]
    [InlineData("request.Token", "token: request.Token")]
    public void UnquotedIdentifier_IsRejected(string secret, string match) =>
        Assert.False(_validator.Validate(Candidates.For(secret, match: match)).Accept);

    [Fact]
    public void QuotedWord_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For("correcthorse", match: "password = \"correcthorse\"")).Accept);

    [Fact]
    public void UnquotedValueWithDigitsOrSymbols_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For("Kx9-pQ2!vb", match: "password=Kx9-pQ2!vb")).Accept);
}
