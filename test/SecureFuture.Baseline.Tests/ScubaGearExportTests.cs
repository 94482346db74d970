namespace SecureFuture.Baseline.Tests;

/// <summary>
/// What each section of a ScubaGear export means when it is there, when part of it is missing, and when it is not
/// there at all: a missing section is unknown, a section that is there decides, and nothing missing is a pass.
/// The shapes are those of ScubaGear 1.8's ProviderSettingsExport.json (RealData/ScubaGear).
/// </summary>
public sealed class ScubaGearExportTests
{
    private const string GlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10";
    private const string UserAdministrator = "fe930be7-5e62-47db-91af-98c3a49a38b1";

    private static string Export(params (string Section, string Json)[] sections) =>
        "{\"baseline_version\":\"1\",\"module_version\":\"1.8.0\",\"aad_unsuccessful_commands\":[]"
        + string.Concat(sections.Select(s => $",\"{s.Section}\":{s.Json}")) + "}";

    private static List<ControlResult> Assess(string json, string control) =>
        [.. TestSupport.Assess(TestSupport.FromJson(json, "ProviderSettingsExport.json"), controls: control).Results];

    private static ControlStatus Verdict(string json, string control) => ScubaGearSampleTests.Overall(Assess(json, control));

    private static string Role(string name, string id, string? assignments = "[]", string? rules = "[]") =>
        "{\"DisplayName\":\"" + name + "\",\"RoleTemplateId\":\"" + id + "\""
        + (assignments is null ? string.Empty : ",\"Assignments\":" + assignments)
        + (rules is null ? string.Empty : ",\"Rules\":" + rules) + "}";

    private static string Approval(bool required, string source = "Global Administrator", string sourceType = "Directory Role") =>
        "{\"Id\":\"Approval_EndUser_Assignment\",\"Setting\":{\"IsApprovalRequired\":" + (required ? "true" : "false") + "},\"RuleSource\":\"" + source + "\",\"RuleSourceType\":\"" + sourceType + "\"}";

    private static string Notification(string id, bool defaults, string recipients = "[]") =>
        "{\"Id\":\"" + id + "\",\"NotificationType\":\"Email\",\"IsDefaultRecipientsEnabled\":" + (defaults ? "true" : "false") + ",\"NotificationRecipients\":" + recipients + ",\"RuleSource\":\"Global Administrator\",\"RuleSourceType\":\"Directory Role\"}";

    private static string AllNotifications(bool defaults) => string.Join(",",
        new[] { "Notification_Admin_Admin_Assignment", "Notification_Admin_Admin_Eligibility", "Notification_Admin_EndUser_Assignment" }.Select(id => Notification(id, defaults)));

    private static string Assignment(string principal, string? end) =>
        "{\"PrincipalId\":\"" + principal + "\",\"AssignmentType\":\"Assigned\",\"MemberType\":\"Direct\",\"RoleDefinitionId\":\"" + GlobalAdministrator + "\",\"EndDateTime\":" + (end is null ? "null" : $"\"{end}\"") + "}";

    private static string AuthMethods(string configurations, string policy = "{\"Id\":\"authenticationMethodsPolicy\",\"PolicyMigrationState\":\"migrationComplete\"}") =>
        "[{\"authentication_method_policy\":" + policy + (configurations.Length == 0 ? string.Empty : ",\"authentication_method_feature_settings\":" + configurations) + "}]";

    private static string Method(string id, string state) => "{\"Id\":\"" + id + "\",\"State\":\"" + state + "\"}";

    private static string Authenticator(string appState, string target = "all_users") =>
        "{\"Id\":\"MicrosoftAuthenticator\",\"State\":\"enabled\",\"FeatureSettings\":{"
        + "\"DisplayAppInformationRequiredState\":{\"State\":\"" + appState + "\",\"IncludeTarget\":{\"Id\":\"" + target + "\",\"TargetType\":\"group\"}},"
        + "\"DisplayLocationInformationRequiredState\":{\"State\":\"enabled\",\"IncludeTarget\":{\"Id\":\"" + target + "\",\"TargetType\":\"group\"}}}}";

    [Theory]
    [InlineData("PRV-01"), InlineData("PRV-02"), InlineData("PRV-03"), InlineData("PRV-04"), InlineData("PRV-05"), InlineData("PRV-07")]
    [InlineData("IDN-05"), InlineData("IDN-06"), InlineData("IDN-07")]
    public void AnExportWithoutTheSection_IsUnknown(string control)
    {
        var json = Export(("authorization_policies", "[{\"Id\":\"authorizationPolicy\"}]"));
        Assert.Equal(ControlStatus.Unknown, Verdict(json, control));
    }

