using System.Text;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class JwtValidatorTests
{
    private readonly JwtValidator _validator = new();

    [Fact]
    public void SignedToken_WithAlgAndJsonPayload_IsAccepted()
    {
        var outcome = _validator.Validate(Candidates.For(Token("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "{\"iss\":\"https://login.example\",\"sub\":\"42\"}", "c2lnbmF0dXJl")));
        Assert.True(outcome.Accept);
        Assert.Equal("RS256", outcome.Properties!["jwt.alg"]);
    }

    [Fact]
    public void UnsignedToken_WithAlgNone_IsStillAccepted() =>
        Assert.True(_validator.Validate(Candidates.For(Token("{\"alg\":\"none\"}", "{\"sub\":\"42\"}", string.Empty))).Accept);

    [Fact]
    public void Header_WithoutAlg_IsRejected() =>
        Assert.False(_validator.Validate(Candidates.For(Token("{\"typ\":\"JWT\"}", "{\"sub\":\"42\"}", "c2ln"))).Accept);

    [Fact]
    public void Payload_ThatIsNotJson_IsRejected() =>
        Assert.False(_validator.Validate(Candidates.For(Token("{\"alg\":\"HS256\"}", "not json", "c2ln"))).Accept);

    [Theory]
    [InlineData("eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("eyJ.eyJ.sig")]
    [InlineData("a.b.c.d")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.!!!.sig")]
    public void MalformedToken_IsRejected(string token) =>
        Assert.False(_validator.Validate(Candidates.For(token)).Accept);

    private static string Token(string header, string payload, string signature) =>
        $"{Encode(header)}.{Encode(payload)}.{signature}";

    private static string Encode(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
