using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// Credential files (a format that is a credential store: .pgpass, .netrc, .pypirc, rclone.conf, ...) through the
/// whole catalogue: a weak real password is reported and raised, a token with its own detector is reported once,
/// and every such rule follows the same contract (paths, no entropy gate, generic).
/// </summary>
public sealed class CredentialFileTests
{
    private static IEnumerable<SecretRule> CredentialFileRules =>
        SecretRuleCatalog.Default.Rules.Where(r => r.Descriptor.Tags.Contains("credential-file"));

    [Fact]
    public void CredentialFileRules_AreScopedByPath_AndKeepWeakPasswords()
    {
        Assert.True(CredentialFileRules.Count() >= 15);
        Assert.All(CredentialFileRules, r =>
        {
            Assert.NotEmpty(r.Paths);
            Assert.True(r.Generic, $"{r.Id} must yield to a specific detector on the same value");
            var names = r.Validators.Select(v => v.Validator.Name).ToList();
            Assert.Contains("notTemplate", names);
            Assert.DoesNotContain("entropy", names);
            Assert.DoesNotContain("notPlaceholder", names);
        });
    }

    [Theory]
    [InlineData(".pgpass", "db.internal:5432:*:postgres:postgres", "SFI-SEC-098")]
    [InlineData(".netrc", "machine ftp.contoso.com login backup password backup1", "SFI-SEC-097")]
    [InlineData(".pypirc", "[internal]\nrepository = https://pypi.contoso.com/simple/\nusername = ci\npassword = 123456", "SFI-SEC-293")]
    [InlineData("gradle.properties", "signing.password=secret", "SFI-SEC-303")]
    public void WeakPassword_InACredentialFile_IsReportedCritical(string path, string text, string ruleId)
    {
        var hit = Assert.Single(RuleExampleTests.Scan(text, path), d => d.RuleId == ruleId);
        Assert.Equal(Severity.Critical, hit.Severity);
        Assert.Contains("weak password", hit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeakPassword_InSourceCode_StaysUnreported()
    {
        // The same weak value assigned in code is what the generic rules' placeholder filter exists to drop.
        Assert.Empty(RuleExampleTests.Scan("db_password = \"postgres\"\n", "src/settings.py"));
    }

    [Fact]
    public void TokenWithItsOwnDetector_IsReportedOnce_ByThatDetector()
    {
        var random = "Kq7Yb2Ld9Xv4Ns1Wm8Pz3Tc6Rj0Hf5";
        var token = "ghp_" + random + GitHubChecksumValidator.Checksum(random);
        var found = RuleExampleTests.Scan($"github.com:\n- user: contoso-bot\n  oauth_token: {token}\n  protocol: https\n", ".config/hub");
        var hit = Assert.Single(found);
        Assert.Equal("SFI-SEC-045", hit.RuleId);
    }
}
