using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class NotPlaceholderValidatorTests
{
    private readonly NotPlaceholderValidator _validator = new();

    [Theory]
    [InlineData("<your-password>")]
    [InlineData("${DB_PASSWORD}")]
    [InlineData("{{ .Values.db.password }}")]
    [InlineData("%DB_PASSWORD%")]
    [InlineData("$(DbPassword)")]
    [InlineData("$DB_PASSWORD")]
    [InlineData("changeme")]
    [InlineData("example-secret-value")]
    [InlineData("your_api_key_here")]
    [InlineData("xxxxxxxxxxxx")]
    [InlineData("********")]
    [InlineData("dummy-token")]
    [InlineData("REDACTED")]
    [InlineData("aaaaaaaa")]
    [InlineData("abcabcabc")]
    [InlineData("123456789")]
    [InlineData("1234567890123456")]
    [InlineData("password")]
    [InlineData("process.env.DB_PASSWORD")]
    [InlineData("os.environ['DB_PASSWORD']")]
    [InlineData("Environment.GetEnvironmentVariable(\"PWD\")")]
    [InlineData("Configuration[\"Db:Password\"]")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db)")]
    [InlineData("abc12")]
    public void Placeholder_IsRejected(string value) =>
        Assert.False(_validator.Validate(Candidates.For(value)).Accept);

    [Theory]
    [InlineData("Tr0ub4dor&3xq")]
    [InlineData("hunter2-Kx9!")]
    [InlineData("q8Zr2LmXv7KpT4sWn9YbHc3JdF6gA1eU")]
    public void RealLookingSecret_IsAccepted(string value) =>
        Assert.True(_validator.Validate(Candidates.For(value)).Accept);

    [Fact]
    public void MinimumLengthArgument_OverridesDefault() =>
        Assert.True(_validator.Validate(Candidates.For("k9$Q", "4")).Accept);
}
