using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>
/// PIM settings per directory role, from <c>GET /policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and
/// scopeType eq 'DirectoryRole'&amp;$expand=policy($expand=rules)</c> or ScubaGear's <c>privileged_roles</c>: each
/// assignment names the role and carries its policy's rules. Without the expanded rules the verdict is unknown; a
/// rule the expanded policy does not hold is a setting that is not configured, and fails (a role with no PIM policy
/// at all has no approval and sends no alerts).
/// </summary>
public abstract class PimPolicyControl : IControlEvaluator
{
    public abstract string ControlId { get; }

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlId];

    IReadOnlyList<string> IControlEvaluator.Reads => [GraphTypes.RoleManagementPolicyAssignment];

    /// <summary>The roles this control looks at.</summary>
    private protected abstract IReadOnlyList<string> Roles(EvaluationContext context);

    /// <param name="policyPath">The Graph path of the policy, for the fix (a placeholder when the export has no policy id).</param>
    private protected abstract Verdict Judge(JsonArray rules, string policyPath);

    internal static JsonObject? Rule(JsonArray rules, string id) =>
        rules.OfType<JsonObject>().FirstOrDefault(r => string.Equals(Field.Text(r["id"]), id, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var roles = Roles(context);
        var assignments = context.Snapshot.OfType(GraphTypes.RoleManagementPolicyAssignment)
            .Where(a => roles.Contains(Field.Text(a.Data["roleDefinitionId"]) ?? string.Empty, StringComparer.OrdinalIgnoreCase)).ToList();
        if (assignments.Count == 0)
        {
            yield return ResourceControl.Absent(ControlId, [GraphTypes.RoleManagementPolicyAssignment], context) with
            {
                Status = ControlStatus.Unknown,
                Evidence = "the inputs hold no PIM policy assignments for the roles concerned (GET /policies/roleManagementPolicyAssignments?$expand=policy($expand=rules))",
            };
            yield break;
        }

        foreach (var a in assignments)
        {
            var policyId = Field.Text(a.Data["policyId"]);
            var role = Field.Text(a.Data["roleDefinitionId"]);
            var scopeType = Field.Text(a.Data["scopeType"]) ?? "DirectoryRole";
            var policyPath = policyId is not null ? $"policies/roleManagementPolicies/{policyId}"
                : $"policies/roleManagementPolicies/{{policyId from GET /policies/roleManagementPolicyAssignments?$filter=scopeType eq '{scopeType}' (role {role})}}";
            var verdict = Field.Navigate(a.Data, "policy.rules") is JsonArray rules
                ? Judge(rules, policyPath)
                : Verdict.Unknown("policy.rules is missing (expand policy($expand=rules))", "policy.rules");
            yield return new ControlResult
            {
                ControlId = ControlId,
                Status = verdict.Status,
                Resource = new ResourceRef(policyId ?? a.Id, GraphTypes.RoleManagementPolicy, a.Name ?? $"role {role}", a.Source),
                Evidence = verdict.Evidence,
                PropertyPath = verdict.PropertyPath,
                Remediation = verdict.Remediation,
            };
        }
    }
}

/// <summary>PRV-04: activating Global Administrator requires approval (rule Approval_EndUser_Assignment).</summary>
public sealed class Prv04GlobalAdminActivationApproval : PimPolicyControl
{
    public override string ControlId => ControlIds.Prv04;

    private protected override IReadOnlyList<string> Roles(EvaluationContext context) => [Prv01GlobalAdministratorCount.GlobalAdministrator];

    private protected override Verdict Judge(JsonArray rules, string policyPath)
    {
        var rule = Rule(rules, "Approval_EndUser_Assignment");
        if (rule is not null && Field.Navigate(rule, "setting.isApprovalRequired") is not JsonValue)
        {
            return Verdict.Unknown("rule Approval_EndUser_Assignment has no setting.isApprovalRequired");
        }

        return rule is not null && Field.IsTrue(Field.Navigate(rule, "setting.isApprovalRequired"))
            ? Verdict.Pass("Global Administrator activation requires approval", "rules.Approval_EndUser_Assignment")
            : Verdict.Fail(rule is null ? "the PIM policy has no approval rule (Approval_EndUser_Assignment): activation needs no approval" : "Global Administrator activation does not require approval", "rules.Approval_EndUser_Assignment",
                Remedy.Graph("PATCH", $"{policyPath}/rules/Approval_EndUser_Assignment", new JsonObject
                {
                    ["@odata.type"] = "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                    ["id"] = "Approval_EndUser_Assignment",
                    ["target"] = new JsonObject { ["caller"] = "EndUser", ["operations"] = new JsonArray("All"), ["level"] = "Assignment" },
                    ["setting"] = new JsonObject
                    {
                        ["isApprovalRequired"] = true,
                        ["approvalMode"] = "SingleStage",
                        ["approvalStages"] = new JsonArray(new JsonObject
                        {
                            ["approvalStageTimeOutInDays"] = 1,
                            ["isApproverJustificationRequired"] = true,
                            ["primaryApprovers"] = new JsonArray(new JsonObject { ["@odata.type"] = "#microsoft.graph.groupMembers", ["groupId"] = "<approvers-group-id>" }),
                        }),
                    },
                }, "require approval to activate Global Administrator", caution: "name an approvers group that is reachable around the clock"));
    }
}

/// <summary>
/// PRV-05: admins are notified when privileged roles are assigned (active and eligible) and activated
/// (SCuBA MS.AAD.7.7-7.9): the notification rules have recipients or keep the default recipients.
/// </summary>
public sealed class Prv05PrivilegedAssignmentAlerts : PimPolicyControl
{
    private static readonly string[] RuleIds = ["Notification_Admin_Admin_Assignment", "Notification_Admin_Admin_Eligibility", "Notification_Admin_EndUser_Assignment"];

    public override string ControlId => ControlIds.Prv05;

    private protected override IReadOnlyList<string> Roles(EvaluationContext context) => context.Configuration.PrivilegedRoles;

    private protected override Verdict Judge(JsonArray rules, string policyPath)
    {
        var silent = new List<string>();
        foreach (var id in RuleIds)
        {
            // A notification rule the policy does not hold sends nothing.
            var rule = Rule(rules, id);
            var recipients = Field.Texts(rule?["notificationRecipients"]);
            if (rule is null || (recipients.Count == 0 && !Field.IsTrue(rule["isDefaultRecipientsEnabled"])))
            {
                silent.Add(id);
            }
        }

        return silent.Count == 0
            ? Verdict.Pass("assignment, eligibility and activation notifications reach admins")
            : Verdict.Fail($"no recipients for {string.Join(", ", silent)}", "rules",
                Remedy.Graph("PATCH", $"{policyPath}/rules/{silent[0]}", new JsonObject
                {
                    ["@odata.type"] = "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
                    ["id"] = silent[0],
                    ["notificationType"] = "Email",
                    ["recipientType"] = "Admin",
                    ["notificationLevel"] = "All",
                    ["isDefaultRecipientsEnabled"] = true,
                    ["notificationRecipients"] = new JsonArray("<security-team@your-domain>"),
                }, $"send {string.Join(", ", silent)} to the security team (one PATCH per rule)"));
    }
}
