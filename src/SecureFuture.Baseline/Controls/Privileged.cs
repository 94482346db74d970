using System.Globalization;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>PRV-01: between 2 and 8 active Global Administrator assignments (thresholds globalAdminsMin/Max).</summary>
public sealed class Prv01GlobalAdministratorCount : IControlEvaluator
{
    public const string GlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10";

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Prv01];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.RoleAssignment, GraphTypes.RoleEligibilityScheduleInstance];

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var assignments = context.Snapshot.OfType(GraphTypes.RoleAssignment).ToList();
        // No assignment in an export that holds the section (ScubaGear's privileged_users, an empty Graph collection)
        // is no Global Administrator, which fails; no such export at all is unknown.
        var exported = context.Snapshot.Files.Any(f => f.DeclaredTypes.Contains(GraphTypes.RoleAssignment, StringComparer.OrdinalIgnoreCase));
        if (assignments.Count == 0 && !exported)
        {
            yield return ResourceControl.Absent(ControlIds.Prv01, [GraphTypes.RoleAssignment], context) with { Status = ControlStatus.Unknown };
            yield break;
        }

        var min = context.Configuration.Threshold("globalAdminsMin");
        var max = context.Configuration.Threshold("globalAdminsMax");
        // Active assignments and, when exported, PIM-eligible ones: an eligible Global Administrator is one too.
        var eligible = context.Snapshot.OfType(GraphTypes.RoleEligibilityScheduleInstance).ToList();
        var ga = assignments.Concat(eligible).Where(a => string.Equals(Field.Text(a.Data["roleDefinitionId"]), GlobalAdministrator, StringComparison.OrdinalIgnoreCase))
            .Select(a => Field.Text(a.Data["principalId"])).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        var ok = ga >= min && ga <= max;
        yield return new ControlResult
        {
            ControlId = ControlIds.Prv01,
            Status = ok ? ControlStatus.Pass : ControlStatus.Fail,
            Resource = ResourceRef.Tenant(assignments.FirstOrDefault()?.Source),
            Evidence = $"{ga} Global Administrator(s), {(eligible.Count > 0 || (assignments.Count > 0 && assignments.All(a => a.Format == InputFormat.ScubaGear)) ? "active and eligible" : "active only: no eligibility export")} (expected {Checks.Num(min)} to {Checks.Num(max)})",
            Remediation = ok ? null : Remedy.Manual(ga < min
                ? "Add a second Global Administrator (a cloud-only break-glass account) so that the tenant survives the loss of one."
                : "Move Global Administrators to finer-grained roles (PRV-07) or make them PIM-eligible instead of active."),
        };
    }
}

/// <summary>PRV-03: active privileged assignments from PIM schedule instances that are permanent (assigned, no end).</summary>
public sealed class Prv03NoPermanentActivePrivilegedAssignments : ResourceControl
{
    public override string ControlId => ControlIds.Prv03;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.RoleAssignmentScheduleInstance];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        context.Configuration.PrivilegedRoles.Contains(Field.Text(resource.Data["roleDefinitionId"]) ?? string.Empty, StringComparer.OrdinalIgnoreCase);

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var principal = Field.Text(resource.Data["principalId"]) ?? "?";
        if (context.Configuration.IsBreakGlass(principal))
        {
            return Verdict.Pass($"{principal} is a configured break-glass account (permanent by design)");
        }

        var type = Field.Read(resource, "assignmentType");
        if (!type.TryString(out var assignment, out var problem))
        {
            return Verdict.Unknown(problem!, "assignmentType");
        }

        var end = Field.Read(resource, "endDateTime");
        var permanent = string.Equals(assignment, "Assigned", StringComparison.OrdinalIgnoreCase) && (end.State == FieldState.Missing || end.Node is null);
        return permanent
            ? Verdict.Fail($"{principal} holds role {Field.Text(resource.Data["roleDefinitionId"])} permanently active", "assignmentType",
                Remedy.Manual("Convert the assignment to PIM-eligible (roleEligibilityScheduleRequests) and remove the active assignment."))
            : Verdict.Pass($"assignmentType = {assignment}{(end.IsPresent && end.Node is not null ? $", ends {(end.TryDate(out var ends, out _) ? ends.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : Field.Text(end.Node))}" : string.Empty)}", "assignmentType");
    }
}

/// <summary>ARM role assignments (<c>Microsoft.Authorization/roleAssignments</c>).</summary>
internal static class RoleAssignments
{
    public const string Type = "Microsoft.Authorization/roleAssignments";
    public const string Owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    public const string UserAccessAdministrator = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

    public static bool Is(TenantResource assignment, string roleGuid) =>
        (Field.Text(Field.Navigate(assignment.Data, "properties.roleDefinitionId")) ?? string.Empty).EndsWith("/" + roleGuid, StringComparison.OrdinalIgnoreCase);

    public static string? Scope(TenantResource assignment) => Field.Text(Field.Navigate(assignment.Data, "properties.scope"));

