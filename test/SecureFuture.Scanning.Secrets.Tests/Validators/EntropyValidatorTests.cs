using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class EntropyValidatorTests
{
    private readonly EntropyValidator _validator = new();

    [Fact]
    public void RandomKey_AboveThreshold_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For("q8Zr2LmXv7KpT4sWn9YbHc3JdF6gA1eU", "4.0")).Accept);

    [Theory]
    [InlineData("aaaaaaaaaaaaaaaa")]
    [InlineData("abababababababab")]
    public void RepetitiveValue_BelowThreshold_IsRejected(string secret) =>
        Assert.False(_validator.Validate(Candidates.For(secret, "3.0")).Accept);

    [Fact]
    public void ShannonEntropy_OfFourEquallyLikelySymbols_IsTwoBits() =>
        Assert.Equal(2.0, EntropyValidator.ShannonEntropy("abcdabcd"), 6);

    [Theory]
    [InlineData(null)]
    [InlineData("high")]
    [InlineData("9")]
    public void InvalidArgument_IsReportedAtLoadTime(string? argument) =>
        Assert.NotNull(_validator.CheckArgument(argument));
}
