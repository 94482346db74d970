using System.Text;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class Base64CredentialsValidatorTests
{
    private readonly Base64CredentialsValidator _validator = new();

    [Fact]
    public void UserAndPassword_IsAccepted() =>
        Assert.True(_validator.Validate(Candidates.For(Encode("deploy:Vq9#mZ2pLx"))).Accept);

    [Theory]
    [InlineData("deploy:")]
    [InlineData(":Vq9#mZ2pLx")]
    [InlineData("no-colon-here")]
    [InlineData("deploy:password")]
    [InlineData("deploy:${REGISTRY_PASSWORD}")]
    [InlineData("deploy:<password>")]
    public void MissingOrPlaceholderPassword_IsRejected(string credentials) =>
        Assert.False(_validator.Validate(Candidates.For(Encode(credentials))).Accept);

    [Fact]
    public void BinaryData_IsRejected() =>
        Assert.False(_validator.Validate(Candidates.For(Convert.ToBase64String([0xff, 0xfe, 0x00, 0x3a, 0x01, 0x02, 0x03, 0x04, 0x05]))).Accept);

    [Fact]
    public void NonBase64_IsRejected() =>
        Assert.False(_validator.Validate(Candidates.For("this is not base64!")).Accept);

    private static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
