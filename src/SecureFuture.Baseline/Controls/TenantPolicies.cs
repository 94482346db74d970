using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Settings of <c>GET /policies/authorizationPolicy</c> (also ScubaGear's <c>authorization_policies</c>).</summary>
public abstract class AuthorizationPolicyControl : ResourceControl
{
    public override IReadOnlyList<string> Types { get; } = [GraphTypes.AuthorizationPolicy];

    /// <summary>PATCH the policy with <paramref name="path"/> set to <paramref name="value"/>.</summary>
    protected static Func<RemediationAction> Patch(string path, JsonNode value) =>
        () => Remedy.Graph("PATCH", "policies/authorizationPolicy", Remedy.BodyFor(path, value), $"set {path} = {value.ToJsonString()}");
}

/// <summary>APP-07.</summary>
public sealed class App07OnlyAdminsRegisterApps : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.App07;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.Bool(resource, "defaultUserRolePermissions.allowedToCreateApps", false, Patch("defaultUserRolePermissions.allowedToCreateApps", false));
}

/// <summary>APP-08: no self-consent permission grant policy assigned to users (SCuBA MS.AAD.5.2: users shall not consent, low-impact included).</summary>
public sealed class App08UserConsentRestricted : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.App08;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        const string path = "permissionGrantPolicyIdsAssignedToDefaultUserRole";
        var field = Field.Read(resource, path);
        if (!field.TryArray(out var ids, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        var selfConsent = ids.Select(Field.Text).OfType<string>().Where(i => i.StartsWith("ManagePermissionGrantsForSelf.", StringComparison.OrdinalIgnoreCase)).ToList();
        if (selfConsent.Count == 0)
        {
            return Verdict.Pass("no ManagePermissionGrantsForSelf.* policy is assigned to users", path);
        }

        var keep = new JsonArray([.. ids.Select(Field.Text).OfType<string>().Except(selfConsent).Select(i => (JsonNode)JsonValue.Create(i))]);
        return Verdict.Fail($"users may consent: {string.Join(", ", selfConsent)}", path,
            Remedy.Graph("PATCH", "policies/authorizationPolicy", new JsonObject { ["defaultUserRolePermissions"] = new JsonObject { [path] = keep } },
                "remove the ManagePermissionGrantsForSelf.* policies from the default user role", caution: "turn on the admin consent workflow (APP-09) first"));
    }
}

/// <summary>TEN-01.</summary>
public sealed class Ten01UsersCannotCreateTenants : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.Ten01;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.Bool(resource, "defaultUserRolePermissions.allowedToCreateTenants", false, Patch("defaultUserRolePermissions.allowedToCreateTenants", false));
}

/// <summary>TEN-02: guest role is "restricted" (2af84b1e-...) or "limited" (10dae51f-...), not the member role (a0b1b346-...).</summary>
public sealed class Ten02GuestDirectoryAccessRestricted : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.Ten02;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => Checks.OneOf(resource, "guestUserRoleId",
        ["2af84b1e-32c8-42b7-82bc-daa82404023b", "10dae51f-b6af-4016-8d66-8c2a99b929b3"],
        Patch("guestUserRoleId", "2af84b1e-32c8-42b7-82bc-daa82404023b"));
}

/// <summary>TEN-03.</summary>
public sealed class Ten03OnlyAdminsInviteGuests : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.Ten03;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.OneOf(resource, "allowInvitesFrom", ["adminsAndGuestInviters", "none"], Patch("allowInvitesFrom", "adminsAndGuestInviters"));
}

/// <summary>TEN-05.</summary>
public sealed class Ten05NoEmailVerifiedSelfJoin : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.Ten05;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.Bool(resource, "allowEmailVerifiedUsersToJoinOrganization", false, Patch("allowEmailVerifiedUsersToJoinOrganization", false));
}

/// <summary>TEN-06.</summary>
public sealed class Ten06UsersCannotCreateSecurityGroups : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.Ten06;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.Bool(resource, "defaultUserRolePermissions.allowedToCreateSecurityGroups", false, Patch("defaultUserRolePermissions.allowedToCreateSecurityGroups", false));
}

