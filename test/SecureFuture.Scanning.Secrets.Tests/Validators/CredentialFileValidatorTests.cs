using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

/// <summary>
/// notTemplate and weakPassword, the pair credential-file rules use instead of notPlaceholder and entropy: a weak
/// password in a .pgpass or FileZilla file is a real leak and must be reported (raised, never hidden).
/// </summary>
public sealed class CredentialFileValidatorTests
{
    private readonly NotTemplateValidator _notTemplate = new();
    private readonly WeakPasswordValidator _weak = new();

    private static SecretCandidate Base64Pass(string encoded) =>
        new(encoded, $"<Pass encoding=\"base64\">{encoded}</Pass>", new Dictionary<string, string>(StringComparer.Ordinal) { ["encoding"] = "base64" },
            "sitemanager.xml", encoded, 0, null, new SecretScanSettings());

    [Theory]
    [InlineData("123456")]
    [InlineData("letmein")]
    [InlineData("postgres")]
    [InlineData("a")]
    [InlineData("hunter2")]
    [InlineData("Vq4!rLs8#Tm2")]
    public void RealValues_WeakOrNot_AreKept(string value) => Assert.True(_notTemplate.Validate(Candidates.For(value)).Accept);

    [Theory]
    [InlineData("123456")]
    [InlineData("letmein")]
    [InlineData("a")]
    public void WeakValues_DroppedFromSourceCode_AreKeptInCredentialFiles(string value)
    {
        Assert.False(new NotPlaceholderValidator().Validate(Candidates.For(value)).Accept);
        Assert.True(_notTemplate.Validate(Candidates.For(value)).Accept);
    }

    [Theory]
    [InlineData("${PGPASSWORD}")]
    [InlineData("<password>")]
    [InlineData("%FTP_PASS%")]
    [InlineData("$NETRC_PASSWORD")]
    [InlineData("***")]
    [InlineData("********")]
    [InlineData("xxxxxx")]
    [InlineData("changeme")]
    [InlineData("your_password")]
    [InlineData("null")]
    [InlineData("{{ ftp_password }}")]
    public void Templates_AreRejected(string value) => Assert.False(_notTemplate.Validate(Candidates.For(value)).Accept);

    [Fact]
    public void MinimumLength_IsTheArgument() =>
        Assert.False(_notTemplate.Validate(Candidates.For("abc", argument: "4")).Accept);

    [Theory]
    [InlineData("123456", "one of the most common passwords")]
    [InlineData("changeit", "one of the most common passwords")]
    [InlineData("zzzzzzzzzz", "a repeated or sequential run of characters")]
    [InlineData("abcdefghij", "a repeated or sequential run of characters")]
    [InlineData("Kx9!pQ2", "shorter than 8 characters")]
    public void WeakPassword_IsRaisedToCritical_AndSaysWhy(string value, string reason)
    {
        var outcome = _weak.Validate(Candidates.For(value));
        Assert.True(outcome.Accept);
        Assert.Equal(Severity.Critical, outcome.Severity);
        Assert.Equal("weak password: " + reason, outcome.Detail);
        Assert.DoesNotContain(value, outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Vq4!rLs8#Tm2")]
    [InlineData("correct horse battery staple")]
    public void StrongPassword_KeepsTheRuleSeverity(string value)
    {
        var outcome = _weak.Validate(Candidates.For(value));
        Assert.True(outcome.Accept);
        Assert.Null(outcome.Severity);
    }

    [Fact]
    public void Base64EncodedPassword_IsJudgedDecoded()
    {
        // FileZilla stores "123456" as MTIzNDU2 and a row of asterisks as KioqKioqKio=.
        Assert.Equal(Severity.Critical, _weak.Validate(Base64Pass("MTIzNDU2")).Severity);
        Assert.False(_notTemplate.Validate(Base64Pass("KioqKioqKio=")).Accept);
        Assert.True(_notTemplate.Validate(Base64Pass("VnE0IXJMczgjVG0y")).Accept);
        Assert.Null(_weak.Validate(Base64Pass("VnE0IXJMczgjVG0y")).Severity);
    }
}
