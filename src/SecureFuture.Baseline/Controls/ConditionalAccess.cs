using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>
/// One Conditional Access policy as Entra applies it. Only <c>state: enabled</c> enforces anything: a report-only
/// policy (<c>enabledForReportingButNotEnforced</c>) and a disabled one enforce nothing. A policy covers "all users"
/// only when it includes All and excludes nobody except the configured break-glass accounts and groups.
/// </summary>
internal sealed record CaPolicy(TenantResource Resource)
{
    public const string AzureManagementAppId = "797f4846-ba00-4fd7-ba43-dac1f8f63013";

    /// <summary>The built-in "Phishing-resistant MFA" authentication strength.</summary>
    public const string PhishingResistantStrength = "00000000-0000-0000-0000-000000000004";

    private static readonly string[] PhishingResistantCombinations = ["fido2", "windowsHelloForBusiness", "x509CertificateMultiFactor"];

    private JsonNode? At(string path) => Field.Navigate(Resource.Data, path);

    private IReadOnlyList<string> List(string path) => Field.Texts(At(path));

    public string Name => Resource.Name ?? Resource.Id;

    public string? State => Field.Text(At("state"));

    public bool IsEnabled => string.Equals(State, "enabled", StringComparison.OrdinalIgnoreCase);

    public bool Includes(string path, string value) => List(path).Contains(value, StringComparer.OrdinalIgnoreCase);

    public bool Blocks => List("grantControls.builtInControls").Contains("block", StringComparer.OrdinalIgnoreCase);

    /// <summary>MFA is required: "mfa" or an authentication strength, and no OR-alternative that avoids it.</summary>
    public bool RequiresMfa
    {
        get
        {
            var controls = List("grantControls.builtInControls");
            var strength = At("grantControls.authenticationStrength") is JsonObject;
            var isOr = !string.Equals(Field.Text(At("grantControls.operator")), "AND", StringComparison.OrdinalIgnoreCase);
            var mfa = controls.Contains("mfa", StringComparer.OrdinalIgnoreCase) || strength;
            var alternatives = controls.Any(c => !string.Equals(c, "mfa", StringComparison.OrdinalIgnoreCase));
            return mfa && !(isOr && alternatives);
        }
    }

