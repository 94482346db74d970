using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Directory role members joined with their user objects (PRV-02, TEN-08).</summary>
internal static class RoleMembers
{
    /// <summary>Active assignments to the configured privileged roles.</summary>
    public static List<TenantResource> PrivilegedAssignments(EvaluationContext context) =>
        [.. context.Snapshot.OfType(GraphTypes.RoleAssignment)
            .Where(a => context.Configuration.PrivilegedRoles.Contains(Field.Text(a.Data["roleDefinitionId"]) ?? string.Empty, StringComparer.OrdinalIgnoreCase))];

    /// <summary>
    /// The user of an assignment: the users export, else an expanded <c>principal</c> that is a user (Graph's
    /// <c>$expand=principal</c>, or what a ScubaGear export knows of a privileged user).
    /// </summary>
    public static JsonObject? User(TenantResource assignment, Dictionary<string, TenantResource> users)
    {
        if (Field.Text(assignment.Data["principalId"]) is { } id && users.TryGetValue(id, out var u))
        {
            return u.Data;
        }

        return assignment.Data["principal"] is JsonObject expanded && (expanded.ContainsKey("userPrincipalName") || PrincipalType(assignment) is "user")
            ? expanded
            : null;
    }

    /// <summary>The expanded principal's kind (<c>user</c>, <c>servicePrincipal</c>, <c>group</c>), or null when not expanded.</summary>
    public static string? PrincipalType(TenantResource assignment) =>
        Field.Text(assignment.Data["principal"]?["@odata.type"]) is { } type ? type[(type.LastIndexOf('.') + 1)..] : null;

    public static Dictionary<string, TenantResource> Users(EvaluationContext context)
    {
        var map = new Dictionary<string, TenantResource>(StringComparer.OrdinalIgnoreCase);
        foreach (var u in context.Snapshot.OfType(GraphTypes.User))
        {
            map.TryAdd(u.Id, u);
        }

        return map;
    }
}

/// <summary>Judges each privileged role member's user object; unknown when the user was not exported.</summary>
public abstract class PrivilegedMemberControl : IControlEvaluator
{
    public abstract string ControlId { get; }

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlId];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.RoleAssignment, GraphTypes.User];

    private protected abstract Verdict Judge(JsonObject user, string principalId);

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var assignments = RoleMembers.PrivilegedAssignments(context);
        if (assignments.Count == 0)
        {
            yield return ResourceControl.Absent(ControlId, [GraphTypes.RoleAssignment], context) with
            {
                Status = ControlStatus.Unknown,
                Evidence = "the inputs hold no assignments to privileged directory roles (GET /roleManagement/directory/roleAssignments)",
            };
            yield break;
        }

        var users = RoleMembers.Users(context);
        foreach (var group in assignments.GroupBy(a => Field.Text(a.Data["principalId"]) ?? "?", StringComparer.OrdinalIgnoreCase))
        {
            var user = RoleMembers.User(group.First(), users);
            var type = RoleMembers.PrincipalType(group.First());
            var verdict = user is not null ? Judge(user, group.Key)
                : type is not null && type != "user"
                    ? Verdict.NotApplicable($"principal {group.Key} is a {type}, not a user")
                    : Verdict.Unknown($"principal {group.Key} is not in the users export (GET /users?$select=id,userType,onPremisesSyncEnabled)");
            yield return new ControlResult
            {
                ControlId = ControlId,
                Status = verdict.Status,
                Resource = new ResourceRef(group.Key, GraphTypes.User, Field.Text(user?["userPrincipalName"]) ?? Field.Text(user?["displayName"]), group.First().Source),
                Evidence = verdict.Evidence,
                PropertyPath = verdict.PropertyPath,
                Remediation = verdict.Remediation,
            };
        }
    }
}

/// <summary>
/// PRV-02: privileged users are cloud-only (not synchronised from on-premises AD). Graph's
/// <c>onPremisesSyncEnabled</c> is true for a user being synchronised, false for one that was and no longer is, and
/// null for one never synchronised; a user that carries an <c>onPremisesImmutableId</c> (the anchor sync and
/// federation write) came from on-premises. ScubaGear exports only the latter. A user object with neither property
/// says nothing, so the verdict is unknown: absence is not cloud-only.
/// </summary>
public sealed class Prv02PrivilegedUsersCloudOnly : PrivilegedMemberControl
{
    public override string ControlId => ControlIds.Prv02;

    private protected override Verdict Judge(JsonObject user, string principalId)
    {
        var name = Field.Text(user["userPrincipalName"]) ?? Field.Text(user["displayName"]) ?? principalId;
        var synced = user.TryGetPropertyValue("onPremisesSyncEnabled", out var sync);
        var anchored = user.TryGetPropertyValue("onPremisesImmutableId", out var anchor);
        if (Field.IsTrue(sync))
        {
            return Fail($"{name} is synchronised from on-premises (onPremisesSyncEnabled = true)", "onPremisesSyncEnabled");
        }

        if (anchored && !string.IsNullOrEmpty(Field.Text(anchor)))
        {
            return Fail($"{name} has an on-premises anchor (onPremisesImmutableId is set)", "onPremisesImmutableId");
        }

        if (!synced && !anchored)
        {
            return Verdict.Unknown($"{name}: the user object has neither onPremisesSyncEnabled nor onPremisesImmutableId (GET /users?$select=id,onPremisesSyncEnabled)", "onPremisesSyncEnabled");
        }

        return Verdict.Pass($"{name} is cloud-only", synced ? "onPremisesSyncEnabled" : "onPremisesImmutableId");
    }