    [Theory]
    [InlineData("PRV-03", "privileged_roles", "[]", "Get-PrivilegedRole")]
    [InlineData("PRV-04", "privileged_roles", "[]", "Get-PrivilegedRole")]
    [InlineData("PRV-01", "privileged_users", "[]", "Get-PrivilegedUser")]
    [InlineData("IDN-05", "authentication_method", "[]", "Get-MgBetaPolicyAuthenticationMethodPolicy")]
    public void ASectionWhoseCommandFailed_IsUnknown_NotAnEmptyTenant(string control, string section, string empty, string command)
    {
        // ScubaGear writes an empty section when the command that fills it fails, and names the command.
        var json = Export((section, empty)).Replace("\"aad_unsuccessful_commands\":[]", $"\"aad_unsuccessful_commands\":[\"{command}\"]", StringComparison.Ordinal);
        Assert.Equal(ControlStatus.Unknown, Verdict(json, control));
    }

    [Fact]
    public void Prv01_NoPrivilegedUsers_InAnExportThatReadThem_Fails()
    {
        Assert.Equal(ControlStatus.Fail, Verdict(Export(("privileged_users", "{}")), "PRV-01"));
    }

    [Fact]
    public void Prv01_CountsGlobalAdministratorsOfPrivilegedUsers()
    {
        static string Users(int admins) => "{" + string.Join(",", Enumerable.Range(1, admins).Select(i =>
            $"\"u{i}\":{{\"DisplayName\":\"Admin {i}\",\"roles\":[\"Global Administrator\"],\"OnPremisesImmutableId\":null}}")) + "}";
        Assert.Equal(ControlStatus.Fail, Verdict(Export(("privileged_users", Users(1))), "PRV-01"));
        Assert.Equal(ControlStatus.Pass, Verdict(Export(("privileged_users", Users(3))), "PRV-01"));
        Assert.Equal(ControlStatus.Fail, Verdict(Export(("privileged_users", Users(9))), "PRV-01"));
    }

    [Theory]
    [InlineData("\"OnPremisesImmutableId\":null", ControlStatus.Pass)]
    [InlineData("\"OnPremisesImmutableId\":\"q2Fh3k1PqUeXx6bC1m0T2w==\"", ControlStatus.Fail)]
    [InlineData("\"Note\":\"no sync property exported\"", ControlStatus.Unknown)]
    public void Prv02_ReadsOnPremisesImmutableId_AndAMissingOneIsUnknown(string property, ControlStatus expected)
    {
        var json = Export(("privileged_users", "{\"u1\":{\"DisplayName\":\"Ada\",\"roles\":[\"Global Administrator\"]," + property + "}}"));
        var results = Assess(json, "PRV-02");
        Assert.Equal(expected, ScubaGearSampleTests.Overall(results));
        Assert.Equal("Ada", Assert.Single(results).Resource.Name);
    }

    [Fact]
    public void Prv02_AGraphUserWithoutAnySyncProperty_IsUnknown_NotCloudOnly()
    {
        // GET /users without $select returns neither property: nothing says the admin is cloud-only.
        var assignments = "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignments\",\"value\":["
            + "{\"id\":\"a1\",\"principalId\":\"u1\",\"roleDefinitionId\":\"" + GlobalAdministrator + "\",\"directoryScopeId\":\"/\"}]}";
        var users = "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#users\",\"value\":[{\"id\":\"u1\",\"userPrincipalName\":\"ada@contoso.example\",\"userType\":\"Member\"}]}";
        var snapshot = new TenantSnapshot
        {
            Resources = [.. TestSupport.FromJson(assignments, "roleAssignments.json").Resources, .. TestSupport.FromJson(users, "users.json").Resources],
            Files = [.. TestSupport.FromJson(assignments, "roleAssignments.json").Files, .. TestSupport.FromJson(users, "users.json").Files],
        };
        var result = Assert.Single(TestSupport.Assess(snapshot, controls: "PRV-02").Results);
        Assert.Equal(ControlStatus.Unknown, result.Status);
    }

