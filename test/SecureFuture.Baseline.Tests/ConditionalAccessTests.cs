namespace SecureFuture.Baseline.Tests;

/// <summary>The whole set of CA policies, evaluated as Entra applies them.</summary>
public sealed class ConditionalAccessTests
{
    private const string BreakGlass = "00000000-0000-0000-0000-00000000bg01";

    private static string Policies(params string[] policies) =>
        "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies\",\"value\":[" + string.Join(",", policies) + "]}";

    private static string Mfa(string name, string state = "enabled", string excludeUsers = "", string excludeGroups = "", string operatorAndControls = "\"operator\":\"OR\",\"builtInControls\":[\"mfa\"]") =>
        "{\"id\":\"" + name + "\",\"displayName\":\"" + name + "\",\"state\":\"" + state + "\",\"conditions\":{\"clientAppTypes\":[\"all\"],"
        + "\"applications\":{\"includeApplications\":[\"All\"],\"excludeApplications\":[]},\"users\":{\"includeUsers\":[\"All\"],\"excludeUsers\":[" + excludeUsers
        + "],\"excludeGroups\":[" + excludeGroups + "],\"excludeRoles\":[]}},\"grantControls\":{" + operatorAndControls + "}}";

    private static ControlResult Idn01(string json, BaselineConfiguration? config = null) =>
        Assert.Single(TestSupport.Assess(TestSupport.FromJson(json), config, controls: ControlIds.Idn01).Results);

    private static BaselineConfiguration WithBreakGlass() => BaselineConfiguration.Default with { BreakGlassUsers = [BreakGlass] };

    [Fact]
    public void ReportOnlyAndDisabledPolicies_EnforceNothing()
    {
        var result = Idn01(Policies(Mfa("report", "enabledForReportingButNotEnforced"), Mfa("off", "disabled")));
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("\"report\": report-only", result.Evidence, StringComparison.Ordinal);
        Assert.Contains("\"off\": state disabled", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void OneEnabledPolicy_AmongOthers_IsEnough()
    {
        Assert.Equal(ControlStatus.Pass, Idn01(Policies(Mfa("report", "enabledForReportingButNotEnforced"), Mfa("on"))).Status);
    }

    [Fact]
    public void BreakGlassExclusion_IsAccepted_OnlyWhenConfigured()
    {
        var json = Policies(Mfa("mfa", excludeUsers: $"\"{BreakGlass}\""));
        Assert.Equal(ControlStatus.Fail, Idn01(json).Status);
        Assert.Equal(ControlStatus.Pass, Idn01(json, WithBreakGlass()).Status);
    }

    [Fact]
    public void OtherExclusions_MeanNotAllUsers()
    {
        var result = Idn01(Policies(Mfa("mfa", excludeUsers: $"\"{BreakGlass}\"", excludeGroups: "\"00000000-0000-0000-0000-00000000g777\"")), WithBreakGlass());
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("excludeGroups has 1 non-break-glass entry", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void MfaOrCompliantDevice_DoesNotRequireMfa()
    {
        var result = Idn01(Policies(Mfa("either", operatorAndControls: "\"operator\":\"OR\",\"builtInControls\":[\"mfa\",\"compliantDevice\"]")));
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("does not require MFA", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void NoPolicyData_IsUnknown_ButAnEmptyPolicyListIsAFailure()
    {
        var storageOnly = TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-01", "pass.arm.json"));
        Assert.Equal(ControlStatus.Unknown, Assert.Single(TestSupport.Assess(storageOnly, controls: ControlIds.Idn01).Results).Status);
        Assert.Equal(ControlStatus.Fail, Idn01(Policies()).Status);
    }

    [Fact]
    public void SecurityDefaultsDisabled_AndNoPolicies_Fails()
    {
        var result = Idn01("""{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity","id":"00000000-0000-0000-0000-000000000005","displayName":"Security Defaults","isEnabled":false}""");
        Assert.Equal(ControlStatus.Unknown, result.Status);
        Assert.Contains("security defaults are disabled", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_CarriesAGraphPolicyToCreate_InReportOnlyMode()
    {
        var result = Idn01(Policies(Mfa("report", "enabledForReportingButNotEnforced")));
        var fix = result.Remediation!;
        Assert.Equal(RemediationKind.Graph, fix.Kind);
        Assert.Equal("POST", fix.Method);
        Assert.Equal("https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies", fix.Url);
        Assert.Equal("enabledForReportingButNotEnforced", fix.Body!["state"]!.GetValue<string>());
    }

    [Fact]
    public void BreakGlassNotConfigured_Prv06IsUnknown()
    {
        var results = TestSupport.Assess(TestSupport.FromJson(Policies(Mfa("on"))), controls: ControlIds.Prv06).Results;
        Assert.All(results, r => Assert.Equal(ControlStatus.Unknown, r.Status));
    }
}
