namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// The SoftHSM2 configuration <c>sfi serve</c> writes into its data directory names the token directory
/// (<c>directories.tokendir = ...</c>): a directory setting is not a token, so a repository holding a data directory
/// must scan clean, while a real token in a <c>.conf</c> is still found.
/// </summary>
public sealed class ServeDataDirectoryTests
{
    /// <summary>What SoftHsmToken writes to DIR/hsm/softhsm2.conf (src/SecureFuture.Keys.Pkcs11/SoftHsmToken.cs).</summary>
    private const string SoftHsmConfig =
        "# Written by sfi serve: the SoftHSM2 token that holds this server's keys.\n"
        + "directories.tokendir = /home/dev/src/securefuture/sfi-data/hsm/tokens\n"
        + "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";

    [Theory]
    [InlineData("sfi-data/hsm/softhsm2.conf")]
    [InlineData("etc/softhsm/softhsm2.conf")]
    public void SoftHsmConfig_WithItsTokenDirectory_IsNotAFinding(string path) =>
        Assert.Empty(RuleExampleTests.Scan(SoftHsmConfig, path).Select(d => $"{d.RuleId} {d.Severity}: {d.Secret}"));

    [Fact]
    public void ATokenInAConfFile_IsStillFound()
    {
        // Made at run time (letters and digits of each kind), so that no credential-shaped literal sits in the sources.
        var token = "Vq8" + System.Security.Cryptography.RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 21);
        var found = Assert.Single(RuleExampleTests.Scan(SoftHsmConfig + $"auth_token = {token}\n", "etc/relay/relay.conf"));
        Assert.Equal("SFI-SEC-109", found.RuleId);
        Assert.Equal(Core.Severity.High, found.Severity);
        Assert.Equal(token, found.Secret);
    }
}
