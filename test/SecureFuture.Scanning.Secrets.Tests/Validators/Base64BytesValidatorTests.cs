using System.Security.Cryptography;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class Base64BytesValidatorTests
{
    private readonly Base64BytesValidator _validator = new();

    [Fact]
    public void StorageKey_OfSixtyFourBytes_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For(Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)), "64")).Accept);

    [Fact]
    public void Base64_OfWrongLength_IsRejected() =>
        Assert.False(_validator.Validate(Candidates.For(Convert.ToBase64String(RandomNumberGenerator.GetBytes(63)), "64")).Accept);

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("abc")]
    [InlineData("")]
    public void NonBase64_IsRejected(string secret) =>
        Assert.False(_validator.Validate(Candidates.For(secret, "64")).Accept);

    [Fact]
    public void MissingArgument_IsReportedAtLoadTime() => Assert.NotNull(_validator.CheckArgument(null));
}
