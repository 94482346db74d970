using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class LiteralAssignmentValidatorTests
{
    private readonly LiteralAssignmentValidator _validator = new();

    private static SecretCandidate At(string line, string keyword, string secret, string path) =>
        new(secret, line[line.IndexOf(keyword, StringComparison.Ordinal)..], new Dictionary<string, string>(StringComparer.Ordinal), path, line,
            line.IndexOf(keyword, StringComparison.Ordinal), null, new SecretScanSettings());

    [Theory]
    [InlineData(".access_token_principal")]
    [InlineData("gt:password")]
    [InlineData("urn:ietf:params:oauth:grant-type:jwt-bearer")]
    [InlineData("Owin.Security.OpenIdConnect.Server")]
    [InlineData("header.payload.signature")]
    [InlineData("ACQUIRE_TOKEN_SILENT")]
    [InlineData("pop_token_not_supported_v1")]
    public void WordShapedNames_AreNames(string value) => Assert.True(LiteralAssignmentValidator.IsName(value));

    [Theory]
    [InlineData("OhX6aTdP62T-eugF9CB.ZhBIWURLyyhH1UAUWQ-g")]
    [InlineData("mF8.Qz-4.9JpW")]
    [InlineData("correct-horse")]
    [InlineData("Kx9-pQ2!vb")]
    public void RandomOrShortPhrases_AreNotNames(string value) => Assert.False(LiteralAssignmentValidator.IsName(value));

    [Theory]
    [InlineData(60)]
    [InlineData(5000)]
    public void LongLowerCaseRun_IsJudgedInLinearTime(int length)
    {
        // The word pattern once tried every split of a lower-case run into humps: 2^(n-1) ways, so a 60-letter
        // run followed by a character no word allows hit the pattern's 250 ms timeout (RegexMatchTimeoutException,
        // and a rule-timeout notification in a scan) instead of answering.
        var value = "access_" + new string('a', length) + "!";
        Assert.False(LiteralAssignmentValidator.IsName(value));
    }

    [Fact]
    public void UnquotedValue_IsAnExpressionInCode_ButALiteralInConfiguration()
    {
        const string Line = "client_secret = sharedSecretHolder2";
        Assert.False(_validator.Validate(At(Line, "client_secret", "sharedSecretHolder2", "src/app.py")).Accept);
        Assert.True(_validator.Validate(At(Line, "client_secret", "sharedSecretHolder2", "config/app.ini")).Accept);
    }

    [Fact]
    public void DollarVariable_NeedsAQuotedValue()
    {
        Assert.False(_validator.Validate(At("$apiToken = Get-VaultToken -Name prod", "Token", "Get-VaultToken", "ci/pipeline.yml")).Accept);
        Assert.True(_validator.Validate(At("$apiToken = 'p8Lw2Qz7Rk4Tn9Vb3Xc6'", "Token", "p8Lw2Qz7Rk4Tn9Vb3Xc6", "ci/pipeline.yml")).Accept);
    }

    [Fact]
    public void CredentialShape_RaisesOnlyCredentialLikeValuesOutsideDocumentation()
    {
        var shape = new CredentialShapeValidator();
        SecretCandidate Value(string secret, string path) => new(secret, secret, new Dictionary<string, string>(StringComparer.Ordinal), path, secret, 0, null, new SecretScanSettings());
        Assert.Equal(Severity.High, shape.Validate(Value("HEBnmewJUNJ4oZ_3", "src/app.cs")).Severity);
        Assert.Equal(Severity.High, shape.Validate(Value("a62b1abc76a30defe1213a4e33aa42e0", ".env")).Severity);
        Assert.Equal(Severity.Medium, shape.Validate(Value("bluemonkeytrain", "src/app.cs")).Severity);
        Assert.Equal(Severity.Medium, shape.Validate(Value("HEBnmewJUNJ4oZ_3", "docs/setup.md")).Severity);
    }
}
