using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Directory role members joined with their user objects (PRV-02, TEN-08).</summary>
internal static class RoleMembers
{
    /// <summary>Active assignments to the configured privileged roles.</summary>
    public static List<TenantResource> PrivilegedAssignments(EvaluationContext context) =>
        [.. context.Snapshot.OfType(GraphTypes.RoleAssignment)
            .Where(a => context.Configuration.PrivilegedRoles.Contains(Field.Text(a.Data["roleDefinitionId"]) ?? string.Empty, StringComparer.OrdinalIgnoreCase))];

    /// <summary>The user of an assignment: an expanded <c>principal</c>, or the users export.</summary>
    public static JsonObject? User(TenantResource assignment, Dictionary<string, TenantResource> users)
    {
        if (assignment.Data["principal"] is JsonObject expanded && expanded.ContainsKey("userPrincipalName"))
        {
            return expanded;
        }

        return Field.Text(assignment.Data["principalId"]) is { } id && users.TryGetValue(id, out var u) ? u.Data : null;
    }

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
            var type = Field.Text(group.First().Data["principal"]?["@odata.type"]);
            var verdict = user is not null ? Judge(user, group.Key)
                : type is not null && !type.EndsWith(".user", StringComparison.OrdinalIgnoreCase)
                    ? Verdict.NotApplicable($"principal {group.Key} is a {type}, not a user")
                    : Verdict.Unknown($"principal {group.Key} is not in the users export (GET /users?$select=id,userType,onPremisesSyncEnabled)");
            yield return new ControlResult
            {
                ControlId = ControlId,
                Status = verdict.Status,
                Resource = new ResourceRef(group.Key, GraphTypes.User, Field.Text(user?["userPrincipalName"]), group.First().Source),
                Evidence = verdict.Evidence,
                PropertyPath = verdict.PropertyPath,
                Remediation = verdict.Remediation,
            };
        }
    }
}

/// <summary>PRV-02: privileged users are cloud-only (not synchronised from on-premises AD).</summary>
public sealed class Prv02PrivilegedUsersCloudOnly : PrivilegedMemberControl
{
    public override string ControlId => ControlIds.Prv02;

    private protected override Verdict Judge(JsonObject user, string principalId) =>
        Field.IsTrue(user["onPremisesSyncEnabled"])
            ? Verdict.Fail($"{Field.Text(user["userPrincipalName"]) ?? principalId} is synchronised from on-premises", "onPremisesSyncEnabled",
                Remedy.Manual("Create a cloud-only admin account for this person, move the role assignment to it, and keep the synchronised account unprivileged."))
            : Verdict.Pass($"{Field.Text(user["userPrincipalName"]) ?? principalId} is cloud-only", "onPremisesSyncEnabled");
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

/// <summary>PRV-07: Global Administrator is a minority of privileged assignments (threshold globalAdminRatioMax).</summary>
public sealed class Prv07FinerGrainedRolesOverGlobalAdmin : IControlEvaluator
{
    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Prv07];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.RoleAssignment];

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var privileged = RoleMembers.PrivilegedAssignments(context);
        if (privileged.Count == 0)
        {
            yield return ResourceControl.Absent(ControlIds.Prv07, [GraphTypes.RoleAssignment], context) with { Status = ControlStatus.Unknown };
            yield break;
        }

        var max = context.Configuration.Threshold("globalAdminRatioMax");
        var ga = privileged.Count(a => string.Equals(Field.Text(a.Data["roleDefinitionId"]), Prv01GlobalAdministratorCount.GlobalAdministrator, StringComparison.OrdinalIgnoreCase));
        var ratio = (double)ga / privileged.Count;
        yield return new ControlResult
        {
            ControlId = ControlIds.Prv07,
            Status = ratio <= max ? ControlStatus.Pass : ControlStatus.Fail,
            Resource = ResourceRef.Tenant(privileged[0].Source),
            Evidence = $"{ga} of {privileged.Count} privileged assignments are Global Administrator ({ratio:P0}; at most {max:P0})",
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