    public bool RequiresPhishingResistant
    {
        get
        {
            if (At("grantControls.authenticationStrength") is not JsonObject strength)
            {
                return false;
            }

            if (string.Equals(Field.Text(strength["id"]), PhishingResistantStrength, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var combos = Field.Texts(strength["allowedCombinations"]);
            return combos.Count > 0 && combos.All(c => PhishingResistantCombinations.Contains(c, StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>Why the policy does not apply to every user and every app; empty when it does.</summary>
    public List<string> GapsForAllUsers(BaselineConfiguration configuration, bool allAppsRequired = true, params string[] allowedConditions)
    {
        var gaps = new List<string>();
        if (!IsEnabled)
        {
            gaps.Add(State is null ? "no state" : string.Equals(State, "enabledForReportingButNotEnforced", StringComparison.OrdinalIgnoreCase) ? "report-only" : $"state {State}");
        }

        if (!Includes("conditions.users.includeUsers", "All"))
        {
            gaps.Add("does not include all users");
        }

        gaps.AddRange(ExclusionGaps(configuration));
        if (allAppsRequired && !Includes("conditions.applications.includeApplications", "All"))
        {
            gaps.Add("does not include all applications");
        }

        if (List("conditions.applications.excludeApplications").Count > 0)
        {
            gaps.Add("excludes applications");
        }

        gaps.AddRange(NarrowingConditions(allowedConditions));
        return gaps;
    }

    /// <summary>Exclusions other than break-glass accounts mean the policy does not cover all users.</summary>
    public IEnumerable<string> ExclusionGaps(BaselineConfiguration configuration)
    {
        foreach (var kind in new[] { "excludeUsers", "excludeGroups" })
        {
            var others = List($"conditions.users.{kind}").Where(id => !configuration.IsBreakGlass(id)).ToList();
            if (others.Count > 0)
            {
                yield return $"{kind} has {others.Count} non-break-glass entr{(others.Count == 1 ? "y" : "ies")}";
            }
        }

        if (List("conditions.users.excludeRoles").Count > 0)
        {
            yield return "excludes roles";
        }

        if (At("conditions.users.excludeGuestsOrExternalUsers") is JsonObject)
        {
            yield return "excludes guests or external users";
        }
    }

    /// <summary>Conditions that make a policy apply to less than every sign-in.</summary>
    private IEnumerable<string> NarrowingConditions(string[] allowed)
    {
        bool Allowed(string name) => allowed.Contains(name, StringComparer.Ordinal);
        var clientApps = List("conditions.clientAppTypes");
        if (!Allowed("clientAppTypes") && clientApps.Count > 0 && !clientApps.Contains("all", StringComparer.OrdinalIgnoreCase))
        {
            yield return $"only client app types {string.Join(", ", clientApps)}";
        }

        if (!Allowed("userRiskLevels") && List("conditions.userRiskLevels").Count > 0)
        {
            yield return "only for some user risk levels";
        }

        if (!Allowed("signInRiskLevels") && List("conditions.signInRiskLevels").Count > 0)
        {
            yield return "only for some sign-in risk levels";
        }

        if (List("conditions.platforms.includePlatforms").Count > 0 && !Includes("conditions.platforms.includePlatforms", "all"))
        {
            yield return "only some platforms";
        }

        if (List("conditions.platforms.excludePlatforms").Count > 0)
        {
            yield return "excludes platforms";
        }

        if (List("conditions.locations.excludeLocations").Count > 0 || (List("conditions.locations.includeLocations").Count > 0 && !Includes("conditions.locations.includeLocations", "All")))
        {
            yield return "limited by location";
        }

        if (At("conditions.devices.deviceFilter") is JsonObject)
        {
            yield return "limited by a device filter";
        }

        if (!Allowed("authenticationFlows") && At("conditions.authenticationFlows") is JsonObject)
        {
            yield return "limited to some authentication flows";
        }
    }
}

/// <summary>
/// A tenant-wide control over the whole set of CA policies: passes when at least one enabled policy satisfies it
/// for everyone; the evidence lists why each other policy does not count.
/// </summary>
public abstract class ConditionalAccessControl : IControlEvaluator
{
    public abstract string ControlId { get; }

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlId];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.ConditionalAccessPolicy, GraphTypes.SecurityDefaults];

    /// <summary>Why this policy does not satisfy the control; empty when it does.</summary>
    private protected abstract List<string> Gaps(CaPolicy policy, EvaluationContext context);

    /// <summary>A policy that would satisfy the control, as a Graph POST body.</summary>
    protected abstract JsonObject Template { get; }

    /// <summary>Whether something other than CA satisfies the control (security defaults for IDN-01).</summary>
    private protected virtual Verdict? Alternative(EvaluationContext context) => null;

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var alternative = Alternative(context);
        if (alternative is { Status: ControlStatus.Pass })
        {
            yield return Result(alternative, ResourceRef.Tenant((context.Snapshot.OfType(GraphTypes.SecurityDefaults) is [var sd, ..] ? sd : null)?.Source));
            yield break;
        }

        var resources = context.Snapshot.OfType(GraphTypes.ConditionalAccessPolicy).ToList();
        var declared = context.Snapshot.Files.Any(f => f.DeclaredTypes.Contains(GraphTypes.ConditionalAccessPolicy, StringComparer.OrdinalIgnoreCase));
        if (resources.Count == 0 && !declared)
        {
            yield return Result(Verdict.Unknown("the inputs hold no conditional access policies (GET /identity/conditionalAccess/policies)"
                + (alternative is null ? string.Empty : $"; {alternative.Evidence}")), ResourceRef.Tenant());
            yield break;
        }

        var reasons = new List<string>();
        foreach (var policy in resources.Select(r => new CaPolicy(r)))
        {
            var gaps = Gaps(policy, context);
            if (gaps.Count == 0)
            {
                yield return Result(Verdict.Pass($"enforced by policy \"{policy.Name}\""), ResourceRef.Tenant(policy.Resource.Source));
                yield break;
            }

            reasons.Add($"\"{policy.Name}\": {string.Join(", ", gaps)}");
        }

        var evidence = resources.Count == 0 ? "the tenant has no conditional access policies" : $"no enabled policy enforces it for everyone ({string.Join("; ", reasons)})";
        if (alternative is not null)
        {
            evidence = $"{alternative.Evidence}; {evidence}";
        }

        var fix = Remedy.Graph("POST", "identity/conditionalAccess/policies", Template,
            $"create the policy \"{Field.Text(Template["displayName"])}\" (first in report-only mode, then enabled)",
            caution: "exclude your break-glass accounts, create it as enabledForReportingButNotEnforced, review the sign-in impact, then enable");
        yield return Result(Verdict.Fail(evidence, null, fix), ResourceRef.Tenant(resources.FirstOrDefault()?.Source));
    }

    private ControlResult Result(Verdict verdict, ResourceRef resource) => new()
    {
        ControlId = ControlId,
        Status = verdict.Status,
        Resource = resource,
        Evidence = verdict.Evidence,
        Remediation = verdict.Remediation,
    };

    protected static JsonObject Policy(string name, JsonObject conditions, JsonObject grant)
    {
        conditions["users"] ??= new JsonObject { ["includeUsers"] = new JsonArray("All"), ["excludeUsers"] = new JsonArray("<break-glass-user-object-id>") };
        conditions["applications"] ??= new JsonObject { ["includeApplications"] = new JsonArray("All") };
        conditions["clientAppTypes"] ??= new JsonArray("all");
        return new JsonObject { ["displayName"] = name, ["state"] = "enabledForReportingButNotEnforced", ["conditions"] = conditions, ["grantControls"] = grant };
    }

    protected static JsonObject Grant(string control) => new() { ["operator"] = "OR", ["builtInControls"] = new JsonArray(control) };

    protected static JsonObject PhishingResistantGrant() => new()
    {
        ["operator"] = "OR",
        ["authenticationStrength"] = new JsonObject { ["id"] = CaPolicy.PhishingResistantStrength },
    };
}

/// <summary>IDN-01: security defaults on, or an enabled CA policy requiring MFA for all users and all apps.</summary>
public sealed class Idn01MfaForAllUsers : ConditionalAccessControl
{
    public override string ControlId => ControlIds.Idn01;

    protected override JsonObject Template => Policy("SFI: require MFA for all users", [], Grant("mfa"));

    private protected override Verdict? Alternative(EvaluationContext context)
    {
        var defaults = (context.Snapshot.OfType(GraphTypes.SecurityDefaults) is [var sd, ..] ? sd : null);
        return defaults is null ? null : Checks.Bool(defaults, "isEnabled", true) switch
        {
            { Status: ControlStatus.Pass } => Verdict.Pass("security defaults are enabled (MFA registration and enforcement for all users)"),
            { Status: ControlStatus.Fail } => Verdict.Fail("security defaults are disabled"),
            var v => v,
        };
    }

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = policy.GapsForAllUsers(context.Configuration);
        if (!policy.RequiresMfa)
        {
            gaps.Add("does not require MFA");
        }

        return gaps;
    }
}

/// <summary>IDN-02: block for client app types exchangeActiveSync and other.</summary>
public sealed class Idn02LegacyAuthenticationBlocked : ConditionalAccessControl
{
    public override string ControlId => ControlIds.Idn02;

    protected override JsonObject Template => Policy("SFI: block legacy authentication",
        new JsonObject { ["clientAppTypes"] = new JsonArray("exchangeActiveSync", "other") }, Grant("block"));

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = policy.GapsForAllUsers(context.Configuration, true, "clientAppTypes");
        if (!(policy.Includes("conditions.clientAppTypes", "exchangeActiveSync") && policy.Includes("conditions.clientAppTypes", "other"))
            && !policy.Includes("conditions.clientAppTypes", "all"))
        {
            gaps.Add("does not target exchangeActiveSync and other clients");
        }

        if (!policy.Blocks)
        {
            gaps.Add("does not block");
        }

        return gaps;
    }
}

/// <summary>IDN-03.</summary>
public sealed class Idn03PhishingResistantMfaAllUsers : ConditionalAccessControl
{
    public override string ControlId => ControlIds.Idn03;

