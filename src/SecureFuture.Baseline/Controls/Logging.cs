using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>
/// Defender plans: <c>Microsoft.Security/pricings/&lt;plan&gt;</c> with pricingTier Standard. Checked on each pricing
/// as it is read (thousands of subscriptions each export a dozen pricings); a plan not in the inputs is unknown.
/// </summary>
public abstract class DefenderPlanControl : ResourceControl
{
    public const string PricingType = "Microsoft.Security/pricings";

    protected abstract string Plan { get; }

    public override IReadOnlyList<string> Types { get; } = [PricingType];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        string.Equals(resource.Name, Plan, StringComparison.OrdinalIgnoreCase);

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.OneOf(resource, "properties.pricingTier", ["Standard"],
            () => Remedy.Property(resource, "properties.pricingTier", JsonValue.Create("Standard"), "2024-01-01", "Defender plans are billed") with { Method = "PUT" });

    /// <summary>Unknown, never not applicable: a plan that is not exported may simply be off.</summary>
    internal override ControlResult Absent(EvaluationContext context, bool sawTypes) => new()
    {
        ControlId = ControlId,
        Status = ControlStatus.Unknown,
        Resource = ResourceRef.Tenant(),
        Evidence = sawTypes ? $"the pricings in the inputs do not include the {Plan} plan" : $"the inputs hold no {PricingType}; export them to evaluate Defender plans",
    };
}

/// <summary>KEY-10.</summary>
public sealed class Key10DefenderForKeyVault : DefenderPlanControl
{
    public override string ControlId => ControlIds.Key10;

    protected override string Plan => "KeyVaults";
}

/// <summary>LOG-04.</summary>
public sealed class Log04DefenderCspm : DefenderPlanControl
{
    public override string ControlId => ControlIds.Log04;

    protected override string Plan => "CloudPosture";
}

/// <summary>LOG-05.</summary>
public sealed class Log05DefenderForStorage : DefenderPlanControl
{
    public override string ControlId => ControlIds.Log05;

    protected override string Plan => "StorageAccounts";
}

/// <summary>LOG-06.</summary>
public sealed class Log06DefenderForServers : DefenderPlanControl
{
    public override string ControlId => ControlIds.Log06;

    protected override string Plan => "VirtualMachines";
}

/// <summary>LOG-07.</summary>
public sealed class Log07DefenderForResourceManager : DefenderPlanControl
{
    public override string ControlId => ControlIds.Log07;

    protected override string Plan => "Arm";
}