    [Fact]
    public void PrivilegedServicePrincipals_AreNotUsers_ForPrv02AndPrv07()
    {
        var json = Export(
            ("privileged_users", "{\"u1\":{\"DisplayName\":\"Ada\",\"roles\":[\"Global Administrator\"],\"OnPremisesImmutableId\":null},"
                + "\"u2\":{\"DisplayName\":\"Bob\",\"roles\":[\"User Administrator\"],\"OnPremisesImmutableId\":null}}"),
            ("privileged_service_principals", "{\"s1\":{\"AppId\":\"a1\",\"ServicePrincipalId\":\"s1\",\"DisplayName\":\"Sync app\",\"roles\":[\"Exchange Administrator\"]},"
                + "\"s2\":{\"AppId\":\"a2\",\"ServicePrincipalId\":\"s2\",\"DisplayName\":\"Mail app\",\"roles\":[\"Exchange Administrator\"]}}"));
        var prv02 = Assess(json, "PRV-02");
        Assert.Equal(ControlStatus.NotApplicable, Assert.Single(prv02, r => r.Resource.Id == "s1").Status);
        Assert.Equal(ControlStatus.Pass, Assert.Single(prv02, r => r.Resource.Id == "u1").Status);

        // One of two privileged users is a Global Administrator (50 %): the two apps do not dilute it to 25 %.
        var prv07 = Assert.Single(Assess(json, "PRV-07"));
        Assert.Equal(ControlStatus.Pass, prv07.Status);
        Assert.Contains("1 of 2 privileged users", prv07.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Prv07_AGlobalAdministratorWithManyRoles_IsStillOneGlobalAdministrator()
    {
        // Two of three privileged users are Global Administrators (SCuBA MS.AAD.7.2 fails this); counting assignments
        // instead (2 of 9) would have passed it.
        var json = Export(("privileged_users", "{"
            + "\"u1\":{\"DisplayName\":\"Ada\",\"roles\":[\"Global Administrator\",\"User Administrator\",\"Exchange Administrator\",\"SharePoint Administrator\",\"Application Administrator\",\"Cloud Application Administrator\"]},"
            + "\"u2\":{\"DisplayName\":\"Bob\",\"roles\":[\"Global Administrator\",\"Exchange Administrator\"]},"
            + "\"u3\":{\"DisplayName\":\"Cy\",\"roles\":[\"SharePoint Administrator\"]}}"));
        Assert.Equal(ControlStatus.Fail, Verdict(json, "PRV-07"));
    }

    [Theory]
    [InlineData(null, ControlStatus.Fail)]
    [InlineData("2026-07-01T00:00:00Z", ControlStatus.Pass)]
    public void Prv03_ReadsTheActiveAssignmentsOfPrivilegedRoles(string? end, ControlStatus expected)
    {
        var json = Export(("privileged_roles", "[" + Role("Global Administrator", GlobalAdministrator, "[" + Assignment("p1", end) + "]") + "]"));
        Assert.Equal(expected, Verdict(json, "PRV-03"));
    }

    [Fact]
    public void Prv03_ARoleWithNoActiveAssignment_HasNothingPermanent_ButARoleWithoutAssignmentData_IsUnknown()
    {
        Assert.Equal(ControlStatus.NotApplicable, Verdict(Export(("privileged_roles", "[" + Role("Global Administrator", GlobalAdministrator) + "]")), "PRV-03"));
        Assert.Equal(ControlStatus.Unknown, Verdict(Export(("privileged_roles", "[" + Role("Global Administrator", GlobalAdministrator, assignments: null, rules: null) + "]")), "PRV-03"));
    }

    [Theory]
    [InlineData(true, ControlStatus.Pass)]
    [InlineData(false, ControlStatus.Fail)]
    public void Prv04_ReadsTheApprovalRuleOfGlobalAdministrator(bool required, ControlStatus expected)
    {
        var json = Export(("privileged_roles", "[" + Role("Global Administrator", GlobalAdministrator, rules: "[" + Approval(required) + "]") + "]"));
        Assert.Equal(expected, Verdict(json, "PRV-04"));
    }

    [Fact]
    public void Prv04_AndPrv05_ARoleWithNoPimPolicy_IsNotConfigured_AndFails()
    {
        // Without an Entra ID P2 licence ScubaGear exports the roles without PIM rules: no approval, no alerts.
        var json = Export(("privileged_roles", "[" + Role("Global Administrator", GlobalAdministrator, assignments: null, rules: null) + "]"));
        var prv04 = Assert.Single(Assess(json, "PRV-04"));
        Assert.Equal(ControlStatus.Fail, prv04.Status);
        Assert.Contains("no approval rule", prv04.Evidence, StringComparison.Ordinal);
        Assert.Equal(ControlStatus.Fail, Verdict(json, "PRV-05"));
    }

    [Fact]
    public void Prv04_APimGroupThatGrantsGlobalAdministrator_WithoutApproval_Fails()
    {
        var rules = "[" + Approval(true) + "," + Approval(false, "Tier 0 admins", "PIM Group") + "]";
        var results = Assess(Export(("privileged_roles", "[" + Role("Global Administrator", GlobalAdministrator, rules: rules) + "]")), "PRV-04");
        Assert.Equal(ControlStatus.Pass, Assert.Single(results, r => r.Resource.Name == "Global Administrator (Directory Role)").Status);
        var group = Assert.Single(results, r => r.Resource.Name == "Tier 0 admins (PIM Group)");
        Assert.Equal(ControlStatus.Fail, group.Status);
        Assert.NotNull(group.Remediation);
        Assert.DoesNotContain("/?/", group.Remediation!.Url ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, ControlStatus.Pass)]
    [InlineData(false, ControlStatus.Fail)]
    public void Prv05_ReadsTheNotificationRules(bool defaults, ControlStatus expected)
    {
        var roles = "[" + Role("Global Administrator", GlobalAdministrator, rules: "[" + AllNotifications(defaults) + "]") + ","
            + Role("User Administrator", UserAdministrator, rules: "[" + AllNotifications(true).Replace("Global Administrator", "User Administrator", StringComparison.Ordinal) + "]") + "]";
        Assert.Equal(expected, Verdict(Export(("privileged_roles", roles)), "PRV-05"));
    }

    [Fact]
    public void Idn05_ReadsTheMethodConfigurations_AndAMethodThePolicyDoesNotHold_IsNotDisabled()
    {
        var disabled = "[" + Method("Sms", "disabled") + "," + Method("Voice", "disabled") + "," + Method("Email", "disabled") + "]";
        Assert.Equal(ControlStatus.Pass, Verdict(Export(("authentication_method", AuthMethods(disabled))), "IDN-05"));
        Assert.Equal(ControlStatus.Fail, Verdict(Export(("authentication_method", AuthMethods("[" + Method("Sms", "enabled") + "," + Method("Voice", "disabled") + "," + Method("Email", "disabled") + "]"))), "IDN-05"));
        var noEmail = Assert.Single(Assess(Export(("authentication_method", AuthMethods("[" + Method("Sms", "disabled") + "," + Method("Voice", "disabled") + "]"))), "IDN-05"));
        Assert.Equal(ControlStatus.Fail, noEmail.Status);
        Assert.Contains("Email (not in the policy)", noEmail.Evidence, StringComparison.Ordinal);
        // The wrapper without its method list says nothing about the methods.
        Assert.Equal(ControlStatus.Unknown, Verdict(Export(("authentication_method", AuthMethods(string.Empty))), "IDN-05"));
    }

    [Theory]
    [InlineData("migrationComplete", ControlStatus.Pass)]
    [InlineData("migrationInProgress", ControlStatus.Fail)]
    public void Idn06_ReadsThePolicyInsideTheWrapper(string state, ControlStatus expected)
    {
        var json = Export(("authentication_method", AuthMethods("[]", "{\"Id\":\"authenticationMethodsPolicy\",\"PolicyMigrationState\":\"" + state + "\"}")));
        Assert.Equal(expected, Verdict(json, "IDN-06"));
    }

    [Fact]
    public void Idn06_ReadsThePolicyOfScubaGearBefore13_WhichWroteItUnwrapped()
    {
        // ScubaGear wrote GET /policies/authenticationMethodsPolicy itself until the MS.AAD.3.3 change (2024-04).
        var json = Export(("authentication_method", "[{\"Id\":\"authenticationMethodsPolicy\",\"PolicyMigrationState\":\"preMigration\"}]"));
        Assert.Equal(ControlStatus.Fail, Verdict(json, "IDN-06"));
    }

    [Theory]
    [InlineData("enabled", "all_users", ControlStatus.Pass)]
    [InlineData("default", "all_users", ControlStatus.Fail)]
    [InlineData("enabled", "9d6c1b1e-4a4b-4f9e-9d3c-1b2a3c4d5e6f", ControlStatus.Fail)]
    public void Idn07_WantsAppAndLocationShownToAllUsers(string appState, string target, ControlStatus expected)
    {
        var json = Export(("authentication_method", AuthMethods("[" + Authenticator(appState, target) + "]")));
        Assert.Equal(expected, Verdict(json, "IDN-07"));
    }

    [Fact]
    public void Idn07_APolicyWithoutAnAuthenticatorConfiguration_Fails()
    {
        Assert.Equal(ControlStatus.Fail, Verdict(Export(("authentication_method", AuthMethods("[" + Method("Sms", "disabled") + "]"))), "IDN-07"));
    }

    [Fact]
    public void PrivilegedRoleSections_KeepTheirLineForFindings()
    {
        var json = Export(("privileged_roles", "[\n" + Role("Global Administrator", GlobalAdministrator, rules: "[" + Approval(false) + "]") + "]"));
        var result = Assert.Single(Assess(json, "PRV-04"));
        Assert.Equal(2, result.Resource.Source!.Line);
        Assert.Equal("ProviderSettingsExport.json", result.Resource.Source.Path);
    }
}