/// <summary>TEN-10.</summary>
public sealed class Ten10MsolPowerShellBlocked : AuthorizationPolicyControl
{
    public override string ControlId => ControlIds.Ten10;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.Bool(resource, "blockMsolPowerShell", true, Patch("blockMsolPowerShell", true));
}

/// <summary>TEN-07: the default outbound B2B collaboration is not left open to all users and all applications.</summary>
public sealed class Ten07OutboundCrossTenantAccessConfigured : ResourceControl
{
    public override string ControlId => ControlIds.Ten07;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.CrossTenantAccessDefault];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var fix = Remedy.Graph("PATCH", "policies/crossTenantAccessPolicy/default", new JsonObject
        {
            ["b2bCollaborationOutbound"] = new JsonObject
            {
                ["usersAndGroups"] = new JsonObject { ["accessType"] = "blocked", ["targets"] = new JsonArray(new JsonObject { ["target"] = "AllUsers", ["targetType"] = "user" }) },
                ["applications"] = new JsonObject { ["accessType"] = "blocked", ["targets"] = new JsonArray(new JsonObject { ["target"] = "AllApplications", ["targetType"] = "application" }) },
            },
        }, "block outbound B2B collaboration by default; allow partners with per-organisation settings",
            caution: "add partner organisations under crossTenantAccessPolicy/partners before blocking by default");
        var users = Field.Read(resource, "b2bCollaborationOutbound.usersAndGroups.accessType");
        if (!users.TryString(out var access, out var problem))
        {
            return Verdict.Unknown(problem!, users.Path);
        }

        var targets = Field.Navigate(resource.Data, "b2bCollaborationOutbound.usersAndGroups.targets") as JsonArray;
        var allUsers = targets?.OfType<JsonObject>().Any(t => string.Equals(Field.Text(t["target"]), "AllUsers", StringComparison.OrdinalIgnoreCase)) ?? false;
        if (string.Equals(access, "allowed", StringComparison.OrdinalIgnoreCase) && allUsers)
        {
            return Verdict.Fail("b2bCollaborationOutbound allows all users (the service default)", users.Path, fix);
        }

        return Verdict.Pass($"b2bCollaborationOutbound.usersAndGroups.accessType = {access}{(allUsers ? " for all users" : " for selected users")}", users.Path);
    }
}

/// <summary>APP-09: the "Consent Policy Settings" directory setting has EnableAdminConsentRequests = "true".</summary>
public sealed class App09AdminConsentWorkflow : IControlEvaluator
{
    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.App09];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.DirectorySetting];

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Snapshot.OfType(GraphTypes.DirectorySetting).ToList();
        if (settings.Count == 0)
        {
            yield return ResourceControl.Absent(ControlIds.App09, [GraphTypes.DirectorySetting], context) with { Status = ControlStatus.Unknown };
            yield break;
        }

        foreach (var setting in settings)
        {
            if (Field.Navigate(setting.Data, "values") is not JsonArray values)
            {
                continue;
            }

            var entry = values.OfType<JsonObject>().FirstOrDefault(v => string.Equals(Field.Text(v["name"]), "EnableAdminConsentRequests", StringComparison.OrdinalIgnoreCase));
            if (entry is null)
            {
                continue;
            }

            // Directory settings carry every value as a string.
            var on = string.Equals(Field.Text(entry["value"]), "true", StringComparison.OrdinalIgnoreCase);
            yield return new ControlResult
            {
                ControlId = ControlIds.App09,
                Status = on ? ControlStatus.Pass : ControlStatus.Fail,
                Resource = ResourceRef.Of(setting),
                Evidence = $"EnableAdminConsentRequests = \"{Field.Text(entry["value"]) ?? entry["value"]?.ToJsonString()}\"",
                Remediation = on ? null : Remedy.Graph("PATCH", "policies/adminConsentRequestPolicy",
                    new JsonObject { ["isEnabled"] = true, ["notifyReviewers"] = true, ["remindersEnabled"] = true, ["requestDurationInDays"] = 30, ["reviewers"] = new JsonArray() },
                    "turn on the admin consent workflow and name reviewers", caution: "fill in reviewers (users, groups or roles) before sending"),
            };
            yield break;
        }

        yield return new ControlResult
        {
            ControlId = ControlIds.App09,
            Status = ControlStatus.Fail,
            Resource = ResourceRef.Tenant(settings[0].Source),
            Evidence = "no directory setting has EnableAdminConsentRequests: the admin consent workflow is off (the default)",
            Remediation = Remedy.Graph("PATCH", "policies/adminConsentRequestPolicy", new JsonObject { ["isEnabled"] = true, ["reviewers"] = new JsonArray() },
                "turn on the admin consent workflow and name reviewers"),
        };
    }
}

