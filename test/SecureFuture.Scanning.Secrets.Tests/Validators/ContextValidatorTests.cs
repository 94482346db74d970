using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

public sealed class ContextValidatorTests
{
    private const string ServiceAccount = "{ \"type\": \"service_account\", \"private_key\": \"...\" }";

    [Fact]
    public void ContextContains_WhenFileHasText_IgnoringCase_Accepts() =>
        Assert.True(new ContextContainsValidator().Validate(Candidates.For("k", "SERVICE_ACCOUNT", fileText: ServiceAccount)).Accept);

    [Fact]
    public void ContextContains_WhenFileLacksText_Rejects() =>
        Assert.False(new ContextContainsValidator().Validate(Candidates.For("k", "service_account", fileText: "{ \"type\": \"user\" }")).Accept);

    [Fact]
    public void NotContextContains_WhenFileHasText_Rejects() =>
        Assert.False(new NotContextContainsValidator().Validate(Candidates.For("k", "service_account", fileText: ServiceAccount)).Accept);

    [Fact]
    public void NotContextContains_WhenFileLacksText_Accepts() =>
        Assert.True(new NotContextContainsValidator().Validate(Candidates.For("k", "service_account", fileText: "{}")).Accept);

    [Fact]
    public void EmptyArgument_IsReportedAtLoadTime()
    {
        Assert.NotNull(new ContextContainsValidator().CheckArgument(" "));
        Assert.NotNull(new NotContextContainsValidator().CheckArgument(null));
    }
}