/// <summary>LOG-01 and LOG-02 read subscription-scope diagnostic settings (id <c>/subscriptions/{id}/providers/Microsoft.Insights/diagnosticSettings/{name}</c>).</summary>
public abstract class SubscriptionDiagnosticsControl : IControlEvaluator, IObservingEvaluator
{
    public abstract string ControlId { get; }

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlId];

    IReadOnlyList<string> IControlEvaluator.Reads => [Diagnostics.SettingType];

    IResourceObserver IObservingEvaluator.Observer => SubscriptionObserver.Instance;

    /// <summary>The subscriptions the ARM resources of the inputs live in; one instance serves LOG-01 and LOG-02.</summary>
    private sealed class SubscriptionObserver : IResourceObserver
    {
        public static readonly SubscriptionObserver Instance = new();

        public void Observe(TenantResource resource, EvaluationContext context)
        {
            if (resource.Format != InputFormat.ArmResources || SubscriptionSpan(resource.Id) is not { IsEmpty: false } subscription)
            {
                return;
            }

            // Looked up by span: a string is made once per subscription, not once per resource.
            var seen = context.State<SubscriptionSet>("LOG/subscriptions");
            if (!seen.GetAlternateLookup<ReadOnlySpan<char>>().Contains(subscription))
            {
                seen.Add(subscription.ToString());
            }
        }
    }

    protected static bool IsSubscriptionScope(TenantResource setting) =>
        setting.Id.Split('/', StringSplitOptions.RemoveEmptyEntries) is { Length: 6 } parts
        && string.Equals(parts[0], "subscriptions", StringComparison.OrdinalIgnoreCase)
        && string.Equals(parts[2], "providers", StringComparison.OrdinalIgnoreCase);

    protected abstract Verdict Judge(IReadOnlyList<TenantResource> settings, string subscription);

    private sealed class SubscriptionSet : HashSet<string>
    {
        public SubscriptionSet()
            : base(StringComparer.OrdinalIgnoreCase)
        {
        }
    }

    /// <summary>The subscription id of <c>/subscriptions/{id}/...</c> (the third segment), without splitting the whole id.</summary>
    private static ReadOnlySpan<char> SubscriptionSpan(string id)
    {
        const string Prefix = "/subscriptions/";
        if (!id.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }

        var end = id.IndexOf('/', Prefix.Length);
        return end < 0 ? id.AsSpan(Prefix.Length) : id.AsSpan(Prefix.Length, end - Prefix.Length);
    }

    private static string? SubscriptionOf(string id) => SubscriptionSpan(id) is { IsEmpty: false } s ? s.ToString() : null;

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Snapshot.OfType(Diagnostics.SettingType).Where(IsSubscriptionScope).ToList();
        var subscriptions = context.State<SubscriptionSet>("LOG/subscriptions").Order(StringComparer.OrdinalIgnoreCase).ToList();
        if (subscriptions.Count == 0 || context.Snapshot.OfType(Diagnostics.SettingType).Count == 0)
        {
            yield return new ControlResult
            {
                ControlId = ControlId,
                Status = ControlStatus.Unknown,
                Resource = ResourceRef.Tenant(),
                Evidence = "the inputs hold no subscription diagnostic settings (az monitor diagnostic-settings subscription list); export them to evaluate this control",
            };
            yield break;
        }

        foreach (var subscription in subscriptions)
        {
            var mine = settings.Where(s => string.Equals(SubscriptionOf(s.Id), subscription, StringComparison.OrdinalIgnoreCase)).ToList();
            var verdict = Judge(mine, subscription);
            yield return new ControlResult
            {
                ControlId = ControlId,
                Status = verdict.Status,
                Resource = mine.Count > 0 ? ResourceRef.Of(mine[0]) : new ResourceRef($"/subscriptions/{subscription}", "Microsoft.Resources/subscriptions", null, null),
                Evidence = verdict.Evidence,
                Remediation = verdict.Remediation,
            };
        }
    }

    protected static RemediationAction Put(string subscription) => new()
    {
        Kind = RemediationKind.Arm,
        Description = "export the activity log (Administrative, Security, Policy, Alert) to a Log Analytics workspace",
        Method = "PUT",
        Url = $"{Remedy.ArmEndpoint}/subscriptions/{subscription}/providers/Microsoft.Insights/diagnosticSettings/sfi-activity-log?api-version=2021-05-01-preview",
        Body = new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["workspaceId"] = "<log-analytics-workspace-resource-id>",
                ["logs"] = new JsonArray([.. Log02ActivityLogCategoriesCaptured.Required.Select(c => (JsonNode)new JsonObject { ["category"] = c, ["enabled"] = true })]),
            },
        },
    };
}

/// <summary>LOG-01.</summary>
public sealed class Log01SubscriptionActivityLogExported : SubscriptionDiagnosticsControl
{
    public override string ControlId => ControlIds.Log01;

    private static readonly string[] Destinations = ["workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId"];

