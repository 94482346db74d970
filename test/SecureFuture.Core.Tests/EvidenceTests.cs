namespace SecureFuture.Core.Tests;

public sealed class EvidenceTests
{
    [Theory]
    [InlineData("q9Zr4TmXw2Lp8VnB6Ks1")]
    [InlineData("hunter2hunter2")]
    [InlineData("abc")]
    public void MaskedEvidence_ShowsAtMostAQuarterOfTheSecret(string secret)
    {
        var evidence = MaskedEvidence.FromSecret(secret);
        Assert.True(evidence.Prefix.Length <= Math.Min(MaskedEvidence.MaxPrefixLength, secret.Length / 4));
        Assert.Equal(secret.Length, evidence.Length);
        Assert.DoesNotContain(secret, evidence.ToString(), StringComparison.Ordinal);
        Assert.Equal(8, evidence.HashPrefix.Length);
    }

    [Fact]
    public void MaskedEvidence_PrefixSkipsLeadingWhitespaceAndStopsAtLineBreaks()
    {
        var evidence = MaskedEvidence.FromSecret("\nMIGHAgEAMBMGByqGSM49AgEGCCqG\nSM49AwEHBG0wawIBAQQg");
        Assert.Equal("MIGH", evidence.Prefix);
        Assert.Equal("AB", MaskedEvidence.FromSecret("AB\nCDEFGHIJKLMNOP").Prefix);
    }

    [Fact]
    public void Severity_MapsToGitHubSecuritySeverity()
    {
        Assert.Equal("9.5", Severity.Critical.ToSecuritySeverity());
        Assert.Equal("8.0", Severity.High.ToSecuritySeverity());
        Assert.Equal("5.5", Severity.Medium.ToSecuritySeverity());
        Assert.Equal("2.0", Severity.Low.ToSecuritySeverity());
        Assert.Equal("0.0", Severity.Note.ToSecuritySeverity());
    }
}