    protected override JsonObject Template => Policy("SFI: phishing-resistant MFA for all users", [], PhishingResistantGrant());

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = policy.GapsForAllUsers(context.Configuration);
        if (!policy.RequiresPhishingResistant)
        {
            gaps.Add("does not require the phishing-resistant authentication strength");
        }

        return gaps;
    }
}

/// <summary>IDN-04: the privileged roles (configuration) are included, all apps, phishing-resistant strength.</summary>
public sealed class Idn04PhishingResistantMfaPrivilegedRoles : ConditionalAccessControl
{
    public override string ControlId => ControlIds.Idn04;

    protected override JsonObject Template => Policy("SFI: phishing-resistant MFA for privileged roles", new JsonObject
    {
        ["users"] = new JsonObject { ["includeRoles"] = new JsonArray([.. BaselineConfiguration.DefaultPrivilegedRoles.Select(r => (JsonNode)JsonValue.Create(r))]) },
    }, PhishingResistantGrant());

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = new List<string>();
        if (!policy.IsEnabled)
        {
            gaps.Add(policy.State ?? "no state");
        }

        var allUsers = policy.Includes("conditions.users.includeUsers", "All");
        var missing = context.Configuration.PrivilegedRoles.Where(r => !policy.Includes("conditions.users.includeRoles", r)).ToList();
        if (!allUsers && missing.Count > 0)
        {
            gaps.Add($"does not include {missing.Count} privileged role(s)");
        }