    /// <summary>
    /// What PRV-08 and PRV-10 need from the role assignments, collected as they are read: a tenant exports one per
    /// principal and scope (thousands), and the two controls need only the Owners per subscription and the
    /// assignments at the root scope.
    /// </summary>
    internal sealed class Facts
    {
        public int Count { get; set; }

        /// <summary>Subscription scopes (<c>/subscriptions/{id}</c>) in the order first seen, with their first assignment's location and Owners.</summary>
        public List<(string Scope, SourceLocation Source, HashSet<string?> Owners)> Subscriptions { get; } = [];

        public Dictionary<string, int> SubscriptionIndex { get; } = new(StringComparer.OrdinalIgnoreCase);

        public bool RootScopeSeen { get; set; }

        /// <summary>User Access Administrator at "/": the assignment and its principal.</summary>
        public List<(ResourceRef Assignment, string? PrincipalId)> RootUserAccessAdministrators { get; } = [];
    }

    internal sealed class Observer : IResourceObserver
    {
        public static readonly Observer Instance = new();

        public void Observe(TenantResource resource, EvaluationContext context)
        {
            if (!resource.Is(Type))
            {
                return;
            }

            var facts = context.State<Facts>("roleAssignments/facts");
            facts.Count++;
            if (Scope(resource) is not { } scope)
            {
                return;
            }

            if (scope == "/")
            {
                facts.RootScopeSeen = true;
                if (Is(resource, UserAccessAdministrator))
                {
                    facts.RootUserAccessAdministrators.Add((resource.Ref, Field.Text(Field.Navigate(resource.Data, "properties.principalId"))));
                }
            }
            else if (scope.Split('/', StringSplitOptions.RemoveEmptyEntries).Length == 2)
            {
                if (!facts.SubscriptionIndex.TryGetValue(scope, out var i))
                {
                    facts.SubscriptionIndex[scope] = i = facts.Subscriptions.Count;
                    facts.Subscriptions.Add((scope, resource.Source, new HashSet<string?>(StringComparer.OrdinalIgnoreCase)));
                }

                if (Is(resource, Owner))
                {
                    facts.Subscriptions[i].Owners.Add(Field.Text(Field.Navigate(resource.Data, "properties.principalId")));
                }
            }
        }
    }
}

/// <summary>PRV-08: 2 to 3 Owners at each subscription scope.</summary>
public sealed class Prv08SubscriptionOwnerCount : IControlEvaluator, IObservingEvaluator
{
    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Prv08];

    IReadOnlyList<string> IControlEvaluator.Reads => [];

    IResourceObserver IObservingEvaluator.Observer => RoleAssignments.Observer.Instance;

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var facts = context.State<RoleAssignments.Facts>("roleAssignments/facts");
        if (facts.Count == 0)
        {
            yield return ResourceControl.Absent(ControlIds.Prv08, [RoleAssignments.Type], context) with { Status = ControlStatus.Unknown };
            yield break;
        }

        var min = context.Configuration.Threshold("subscriptionOwnersMin");
        var max = context.Configuration.Threshold("subscriptionOwnersMax");
        foreach (var (scope, source, ownerSet) in facts.Subscriptions)
        {
            var owners = ownerSet.Count;
            var ok = owners >= min && owners <= max;
            yield return new ControlResult
            {
                ControlId = ControlIds.Prv08,
                Status = ok ? ControlStatus.Pass : ControlStatus.Fail,
                Resource = new ResourceRef(scope, "Microsoft.Resources/subscriptions", null, source),
                Evidence = $"{owners} Owner(s) at {scope} (expected {Checks.Num(min)} to {Checks.Num(max)})",
                Remediation = ok ? null : Remedy.Manual("Keep two or three named Owners; use Contributor or narrower roles (and PIM) for everyone else."),
            };
        }

        if (facts.Subscriptions.Count == 0)
        {
            yield return new ControlResult
            {
                ControlId = ControlIds.Prv08,
                Status = ControlStatus.Unknown,
                Resource = ResourceRef.Tenant(),
                Evidence = "no role assignment at a subscription scope in the inputs",
            };
        }
    }
}