    private static Verdict Fail(string evidence, string path) => Verdict.Fail(evidence, path,
        Remedy.Manual("Create a cloud-only admin account for this person, move the role assignment to it, and keep the synchronised account unprivileged."));
}

/// <summary>TEN-08: no guest holds a privileged role.</summary>
public sealed class Ten08GuestsHoldNoPrivilegedRoles : PrivilegedMemberControl
{
    public override string ControlId => ControlIds.Ten08;

    private protected override Verdict Judge(JsonObject user, string principalId)
    {
        var type = Field.Text(user["userType"]);
        if (type is null)
        {
            return Verdict.Unknown($"{principalId}: userType is missing", "userType");
        }

        return string.Equals(type, "Guest", StringComparison.OrdinalIgnoreCase)
            ? Verdict.Fail($"guest {Field.Text(user["userPrincipalName"]) ?? principalId} holds a privileged role", "userType",
                Remedy.Manual("Remove the guest's privileged role assignment; give the work to a member account of this tenant."))
            : Verdict.Pass($"{Field.Text(user["userPrincipalName"]) ?? principalId} is a {type}", "userType");
    }
}

/// <summary>
/// PRV-07: Global Administrators are at most a share (threshold globalAdminRatioMax) of the users who hold privileged
/// roles, so that most administrators work with finer-grained roles. Counted per user, not per assignment: a Global
/// Administrator who also holds seven other roles is still one Global Administrator. Principals known not to be users
/// (service principals, groups) are left out, as SCuBA MS.AAD.7.2 counts users.
/// </summary>
public sealed class Prv07FinerGrainedRolesOverGlobalAdmin : IControlEvaluator
{
    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Prv07];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.RoleAssignment];

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var privileged = RoleMembers.PrivilegedAssignments(context).Where(a => RoleMembers.PrincipalType(a) is null or "user").ToList();
        if (privileged.Count == 0)
        {
            yield return ResourceControl.Absent(ControlIds.Prv07, [GraphTypes.RoleAssignment], context) with { Status = ControlStatus.Unknown };
            yield break;
        }

        var max = context.Configuration.Threshold("globalAdminRatioMax");
        var principals = privileged.GroupBy(a => Field.Text(a.Data["principalId"]) ?? "?", StringComparer.OrdinalIgnoreCase).ToList();
        var ga = principals.Count(p => p.Any(a => string.Equals(Field.Text(a.Data["roleDefinitionId"]), Prv01GlobalAdministratorCount.GlobalAdministrator, StringComparison.OrdinalIgnoreCase)));
        var ratio = (double)ga / principals.Count;
        yield return new ControlResult
        {
            ControlId = ControlIds.Prv07,
            Status = ratio <= max ? ControlStatus.Pass : ControlStatus.Fail,
            Resource = ResourceRef.Tenant(privileged[0].Source),
            Evidence = $"{ga} of {principals.Count} privileged users are Global Administrators ({ratio:P0}; at most {max:P0})",
            Remediation = ratio <= max ? null : Remedy.Manual("Give administrators the narrowest role that covers their work (User, Exchange, SharePoint, Application Administrator ...) instead of Global Administrator."),
        };
    }
}

/// <summary>PRV-11: administrators (userRegistrationDetails.isAdmin) have a phishing-resistant method registered.</summary>
public sealed class Prv11PrivilegedPhishingResistantRegistered : ResourceControl
{
    /// <summary>methodsRegistered values that are phishing-resistant (passkeys / FIDO2, Windows Hello, certificates).</summary>
    internal static readonly string[] PhishingResistant =
        ["fido2SecurityKey", "passKeyDeviceBound", "passKeyDeviceBoundAuthenticator", "passKeyDeviceBoundWindowsHello", "windowsHelloForBusiness", "x509Certificate"];

    public override string ControlId => ControlIds.Prv11;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.UserRegistrationDetails];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) => Field.IsTrue(resource.Data["isAdmin"]);

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var field = Field.Read(resource, "methodsRegistered");
        if (!field.TryArray(out var methods, out var problem))
        {
            return Verdict.Unknown(problem!, "methodsRegistered");
        }

        var names = methods.Select(Field.Text).OfType<string>().ToList();
        var strong = names.Where(m => PhishingResistant.Contains(m, StringComparer.OrdinalIgnoreCase)).ToList();
        return strong.Count > 0
            ? Verdict.Pass($"registered: {string.Join(", ", strong)}", "methodsRegistered")
            : Verdict.Fail($"no phishing-resistant method registered (has: {string.Join(", ", names)})", "methodsRegistered",
                Remedy.Manual("Issue a Temporary Access Pass and have the administrator register a passkey (FIDO2) or Windows Hello for Business."));
    }
}
