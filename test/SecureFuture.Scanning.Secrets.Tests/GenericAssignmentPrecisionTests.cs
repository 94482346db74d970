using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// The generic assignment rules (client secret, password, secret/token, API key) on the shapes that filled a scan of
/// a large OAuth library with false alarms, and on the true positives of the same shape that must still be found.
/// Every snippet goes through the real analyzer with the whole catalogue, as a scan would.
/// </summary>
public sealed class GenericAssignmentPrecisionTests
{
    private static readonly string[] GenericRules = ["SFI-SEC-016", "SFI-SEC-108", "SFI-SEC-109", "SFI-SEC-110"];

    private static List<Detection> Generic(string text, string path) =>
        [.. RuleExampleTests.Scan(text, path).Where(d => GenericRules.Contains(d.RuleId))];

    [Theory]
    // Constants whose names contain a keyword and whose values name the thing.
    [InlineData("src/Auth/Properties.cs", "    public const string BackchannelAccessTokenPrincipal = \".backchannel_access_token_principal\";")]
    [InlineData("src/Auth/GrantTypes.cs", "        public const string Password = \"gt:password\";")]
    [InlineData("src/Auth/GrantTypes.cs", "        public const string TokenExchangeGrant = \"urn:ietf:params:oauth:grant-type:token-exchange\";")]
    [InlineData("src/Auth/Errors.cs", "    public const string PopTokenNotSupported = \"pop_token_not_supported_by_endpoint_v2\";")]
    [InlineData("src/Lab/PublicAPI.Shipped.txt", "const Contoso.Lab.VaultSecrets.ConfidentialClientSecret = \"Lab-App-Confidential-Client\" -> string")]
    [InlineData("src/Lab/PublicAPI.Shipped.txt", "const Contoso.Lab.VaultSecrets.UserB2C = \"LAB-USER-B2C-JSON\" -> string")]
    // Assignments of expressions that are not literals.
    [InlineData("src/Auth/ClientHandlers.cs", "        context.TokenRequest.ClientSecret = context.Registration.ClientSecret;")]
    [InlineData("src/Auth/ClientHandlers.cs", "        request.ClientSecret = request.ClientAssertionValue1;")]
    [InlineData("src/Auth/Options.cs", "            AllowedAccessTokenSigningAlgorithms = resourceAlgorithms1")]
    [InlineData("src/app/settings.py", "SIGNING_KEY = signing_key_from_vault2")]
    // Class declarations read as key: value.
    [InlineData("src/Auth/ServerHandlers.cs", "    public sealed class ValidateClientSecret : IServerHandler<AuthenticateContext>")]
    [InlineData("src/Auth/Responses.cs", "internal class BrokerTokenResponse : IOAuth2ResponseBase")]
    // RFC 6749 example values.
    [InlineData("test/Auth.Tests/Introspection.cs", "                Token = \"2YotnFZFEjr1zCsicMWpAA\",")]
    [InlineData("test/Auth.Tests/Introspection.cs", "                ClientSecret = \"7Fjfp0ZBr1KtDRbnfVdmIw\",")]
    [InlineData("docs/revocation.rst", "    token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token")]
    // Assembly-qualified type names with PublicKeyToken= in .resx and web.config.
    [InlineData("src/Ui/Resources.resx", "    <value>System.Resources.ResXResourceWriter, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value>")]
    [InlineData("web.config", "        <assemblyIdentity name=\"System.Web.Helpers\" publicKeyToken=\"31bf3856ad364e35\" />")]
    [InlineData("web.config", "    <section name=\"data\" type=\"Contoso.Data.ConfigSection, Contoso.Data, Version=6.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089\" />")]
    // PowerShell that assigns a command's result, in a script or embedded in a pipeline file.
    [InlineData("eng/steps/telemetry.yml", "      $jobToken = Invoke-RestMethod -Uri \"$endpoint/job\" -Method Post -ContentType \"application/json\"")]
    [InlineData("build/get-token.ps1", "$accessToken = Get-AzAccessToken -ResourceUrl $resource")]
    [InlineData("build/publish.psm1", "@{ 'Username'='deploy'; 'Password'=\"$env:PublishPassword\" }")]
    // Prose or an edit command that quotes settings: the "value" runs on into another key (a Debian changelog).
    [InlineData("changelog", "\t* README: s#password: cvs#password: [empty password]#")]
    public void FalsePositiveShapes_AreNotReported(string path, string line) =>
        Assert.Empty(Generic(line, path).Select(d => $"{d.RuleId} {d.Severity}: {d.Secret}"));