        gaps.AddRange(policy.ExclusionGaps(context.Configuration));
        if (!policy.Includes("conditions.applications.includeApplications", "All"))
        {
            gaps.Add("does not include all applications");
        }

        if (!policy.RequiresPhishingResistant)
        {
            gaps.Add("does not require the phishing-resistant authentication strength");
        }

        return gaps;
    }
}

/// <summary>IDN-08: block the device code flow.</summary>
public sealed class Idn08DeviceCodeFlowBlocked : ConditionalAccessControl
{
    public override string ControlId => ControlIds.Idn08;

    protected override JsonObject Template => Policy("SFI: block device code flow",
        new JsonObject { ["authenticationFlows"] = new JsonObject { ["transferMethods"] = "deviceCodeFlow" } }, Grant("block"));

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = policy.GapsForAllUsers(context.Configuration, true, "authenticationFlows");
        var methods = Field.Text(Field.Navigate(policy.Resource.Data, "conditions.authenticationFlows.transferMethods")) ?? string.Empty;
        if (!methods.Split(',', StringSplitOptions.TrimEntries).Contains("deviceCodeFlow", StringComparer.OrdinalIgnoreCase))
        {
            gaps.Add("does not target the device code flow");
        }

        if (!policy.Blocks)
        {
            gaps.Add("does not block");
        }

        return gaps;
    }
}

/// <summary>IDN-09 and IDN-10 share the check on a risk-level condition with block.</summary>
public abstract class RiskBlockControl : ConditionalAccessControl
{
    protected abstract string Condition { get; }