    /// <summary>A setting counts when it has a destination and sends at least one category.</summary>
    protected override Verdict Judge(IReadOnlyList<TenantResource> settings, string subscription)
    {
        var working = settings.Where(s => Diagnostics.EnabledCategories(s).Count > 0
            && Destinations.Any(d => Field.Text(Field.Navigate(s.Data, $"properties.{d}")) is { Length: > 0 })).ToList();
        return working.Count > 0
            ? Verdict.Pass($"subscription diagnostic setting(s) exporting the activity log: {string.Join(", ", working.Select(s => s.Name))}")
            : Verdict.Fail(settings.Count == 0
                ? $"subscription {subscription} has no activity-log diagnostic setting"
                : $"the subscription diagnostic setting(s) of {subscription} send no category to a destination", null, Put(subscription));
    }
}

/// <summary>LOG-02.</summary>
public sealed class Log02ActivityLogCategoriesCaptured : SubscriptionDiagnosticsControl
{
    internal static readonly string[] Required = ["Administrative", "Security", "Policy", "Alert"];

    public override string ControlId => ControlIds.Log02;

    protected override Verdict Judge(IReadOnlyList<TenantResource> settings, string subscription)
    {
        var enabled = settings.SelectMany(Diagnostics.EnabledCategories).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = Required.Where(c => !enabled.Contains(c) && !enabled.Contains("allLogs")).ToList();
        return missing.Count == 0
            ? Verdict.Pass($"categories captured: {string.Join(", ", Required)}")
            : Verdict.Fail($"categories not captured: {string.Join(", ", missing)}", null, Put(subscription));
    }
}

/// <summary>LOG-03: Entra diagnostic settings (<c>microsoft.aadiam/diagnosticSettings</c>) export the identity logs.</summary>
internal sealed class Log03EntraLogsExported : AggregateControl<Log03EntraLogsExported.Facts>
{
    private static readonly string[] Required = ["AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs", "MicrosoftGraphActivityLogs"];

    public override string ControlId => ControlIds.Log03;

    protected override string ObservedType => "microsoft.aadiam/diagnosticSettings";

    /// <summary>The categories the Entra diagnostic settings export, and the first setting.</summary>
    internal sealed class Facts
    {
        public ResourceRef? First { get; set; }

        public HashSet<string> Enabled { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    private protected override void Observe(TenantResource resource, Facts facts)
    {
        facts.First ??= resource.Ref;
        facts.Enabled.UnionWith(Diagnostics.EnabledCategories(resource));
    }

    private protected override IEnumerable<ControlResult> Evaluate(Facts facts, EvaluationContext context)
    {
        if (facts.First is not { } first)
        {
            yield return ResourceControl.Absent(ControlIds.Log03, [ObservedType], context) with
            {
                Status = ControlStatus.Unknown,
                Evidence = "the inputs hold no microsoft.aadiam/diagnosticSettings (GET /providers/microsoft.aadiam/diagnosticSettings); export them to evaluate this control",
            };
            yield break;
        }

        var enabled = facts.Enabled;
        var missing = Required.Where(c => !enabled.Contains(c)).ToList();
        yield return new ControlResult
        {
            ControlId = ControlIds.Log03,
            Status = missing.Count == 0 ? ControlStatus.Pass : ControlStatus.Fail,
            Resource = first,
            Evidence = missing.Count == 0 ? $"exported: {string.Join(", ", Required)}" : $"not exported: {string.Join(", ", missing)}",
            Remediation = missing.Count == 0 ? null : new RemediationAction
            {
                Kind = RemediationKind.Arm,
                Description = "export the Entra logs to a Log Analytics workspace",
                Method = "PUT",
                Url = $"{Remedy.ArmEndpoint}/providers/microsoft.aadiam/diagnosticSettings/sfi-entra-logs?api-version=2017-04-01",
                Body = new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["workspaceId"] = "<log-analytics-workspace-resource-id>",
                        ["logs"] = new JsonArray([.. Required.Select(c => (JsonNode)new JsonObject { ["category"] = c, ["enabled"] = true })]),
                    },
                },
            },
        };
    }
}

