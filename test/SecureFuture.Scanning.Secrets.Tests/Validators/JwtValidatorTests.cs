using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
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

    [Theory]
    [InlineData("HS256", "your-256-bit-secret")]
    [InlineData("HS384", "your-384-bit-secret")]
    [InlineData("HS512", "secret")]
    public void Token_SignedWithADocumentationKey_IsAnExample(string algorithm, string key)
    {
        var example = Signed(algorithm, key, "{\"sub\":\"1234567890\",\"name\":\"John Doe\"}");
        Assert.False(_validator.Validate(Candidates.For(example)).Accept);

        // The same claims signed with any other key are a real token, and still reported.
        var real = Signed(algorithm, "kQ7vZ2pLx9RmT4wYb3Nc8fHj", "{\"sub\":\"1234567890\",\"name\":\"John Doe\"}");
        Assert.True(_validator.Validate(Candidates.For(real)).Accept);
    }

    [Fact]
    public void ExpiredToken_IsMedium_AndALiveOneKeepsTheRuleSeverity()
    {
        var settings = new SecretScanSettings { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)) };
        var expired = _validator.Validate(Candidates.For(Token("{\"alg\":\"RS256\"}", "{\"sub\":\"42\",\"exp\":1572006964}", "c2lnbmF0dXJl"), settings: settings));
        Assert.True(expired.Accept);
        Assert.Equal(Severity.Medium, expired.Severity);
        Assert.Equal("2019-10-25T12:36:04Z", expired.Properties!["jwt.exp"]);

        var live = _validator.Validate(Candidates.For(Token("{\"alg\":\"RS256\"}", "{\"sub\":\"42\",\"exp\":4102444800}", "c2lnbmF0dXJl"), settings: settings));
        Assert.True(live.Accept);
        Assert.Null(live.Severity);
    }

    private static string Signed(string algorithm, string key, string payload)
    {
        var signingInput = $"{Encode($"{{\"alg\":\"{algorithm}\",\"typ\":\"JWT\"}}")}.{Encode(payload)}";
        var data = Encoding.ASCII.GetBytes(signingInput);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var signature = algorithm switch
        {
            "HS256" => HMACSHA256.HashData(keyBytes, data),
            "HS384" => HMACSHA384.HashData(keyBytes, data),
            _ => HMACSHA512.HashData(keyBytes, data),
        };
        return $"{signingInput}.{Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";
    }

    private static string Token(string header, string payload, string signature) =>
        $"{Encode(header)}.{Encode(payload)}.{signature}";

    private static string Encode(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
