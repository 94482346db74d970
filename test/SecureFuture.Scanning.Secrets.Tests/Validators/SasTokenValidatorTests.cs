using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class SasTokenValidatorTests
{
    private static readonly string Sig = Uri.EscapeDataString(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    private readonly SasTokenValidator _validator = new();
    private readonly SecretScanSettings _settings = new() { Clock = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)) };

    [Fact]
    public void LongLivedAccountSas_WithWriteDeleteList_IsCritical()
    {
        var outcome = Validate($"?sv=2021-06-08&ss=bfqt&srt=sco&sp=rwdlacup&se=2051-01-01T00:00:00Z&st=2021-01-01T00:00:00Z&spr=https&sig={Sig}");
        Assert.True(outcome.Accept);
        Assert.Equal(Severity.Critical, outcome.Severity);
        Assert.Equal("account SAS (services bfqt, permissions rwdlacup) valid 2021-01-01 to 2051-01-01 (10,957 days)", outcome.Detail);
        Assert.Equal("account", outcome.Properties!["sas.kind"]);
        Assert.Equal("10957", outcome.Properties["sas.lifetimeDays"]);
        Assert.Equal("2051-01-01T00:00:00Z", outcome.Properties["sas.expiry"]);
    }

    [Fact]
    public void ShortReadOnlyServiceSas_KeepsRuleSeverity()
    {
        var outcome = Validate($"https://acct.blob.core.windows.net/c/file.txt?sv=2022-11-02&st=2099-01-01&se=2099-01-08&sr=b&sp=r&sig={Sig}");
        Assert.True(outcome.Accept);
        Assert.Null(outcome.Severity);
        Assert.Equal("service", outcome.Properties!["sas.kind"]);
        Assert.Equal("7", outcome.Properties["sas.lifetimeDays"]);
    }

    [Fact]
    public void ShortAccountSas_ReadOnly_KeepsRuleSeverity() =>
        Assert.Null(Validate($"sv=2022-11-02&ss=b&srt=o&sp=r&st=2025-06-01&se=2025-06-02&sig={Sig}").Severity);

    [Fact]
    public void ShortAccountSas_WithList_IsCritical() =>
        Assert.Equal(Severity.Critical, Validate($"sv=2022-11-02&ss=b&srt=c&sp=rl&st=2025-06-01&se=2025-06-02&sig={Sig}").Severity);

    [Fact]
    public void SasWithoutExpiry_IsCritical()
    {
        var outcome = Validate($"sv=2022-11-02&sr=c&si=readers&sig={Sig}");
        Assert.Equal(Severity.Critical, outcome.Severity);
        Assert.Contains("no expiry", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpiredSas_IsLoweredToMedium()
    {
        var outcome = Validate($"sv=2020-08-04&sr=b&sp=r&st=2021-03-01T10%3A00%3A00Z&se=2021-03-02T10%3A00%3A00Z&sig={Sig}");
        Assert.Equal(Severity.Medium, outcome.Severity);
        Assert.Contains("already expired", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void LifetimeBeyondSetting_IsCritical()
    {
        var outcome = Validate($"sv=2022-11-02&sr=b&sp=r&st=2025-06-01&se=2025-08-01&sig={Sig}");
        Assert.Equal(Severity.Critical, outcome.Severity);
    }

    [Fact]
    public void SasWithoutStart_MeasuresLifetimeFromNow()
    {
        var outcome = Validate($"sv=2022-11-02&sr=b&sp=r&se=2025-06-11&sig={Sig}");
        Assert.Null(outcome.Severity);
        Assert.Equal("10", outcome.Properties!["sas.lifetimeDays"]);
    }

    [Fact]
    public void XmlEscapedAmpersands_AreUnderstood() =>
        Assert.True(Validate($"sv=2022-11-02&amp;sr=b&amp;sp=r&amp;se=2099-01-01&amp;sig={Sig}").Accept);

    [Theory]
    [InlineData("sr=b&sp=r&se=2099-01-01&sig=")]
    [InlineData("sv=2022-11-02&sr=b&sp=r&se=2099-01-01")]
    [InlineData("sv=2022-11-02&sr=b&sp=r&se=2099-01-01&sig=c2hvcnQ%3D")]
    [InlineData("sv=2022-11-02&sr=b&sp=r&se=tomorrow&sig=")]
    [InlineData("sv=latest&sr=b&sp=r&se=2099-01-01&sig=")]
    [InlineData("sv=2022-11-02&sr=b&sp=qz&se=2099-01-01&sig=")]
    public void MissingVersionOrBadSignature_IsRejected(string query) =>
        Assert.False(Validate(query.EndsWith("sig=", StringComparison.Ordinal) ? query + Sig : query).Accept);

    [Fact]
    public void Detail_NeverContainsTheSignature()
    {
        var outcome = Validate($"sv=2022-11-02&sr=b&sp=r&se=2099-01-01&sig={Sig}");
        Assert.DoesNotContain(Uri.UnescapeDataString(Sig), outcome.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(outcome.Properties!.Values, v => v.Contains(Uri.UnescapeDataString(Sig), StringComparison.Ordinal));
    }

    private ValidationOutcome Validate(string secret) => _validator.Validate(Candidates.For(secret, settings: _settings));
}