/// <summary>LOG-08: a security contact with an email, notifying subscription owners.</summary>
public sealed class Log08SecurityContactNotifyOwners : ResourceControl
{
    public override string ControlId => ControlIds.Log08;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Security/securityContacts"];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var fix = () => Remedy.Property(resource, "properties", new JsonObject
        {
            ["emails"] = "<security-team@your-domain>",
            ["isEnabled"] = true,
            ["notificationsByRole"] = new JsonObject { ["state"] = "On", ["roles"] = new JsonArray("Owner") },
            ["notificationsSources"] = new JsonArray(new JsonObject { ["sourceType"] = "Alert", ["minimalSeverity"] = "Medium" }),
        }, "2023-12-01-preview") with
        { Method = "PUT" };
        var emails = Field.Read(resource, "properties.emails");
        if (!emails.TryString(out var address, out var problem))
        {
            return Verdict.Unknown(problem!, emails.Path);
        }

        if (string.IsNullOrWhiteSpace(address))
        {
            return Verdict.FailWithDeferredFix("properties.emails is empty", emails.Path, fix);
        }

        // API 2023-12-01-preview: notificationsByRole {state, roles}; 2020-01-01-preview used alertsToAdmins.
        var state = Field.Read(resource, "properties.notificationsByRole.state");
        if (state.IsPresent)
        {
            var roles = Field.Texts(Field.Navigate(resource.Data, "properties.notificationsByRole.roles"));
            var on = string.Equals(Field.Text(state.Node), "On", StringComparison.OrdinalIgnoreCase) && roles.Contains("Owner", StringComparer.OrdinalIgnoreCase);
            return on
                ? Verdict.Pass("a security contact email is set and owners are notified", state.Path)
                : Verdict.FailWithDeferredFix($"notificationsByRole.state = {Field.Text(state.Node)}, roles = [{string.Join(", ", roles)}] (owners not notified)", state.Path, fix);
        }

        return Checks.OneOf(resource, "properties.alertsToAdmins", ["On"], fix);
    }
}

/// <summary>LOG-09: enabled activity-log alerts for policy assignment and NSG writes and deletes.</summary>
internal sealed class Log09PolicyAndNsgChangeAlerts : AggregateControl<Log09PolicyAndNsgChangeAlerts.Facts>
{
    private static readonly string[] Required =
    [
        "Microsoft.Authorization/policyAssignments/write", "Microsoft.Authorization/policyAssignments/delete",
        "Microsoft.Network/networkSecurityGroups/write", "Microsoft.Network/networkSecurityGroups/delete",
    ];

    public override string ControlId => ControlIds.Log09;

    protected override string ObservedType => "Microsoft.Insights/activityLogAlerts";

    /// <summary>The operations the enabled alerts cover, and the first alert.</summary>
    internal sealed class Facts
    {
        public ResourceRef? First { get; set; }

        public HashSet<string> Covered { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    private protected override void Observe(TenantResource alert, Facts facts)
    {
        facts.First ??= alert.Ref;
        if (Field.Navigate(alert.Data, "properties.enabled") is JsonValue e && !Field.IsTrue(e))
        {
            return;
        }

        if (Field.Navigate(alert.Data, "properties.condition.allOf") is JsonArray all)
        {
            foreach (var c in all.OfType<JsonObject>())
            {
                if (string.Equals(Field.Text(c["field"]), "operationName", StringComparison.OrdinalIgnoreCase) && Field.Text(c["equals"]) is { } op)
                {
                    facts.Covered.Add(op);
                }
            }
        }
    }

    private protected override IEnumerable<ControlResult> Evaluate(Facts facts, EvaluationContext context)
    {
        if (facts.First is not { } first)
        {
            yield return ResourceControl.Absent(ControlIds.Log09, [ObservedType], context) with
            {
                Status = ControlStatus.Unknown,
                Evidence = "the inputs hold no Microsoft.Insights/activityLogAlerts; without them the alerts cannot be shown to exist",
            };
            yield break;
        }

        var covered = facts.Covered;
        var missing = Required.Where(r => !covered.Contains(r)).ToList();
        yield return new ControlResult
        {
            ControlId = ControlIds.Log09,
            Status = missing.Count == 0 ? ControlStatus.Pass : ControlStatus.Fail,
            Resource = first,
            Evidence = missing.Count == 0 ? "alerts exist for every policy-assignment and NSG write/delete" : $"no enabled activity-log alert for: {string.Join(", ", missing)}",
            Remediation = missing.Count == 0 ? null : Remedy.Manual($"Create activity-log alerts (scope: each subscription) with condition category Administrative and operationName {string.Join(", ", missing)}, routed to an action group."),
        };
    }
}

/// <summary>LOG-10: the Microsoft cloud security benchmark initiative is assigned and enforced.</summary>
internal sealed class Log10McsbInitiativeAssigned : AggregateControl<Log10McsbInitiativeAssigned.Facts>
{
    private const string McsbInitiative = "1f3afdf9-d0c9-4c3d-847f-89da613e70a8";