/// <summary>The authentication methods policy (IDN-05..07).</summary>
public abstract class AuthMethodsControl : ResourceControl
{
    public override IReadOnlyList<string> Types { get; } = [GraphTypes.AuthenticationMethodsPolicy];

    internal static JsonObject? Method(TenantResource policy, string id) =>
        (Field.Navigate(policy.Data, "authenticationMethodConfigurations") as JsonArray)?.OfType<JsonObject>()
        .FirstOrDefault(m => string.Equals(Field.Text(m["id"]), id, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// IDN-05: SMS, Voice and Email OTP disabled. A method the policy's configuration list does not hold is not disabled by
/// the policy (the legacy MFA and SSPR settings still decide it), so it fails like an enabled one; only a policy
/// without the list is unknown.
/// </summary>
public sealed class Idn05WeakOtpMethodsDisabled : AuthMethodsControl
{
    public override string ControlId => ControlIds.Idn05;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        if (Field.Navigate(resource.Data, "authenticationMethodConfigurations") is not JsonArray)
        {
            return Verdict.Unknown("authenticationMethodConfigurations is missing", "authenticationMethodConfigurations");
        }

        var notDisabled = new List<string>();
        foreach (var id in new[] { "Sms", "Voice", "Email" })
        {
            var state = Field.Text(Method(resource, id)?["state"]);
            if (!string.Equals(state, "disabled", StringComparison.OrdinalIgnoreCase))
            {
                notDisabled.Add(state is null ? $"{id} (not in the policy)" : id);
            }
        }

        if (notDisabled.Count == 0)
        {
            return Verdict.Pass("Sms, Voice and Email are disabled");
        }

        var first = notDisabled[0].Split(' ')[0];
        return Verdict.Fail($"not disabled: {string.Join(", ", notDisabled)}", "authenticationMethodConfigurations",
            Remedy.Graph("PATCH", $"policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{first}",
                new JsonObject { ["@odata.type"] = $"#microsoft.graph.{char.ToLowerInvariant(first[0])}{first[1..]}AuthenticationMethodConfiguration", ["state"] = "disabled" },
                $"disable {string.Join(", ", notDisabled.Select(m => m.Split(' ')[0]))} (one PATCH per method)", caution: "users who only have these methods need another method registered first"));
    }
}

/// <summary>IDN-06.</summary>
public sealed class Idn06AuthMethodsMigrationComplete : AuthMethodsControl
{
    public override string ControlId => ControlIds.Idn06;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => Checks.OneOf(resource, "policyMigrationState", ["migrationComplete"],
        () => Remedy.Graph("PATCH", "policies/authenticationMethodsPolicy", new JsonObject { ["policyMigrationState"] = "migrationComplete" },
            "mark the migration complete", caution: "the legacy MFA and SSPR policies stop applying"));
}

/// <summary>
/// IDN-07: Authenticator shows the app name and the location to every user (featureSettings
/// display...RequiredState: state "enabled", includeTarget "all_users"). A missing feature setting is Microsoft's
/// "default" state, which does not show them; a policy without an Authenticator configuration leaves Authenticator to
/// the legacy settings, which cannot require them. Both fail; only a policy without the configuration list is unknown.
/// </summary>
public sealed class Idn07AuthenticatorShowsContext : AuthMethodsControl
{
    private static readonly string[] Features = ["displayAppInformationRequiredState", "displayLocationInformationRequiredState"];

    public override string ControlId => ControlIds.Idn07;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        if (Field.Navigate(resource.Data, "authenticationMethodConfigurations") is not JsonArray)
        {
            return Verdict.Unknown("authenticationMethodConfigurations is missing", "authenticationMethodConfigurations");
        }

        var method = Method(resource, "MicrosoftAuthenticator");
        if (method is not null && string.Equals(Field.Text(method["state"]), "disabled", StringComparison.OrdinalIgnoreCase))
        {
            return Verdict.NotApplicable("Microsoft Authenticator is disabled");
        }

        var shortfalls = new List<string>();
        foreach (var feature in Features)
        {
            var setting = method is null ? null : Field.Navigate(method, $"featureSettings.{feature}");
            var state = Field.Text(setting?["state"]) ?? "default";
            var target = Field.Text(setting?["includeTarget"]?["id"]);
            if (!string.Equals(state, "enabled", StringComparison.OrdinalIgnoreCase))
            {
                shortfalls.Add($"{feature} = {state}");
            }
            else if (!string.Equals(target, "all_users", StringComparison.OrdinalIgnoreCase))
            {
                shortfalls.Add($"{feature} is enabled only for {target ?? "no target"}, not all_users");
            }
        }

        if (shortfalls.Count == 0)
        {
            return Verdict.Pass("app name and location are shown to all users");
        }

        return Verdict.Fail((method is null ? "no MicrosoftAuthenticator configuration in the policy: " : string.Empty) + string.Join("; ", shortfalls) + " (expected enabled for all_users)", "featureSettings",
            Remedy.Graph("PATCH", "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/MicrosoftAuthenticator", new JsonObject
            {
                ["@odata.type"] = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
                ["featureSettings"] = new JsonObject
                {
                    ["displayAppInformationRequiredState"] = new JsonObject { ["state"] = "enabled", ["includeTarget"] = new JsonObject { ["targetType"] = "group", ["id"] = "all_users" } },
                    ["displayLocationInformationRequiredState"] = new JsonObject { ["state"] = "enabled", ["includeTarget"] = new JsonObject { ["targetType"] = "group", ["id"] = "all_users" } },
                },
            }, "show application name and location in Authenticator for all users"));
    }
}

/// <summary>
/// TEN-04: guest invitations are limited to an allow-list of domains. Reads the B2B management policy (beta
/// <c>/policies/b2bManagementPolicies</c>, or the <c>B2BManagementPolicy</c> entry of beta <c>/legacy/policies</c>), whose
/// <c>definition</c> is a JSON string. A deny-list, or no list, lets users invite any other domain.
/// </summary>
public sealed class Ten04GuestInviteDomainAllowList : ResourceControl
{
    public override string ControlId => ControlIds.Ten04;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.B2BManagementPolicy];