    [Theory]
    [InlineData("src/Reports/Database.cs", "    private const string ReportingPassword = \"t7#Vq9!mRz2L\";", "SFI-SEC-108")]
    [InlineData("src/Portal/Startup.cs", "            ClientSecret = \"Qm7vT2xLpN4rZ8wK1bYc\",", "SFI-SEC-016")]
    [InlineData("src/Hooks/Signature.cs", "    private static readonly string SigningSecret = \"v9Jq2LxT7mRb4NcW8zKp3YhF\";", "SFI-SEC-109")]
    [InlineData("app/config.py", "API_KEY = 'f3a9c1d7e5b2048a6c9e1f3b7d5a2c4e'", "SFI-SEC-110")]
    [InlineData("deploy/run.ps1", "$dbPassword = 'Wq4!zR8#mTp2'", "SFI-SEC-108")]
    [InlineData("config/app.yaml", "  client_secret: Zr8kQ2mV5xT9wB3nL7pC", "SFI-SEC-016")]
    [InlineData(".env", "SESSION_TOKEN=p8Lw2Qz7Rk4Tn9Vb3Xc6", "SFI-SEC-109")]
    [InlineData(".env", "SESSION_TOKEN=p8Lw2Qz7Rk4Tn9VbPwd=", "SFI-SEC-109")]
    public void RealLookingLiteralSecrets_AreStillHigh(string path, string line, string rule)
    {
        var found = Assert.Single(Generic(line, path));
        Assert.Equal(rule, found.RuleId);
        Assert.Equal(Severity.High, found.Severity);
    }

    [Theory]
    [InlineData("deploy/values.yaml", "  password: \"bluemonkeytrain\"")]
    [InlineData("docs/setup.md", "    client_secret=Qm7vT2xLpN4rZ8wK1bYc")]
    [InlineData("src/Portal/Startup.cs", "            ClientSecret = \"sunflowerkittens\",")]
    public void LiteralsThatDoNotLookLikeCredentials_AreMediumNotHigh(string path, string line)
    {
        var found = Assert.Single(Generic(line, path));
        Assert.Equal(Severity.Medium, found.Severity);
    }

    /// <summary>Every generic assignment rule: the rules that read a credential-named key assigned a value.</summary>
    public static TheoryData<string, string> GenericAssignmentKeywords()
    {
        var data = new TheoryData<string, string>();
        foreach (var rule in SecretRuleCatalog.Default.Rules.Where(r => r.Generic && r.Validators.Any(v => v.Validator is Scanning.Secrets.Validators.LiteralAssignmentValidator)))
        {
            foreach (var keyword in rule.Keywords)
            {
                data.Add(rule.Id, keyword);
            }
        }

        return data;
    }

    [Fact]
    public void GenericAssignmentRules_AreTheFourKnownOnes()
    {
        // The file-name check below covers every generic assignment rule; a new one must use literalAssignment too.
        var ids = GenericAssignmentKeywords().Select(row => (string)row[0]).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(GenericRules, ids);
    }

    [Theory]
    [MemberData(nameof(GenericAssignmentKeywords))]
    public void FileNameFollowedByColon_IsNotAKey_ForEveryGenericAssignmentRule(string rule, string keyword)
    {
        // A changelog or file list names files as "path: what changed"; the same key with a real-looking value in a
        // configuration file is still reported by the same rule, so only the file name makes the difference.
        const string Value = "Qm7vT2xLpN4rZ8wK1bYc";
        foreach (var name in (string[])[$"src/{keyword}.c", $"man/{keyword}.1", $"man/{keyword}.1.xml", $"docs/{keyword}_store.md"])
        {
            Assert.DoesNotContain(Generic($"\t* {name}: {Value}", "ChangeLog"), d => d.RuleId == rule);
        }

        Assert.Contains(Generic($"{keyword}: {Value}", "config/app.yaml"), d => d.RuleId == rule);
    }

    [Theory]
    // A dotted key assigned with '=' or ':' is a setting, whatever its last part.
    [InlineData("config/application.properties", "spring.datasource.password=t7#Vq9!mRz2L", "SFI-SEC-108")]
    [InlineData("config/app.yaml", "  app.secret.key: v9Jq2LxT7mRb4NcW8zKp3YhF", "SFI-SEC-109")]
    [InlineData("config/users.properties", "db.password.1=t7#Vq9!mRz2L", "SFI-SEC-108")]
    public void DottedSettingKeys_AreStillKeys(string path, string line, string rule) =>
        Assert.Contains(Generic(line, path), d => d.RuleId == rule);
}