    public override string ControlId => ControlIds.Log10;

    protected override string ObservedType => "Microsoft.Authorization/policyAssignments";

    /// <summary>How many assignments, the first that assigns the initiative, and the first that also enforces it.</summary>
    internal sealed class Facts
    {
        public int Count { get; set; }

        public ResourceRef? FirstMcsb { get; set; }

        public (ResourceRef Ref, string? Name)? Enforced { get; set; }
    }

    private protected override void Observe(TenantResource assignment, Facts facts)
    {
        facts.Count++;
        if (facts.Enforced is not null
            || !(Field.Text(Field.Navigate(assignment.Data, "properties.policyDefinitionId")) ?? string.Empty).EndsWith("/" + McsbInitiative, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        facts.FirstMcsb ??= assignment.Ref;
        if (!string.Equals(Field.Text(Field.Navigate(assignment.Data, "properties.enforcementMode")), "DoNotEnforce", StringComparison.OrdinalIgnoreCase))
        {
            facts.Enforced = (assignment.Ref, assignment.Name);
        }
    }

    private protected override IEnumerable<ControlResult> Evaluate(Facts facts, EvaluationContext context)
    {
        if (facts.Count == 0)
        {
            yield return ResourceControl.Absent(ControlIds.Log10, [ObservedType], context) with
            {
                Status = ControlStatus.Unknown,
                Evidence = "the inputs hold no Microsoft.Authorization/policyAssignments",
            };
            yield break;
        }

        var enforced = facts.Enforced;
        yield return new ControlResult
        {
            ControlId = ControlIds.Log10,
            Status = enforced is not null ? ControlStatus.Pass : ControlStatus.Fail,
            Resource = enforced is { } e ? e.Ref : facts.FirstMcsb ?? ResourceRef.Tenant(),
            Evidence = enforced is { } en ? $"assignment {en.Name} assigns the MCSB initiative"
                : facts.FirstMcsb is not null ? "the MCSB initiative is assigned with enforcementMode DoNotEnforce" : $"no assignment of initiative {McsbInitiative} among {facts.Count} policy assignment(s)",
            Remediation = enforced is not null ? null : Remedy.Manual("Assign the 'Microsoft cloud security benchmark' initiative (Defender for Cloud > Environment settings > Security policy) at the subscription or management group, enforcement mode Default."),
        };
    }
}

/// <summary>LOG-11.</summary>
public sealed class Log11LogRetentionTwoYears : PropertyControl
{
    public override string ControlId => ControlIds.Log11;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.OperationalInsights/workspaces", "azurerm_log_analytics_workspace"];

    protected override string ApiVersion => "2023-09-01";

    protected override string? Caution => "retention beyond the free period is billed";

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var days = context.Configuration.Threshold("logRetentionDays");
        var path = resource.IsTerraform ? "retention_in_days" : "properties.retentionInDays";
        return Checks.AtLeast(resource, path, days, () => Fix(resource, path, JsonValue.Create((int)days)));
    }
}
