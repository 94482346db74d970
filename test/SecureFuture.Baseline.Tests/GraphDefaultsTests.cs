using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// Graph is not ARM: it returns null for a property never set and leaves out only what the request did not select.
/// So a documented Entra default stands in for a null (<see cref="DefaultScope.GraphNull"/>), and a missing member
/// stays unknown: reading it as the default would pass a tenant whose export simply did not carry the setting.
/// </summary>
public sealed class GraphDefaultsTests
{
    public static TheoryData<int> GraphRows() =>
        [.. PropertyDefaults.All.Select((row, i) => (row, i)).Where(x => x.row.Scope == DefaultScope.GraphNull).Select(x => x.i)];

    /// <summary>GET /policies/authorizationPolicy as Graph returns it, with <paramref name="path"/> set to <paramref name="value"/> or left out.</summary>
    private static string AuthorizationPolicy(string path, JsonNode? value, bool include)
    {
        var policy = new JsonObject
        {
            ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#policies/authorizationPolicy/$entity",
            ["id"] = "authorizationPolicy",
            ["displayName"] = "Authorization Policy",
            ["allowInvitesFrom"] = "adminsAndGuestInviters",
            ["blockMsolPowerShell"] = true,
            ["guestUserRoleId"] = "2af84b1e-32c8-42b7-82bc-daa82404023b",
            ["defaultUserRolePermissions"] = new JsonObject { ["allowedToCreateApps"] = false, ["allowedToCreateTenants"] = false },
        };
        var segments = path.Split('.');
        var parent = segments[..^1].Aggregate(policy, (o, s) => (JsonObject)o[s]!);
        parent.Remove(segments[^1]);
        if (include)
        {
            parent[segments[^1]] = value;
        }

        return policy.ToJsonString();
    }

    /// <summary>ScubaGear's ProviderSettingsExport.json holds the same policy with PowerShell's PascalCase names.</summary>
    private static string Scuba(string path, bool include)
    {
        var pascal = string.Join('.', path.Split('.').Select(s => char.ToUpperInvariant(s[0]) + s[1..]));
        var policy = new JsonObject { ["Id"] = "authorizationPolicy", ["DefaultUserRolePermissions"] = new JsonObject { ["AllowedToCreateApps"] = false } };
        var segments = pascal.Split('.');
        var parent = segments[..^1].Aggregate(policy, (o, s) => (JsonObject)o[s]!);
        parent.Remove(segments[^1]);
        if (include)
        {
            parent[segments[^1]] = null;
        }

        return new JsonObject { ["baseline_version"] = "1", ["module_version"] = "1.8.0", ["aad_unsuccessful_commands"] = new JsonArray(), ["authorization_policies"] = new JsonArray(policy) }.ToJsonString();
    }

    private static TenantResource Policy(string json) => Assert.Single(TestSupport.FromJson(json, "ProviderSettingsExport.json").Resources, r => r.Type == GraphTypes.AuthorizationPolicy);

    [Theory]
    [MemberData(nameof(GraphRows))]
    public void A_null_reads_the_documented_Entra_default_and_a_missing_member_stays_unknown(int index)
    {
        var row = PropertyDefaults.All[index];
        var nulled = Field.Read(Policy(AuthorizationPolicy(row.Path, null, include: true)), row.Path);
        Assert.Equal(FieldState.Default, nulled.State);
        Assert.True(JsonNode.DeepEquals(row.Value, nulled.Node), $"{row.Path}: {nulled}");
        Assert.Contains("(null: Microsoft Entra's default)", nulled.ToString(), StringComparison.Ordinal);

        var missing = Field.Read(Policy(AuthorizationPolicy(row.Path, null, include: false)), row.Path);
        Assert.Equal(FieldState.Missing, missing.State);

        var scubaNull = Field.Read(Policy(Scuba(row.Path, include: true)), row.Path);
        Assert.Equal(FieldState.Default, scubaNull.State);
        Assert.Equal(FieldState.Missing, Field.Read(Policy(Scuba(row.Path, include: false)), row.Path).State);
    }

    [Fact]
    public void A_null_parent_object_is_not_a_null_property()
    {
        // defaultUserRolePermissions itself null: nothing says what is inside it.
        var json = AuthorizationPolicy("defaultUserRolePermissions", null, include: true);
        Assert.Equal(FieldState.Missing, Field.Read(Policy(json), "defaultUserRolePermissions.allowedToCreateApps").State);
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(json), controls: ControlIds.App07).Results);
        Assert.Equal(ControlStatus.Unknown, result.Status);
    }

    [Fact]
    public void Users_can_register_apps_when_the_setting_is_null_so_App07_fails_and_a_missing_setting_is_unknown()
    {
        const string path = "defaultUserRolePermissions.allowedToCreateApps";
        var failing = Assert.Single(TestSupport.Assess(TestSupport.FromJson(AuthorizationPolicy(path, null, include: true)), controls: ControlIds.App07).Results);
        Assert.Equal(ControlStatus.Fail, failing.Status);
        Assert.Contains($"{path} = true (null: Microsoft Entra's default)", failing.Evidence, StringComparison.Ordinal);
        Assert.NotNull(failing.Remediation);

        var unknown = Assert.Single(TestSupport.Assess(TestSupport.FromJson(AuthorizationPolicy(path, null, include: false)), controls: ControlIds.App07).Results);
        Assert.Equal(ControlStatus.Unknown, unknown.Status);
    }

    [Fact]
    public void A_null_guest_role_is_the_default_limited_access_which_Ten02_accepts_but_a_missing_one_is_not_a_pass()
    {
        var passing = Assert.Single(TestSupport.Assess(TestSupport.FromJson(AuthorizationPolicy("guestUserRoleId", null, include: true)), controls: ControlIds.Ten02).Results);
        Assert.Equal(ControlStatus.Pass, passing.Status);
        Assert.Contains("10dae51f-b6af-4016-8d66-8c2a99b929b3", passing.Evidence, StringComparison.Ordinal);

        // Missing: the export may have left out a guest role of "same as members" (a0b1b346-...); never a pass.
        var unknown = Assert.Single(TestSupport.Assess(TestSupport.FromJson(AuthorizationPolicy("guestUserRoleId", null, include: false)), controls: ControlIds.Ten02).Results);
        Assert.Equal(ControlStatus.Unknown, unknown.Status);
    }

    [Theory]
    [InlineData("allowInvitesFrom", ControlIds.Ten03)] // default differs by cloud (everyone; none in US Government)
    [InlineData("blockMsolPowerShell", ControlIds.Ten10)]
    [InlineData("defaultUserRolePermissions.allowedToCreateTenants", ControlIds.Ten01)]
    public void A_null_setting_without_a_documented_default_stays_unknown(string path, string control)
    {
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(AuthorizationPolicy(path, null, include: true)), controls: control).Results);
        Assert.Equal(ControlStatus.Unknown, result.Status);
    }
}