    /// <summary>Legacy policies of other types (token lifetime, home realm discovery) share the collection.</summary>
    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        Field.Text(resource.Data["type"]) is not { } type || string.Equals(type, "B2BManagementPolicy", StringComparison.OrdinalIgnoreCase);

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var raw = resource.Data["definition"] switch
        {
            JsonArray a => Field.Text(a.FirstOrDefault()),
            var n => Field.Text(n),
        };
        if (raw is null)
        {
            return Verdict.Unknown("definition is missing", "definition");
        }

        JsonNode? definition;
        try
        {
            definition = JsonNode.Parse(raw);
        }
        catch (System.Text.Json.JsonException)
        {
            return Verdict.Unknown("definition is not valid JSON", "definition");
        }

        var domains = Field.Navigate(definition, "B2BManagementPolicy.InvitationsAllowedAndBlockedDomainsPolicy") as JsonObject;
        var allowed = Field.Texts(domains?["AllowedDomains"]);
        var fix = Remedy.Graph("PATCH", $"policies/b2bManagementPolicies/{resource.Id}", new JsonObject
        {
            ["definition"] = new JsonArray(JsonValue.Create(new JsonObject
            {
                ["B2BManagementPolicy"] = new JsonObject
                {
                    ["InvitationsAllowedAndBlockedDomainsPolicy"] = new JsonObject { ["AllowedDomains"] = new JsonArray("<partner-domain.example>") },
                },
            }.ToJsonString())),
        }, "allow invitations only to the listed partner domains", version: "beta", caution: "list every partner domain first; other domains can no longer be invited");
        if (allowed.Count > 0)
        {
            return Verdict.Pass($"invitations allowed only to {string.Join(", ", allowed)}", "definition");
        }

        return Verdict.Fail(domains?["BlockedDomains"] is JsonArray ? "a deny-list is configured: every other domain can be invited" : "no domain allow-list: any domain can be invited", "definition", fix);
    }
}