/// <summary>PRV-09: no custom role grants "*" (ARM roleDefinitions, Terraform azurerm_role_definition).</summary>
public sealed class Prv09NoCustomOwnerRoles : ResourceControl
{
    public override string ControlId => ControlIds.Prv09;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Authorization/roleDefinitions", "azurerm_role_definition"];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        resource.IsTerraform || !string.Equals(Field.Text(Field.Navigate(resource.Data, "properties.type")), "BuiltInRole", StringComparison.OrdinalIgnoreCase);

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var path = resource.IsTerraform ? "permissions" : "properties.permissions";
        var field = Field.Read(resource, path);
        if (!field.TryArray(out var permissions, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        var wildcard = permissions.OfType<JsonObject>().Any(p => Field.Texts(p["actions"]).Contains("*"));
        if (!wildcard)
        {
            // An action list (or an action) that is a template expression sfi did not evaluate may be "*": never a pass.
            var unevaluated = permissions.Select(p => p is JsonObject o ? o["actions"] : p)
                .FirstOrDefault(a => a is JsonValue || (a is JsonArray list && list.Any(x => x is not JsonValue v || Field.IsExpression(Field.Text(v) ?? string.Empty))));
            return unevaluated is not null
                ? Verdict.Unknown($"the actions {unevaluated.ToJsonString()} depend on template expressions sfi did not evaluate", path)
                : Verdict.Pass("no permission grants actions [\"*\"]", path);
        }

        var fix = resource.IsTerraform
            ? new RemediationAction { Kind = RemediationKind.Terraform, Description = "replace actions [\"*\"] with the actions the role needs", Address = resource.Id, Attribute = "permissions.0.actions" }
            : Remedy.Manual("Replace actions [\"*\"] with the specific actions the role needs (PUT the role definition), or delete the role and use a built-in role.");
        return Verdict.Fail("a custom role grants actions [\"*\"] (an Owner role in disguise)", path, fix);
    }
}

/// <summary>PRV-10: nobody holds User Access Administrator at the root scope "/".</summary>
public sealed class Prv10UserAccessAdministratorRestricted : IControlEvaluator, IObservingEvaluator
{
    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Prv10];

    IReadOnlyList<string> IControlEvaluator.Reads => [];

    IResourceObserver IObservingEvaluator.Observer => RoleAssignments.Observer.Instance;

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var facts = context.State<RoleAssignments.Facts>("roleAssignments/facts");
        if (facts.Count == 0)
        {
            yield return ResourceControl.Absent(ControlIds.Prv10, [RoleAssignments.Type], context) with { Status = ControlStatus.Unknown };
            yield break;
        }

        if (!facts.RootScopeSeen)
        {
            yield return new ControlResult
            {
                ControlId = ControlIds.Prv10,
                Status = ControlStatus.Unknown,
                Resource = ResourceRef.Tenant(),
                Evidence = "no root-scope (\"/\") role assignments in the inputs; export them with az role assignment list --scope / to evaluate",
            };
            yield break;
        }

        if (facts.RootUserAccessAdministrators.Count == 0)
        {
            yield return new ControlResult { ControlId = ControlIds.Prv10, Status = ControlStatus.Pass, Resource = ResourceRef.Tenant(), Evidence = "no User Access Administrator at \"/\"" };
            yield break;
        }

        foreach (var (assignment, principalId) in facts.RootUserAccessAdministrators)
        {
            yield return new ControlResult
            {
                ControlId = ControlIds.Prv10,
                Status = ControlStatus.Fail,
                Resource = assignment,
                Evidence = $"principal {principalId} holds User Access Administrator at \"/\"",
                Remediation = new RemediationAction
                {
                    Kind = RemediationKind.Arm,
                    Description = "remove the root-scope User Access Administrator assignment (elevated access)",
                    Method = "DELETE",
                    Url = $"{Remedy.ArmEndpoint}{assignment.Id}?api-version=2022-04-01",
                },
            };
        }
    }
}

/// <summary>TEN-09: enabled guests who have not signed in within the threshold (or never, and created before it).</summary>
public sealed class Ten09InactiveGuestsDisabled : ResourceControl
{
    public override string ControlId => ControlIds.Ten09;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.User];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        string.Equals(Field.Text(resource.Data["userType"]), "Guest", StringComparison.OrdinalIgnoreCase);

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var days = context.Configuration.Threshold("guestInactiveDays");
        var enabled = Field.Read(resource, "accountEnabled");
        if (!enabled.TryBool(out var isEnabled, out var problem))
        {
            return Verdict.Unknown(problem!, "accountEnabled");
        }

        if (!isEnabled)
        {
            return Verdict.Pass("the guest is disabled", "accountEnabled");
        }

        if (Field.Navigate(resource.Data, "signInActivity") is not JsonObject)
        {
            return Verdict.Unknown("signInActivity is missing (GET /users?$select=signInActivity needs AuditLog.Read.All and Entra ID P1)", "signInActivity");
        }

        var last = Field.Read(resource, "signInActivity.lastSignInDateTime");
        DateTimeOffset reference;
        string what;
        if (last.IsPresent && last.Node is not null)
        {
            if (!last.TryDate(out reference, out problem))
            {
                return Verdict.Unknown(problem!, last.Path);
            }

            what = $"last signed in {reference:yyyy-MM-dd}";
        }
        else if (Field.Read(resource, "createdDateTime").TryDate(out reference, out problem))
        {
            what = $"never signed in (created {reference:yyyy-MM-dd})";
        }
        else
        {
            return Verdict.Unknown($"never signed in and {problem}", "createdDateTime");
        }

        return (context.Now - reference).TotalDays > days
            ? Verdict.Fail($"enabled guest {what}, more than {Checks.Num(days)} days ago", last.Path,
                Remedy.Graph("PATCH", $"users/{resource.Id}", new JsonObject { ["accountEnabled"] = false }, "disable the inactive guest"))
            : Verdict.Pass($"guest {what}", last.Path);
    }
}