    protected override JsonObject Template => Policy($"SFI: block high {Condition}", new JsonObject { [Condition] = new JsonArray("high") }, Grant("block"));

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = policy.GapsForAllUsers(context.Configuration, true, Condition);
        if (!policy.Includes($"conditions.{Condition}", "high"))
        {
            gaps.Add($"{Condition} does not include high");
        }

        if (!policy.Blocks)
        {
            gaps.Add("does not block");
        }

        return gaps;
    }
}

/// <summary>IDN-09.</summary>
public sealed class Idn09HighRiskUsersBlocked : RiskBlockControl
{
    public override string ControlId => ControlIds.Idn09;

    protected override string Condition => "userRiskLevels";
}

/// <summary>IDN-10.</summary>
public sealed class Idn10HighRiskSignInsBlocked : RiskBlockControl
{
    public override string ControlId => ControlIds.Idn10;

    protected override string Condition => "signInRiskLevels";
}

/// <summary>IDN-11: MFA for Azure management (the app, or All).</summary>
public sealed class Idn11MfaForAzureManagement : ConditionalAccessControl
{
    public override string ControlId => ControlIds.Idn11;

    protected override JsonObject Template => Policy("SFI: MFA for Azure management", new JsonObject
    {
        ["applications"] = new JsonObject { ["includeApplications"] = new JsonArray(CaPolicy.AzureManagementAppId) },
    }, Grant("mfa"));

    private protected override List<string> Gaps(CaPolicy policy, EvaluationContext context)
    {
        var gaps = policy.GapsForAllUsers(context.Configuration, allAppsRequired: false);
        if (!policy.Includes("conditions.applications.includeApplications", "All") && !policy.Includes("conditions.applications.includeApplications", CaPolicy.AzureManagementAppId))
        {
            gaps.Add("does not include Azure management");
        }

        if (!policy.RequiresMfa)
        {
            gaps.Add("does not require MFA");
        }

        return gaps;
    }
}

/// <summary>
/// PRV-06: every CA policy that enforces something (enabled or report-only) excludes each configured break-glass
/// account, directly or through a configured break-glass group. Without configured accounts the result is unknown.
/// </summary>
public sealed class Prv06BreakGlassExcludedFromCa : ResourceControl
{
    public override string ControlId => ControlIds.Prv06;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.ConditionalAccessPolicy];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var config = context.Configuration;
        if (config.BreakGlassUsers.Count == 0 && config.BreakGlassGroups.Count == 0)
        {
            return Verdict.Unknown("no break-glass accounts are configured (breakGlass.users / breakGlass.groups in the baseline configuration)");
        }

        var policy = new CaPolicy(resource);
        if (string.Equals(policy.State, "disabled", StringComparison.OrdinalIgnoreCase))
        {
            return Verdict.NotApplicable("the policy is disabled");
        }

        var excludedGroups = Field.Texts(Field.Navigate(resource.Data, "conditions.users.excludeGroups"));
        var groupCovers = config.BreakGlassGroups.Any(g => excludedGroups.Contains(g, StringComparer.OrdinalIgnoreCase));
        var missing = groupCovers ? [] : config.BreakGlassUsers.Where(u => !policy.Includes("conditions.users.excludeUsers", u)).ToList();
        if (config.BreakGlassUsers.Count == 0 && !groupCovers)
        {
            missing = [.. config.BreakGlassGroups];
        }

        return missing.Count == 0
            ? Verdict.Pass("every break-glass account is excluded")
            : Verdict.Fail($"break-glass account(s) not excluded: {string.Join(", ", missing)}", "conditions.users.excludeUsers",
                Remedy.Manual($"Add the break-glass accounts {string.Join(", ", missing)} to conditions.users.excludeUsers of policy \"{policy.Name}\" (PATCH identity/conditionalAccess/policies/{resource.Id})."));
    }
}
