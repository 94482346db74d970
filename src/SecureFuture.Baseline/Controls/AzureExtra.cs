using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>TEN-11: the tenant's subscription policy blocks subscriptions leaving and entering the tenant.</summary>
public sealed class Ten11SubscriptionTenantTransferControlled : ResourceControl
{
    public override string ControlId => ControlIds.Ten11;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Subscription/policies"];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        RemediationAction Fix() => new()
        {
            Kind = RemediationKind.Arm,
            Description = "block subscriptions leaving or entering the tenant (exempt named users with exemptedPrincipals)",
            Method = "PUT",
            Url = $"{Remedy.ArmEndpoint}/providers/Microsoft.Subscription/policies/default?api-version=2021-10-01",
            Body = new JsonObject
            {
                ["properties"] = new JsonObject { ["blockSubscriptionsLeavingTenant"] = true, ["blockSubscriptionsIntoTenant"] = true, ["exemptedPrincipals"] = new JsonArray() },
            },
        };
        return Checks.All(
            Checks.Bool(resource, "properties.blockSubscriptionsLeavingTenant", true, Fix),
            Checks.Bool(resource, "properties.blockSubscriptionsIntoTenant", true, Fix));
    }
}

/// <summary>
/// KEY-08: certificate validity at most the threshold. Certificate policies are data-plane objects that ARM does not
/// list, so this reads Terraform's <c>azurerm_key_vault_certificate</c>.
/// </summary>
public sealed class Key08KeyVaultCertValidity : ResourceControl
{
    public override string ControlId => ControlIds.Key08;

    public override IReadOnlyList<string> Types { get; } = ["azurerm_key_vault_certificate"];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        Field.Navigate(resource.Data, "certificate_policy.0.x509_certificate_properties") is JsonArray { Count: > 0 };

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var months = context.Configuration.Threshold("certificateValidityMonths");
        const string path = "certificate_policy.0.x509_certificate_properties.0.validity_in_months";
        var field = Field.Read(resource, path);
        if (!field.TryNumber(out var value, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        return value <= months
            ? Verdict.Pass($"{path} = {Checks.Num(value)}", path)
            : Verdict.Fail($"{path} = {Checks.Num(value)} (at most {Checks.Num(months)})", path,
                Remedy.Property(resource, path, JsonValue.Create((int)months), string.Empty));
    }
}

/// <summary>
/// NET-07: a Network Watcher in every region that holds resources. Needs the watchers in the export: when the inputs
/// hold none at all, the result is unknown (they may simply not have been exported).
/// </summary>
public sealed class Net07NetworkWatcherInUsedRegions : IControlEvaluator, IObservingEvaluator
{
    private const string WatcherType = "Microsoft.Network/networkWatchers";

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Net07];

    /// <summary>Nothing is kept: the regions are collected as the resources are read.</summary>
    IReadOnlyList<string> IControlEvaluator.Reads => [];

    IResourceObserver IObservingEvaluator.Observer => RegionObserver.Instance;

    /// <summary>The regions that hold watchers, and those that hold other network resources (ARM exports only).</summary>
    private sealed class Regions
    {
        public int Watchers { get; set; }

        public HashSet<string> Covered { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Used { get; } = new(StringComparer.Ordinal);
    }

    private sealed class RegionObserver : IResourceObserver
    {
        public static readonly RegionObserver Instance = new();

        public void Observe(TenantResource resource, EvaluationContext context)
        {
            if (resource.Format != InputFormat.ArmResources || !resource.Type.Contains("Microsoft.Network", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            var regions = context.State<Regions>("NET-07/regions");
            var watcher = resource.Is(WatcherType);
            if (watcher)
            {
                regions.Watchers++;
            }

            // The location the reader kept (no tree is parsed for each of thousands of network resources).
            if (resource.Location?.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant() is { } region)
            {
                if (watcher)
                {
                    regions.Covered.Add(region);
                }
                else if (region != "global")
                {
                    regions.Used.Add(region);
                }
            }
        }
    }

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var regions = context.State<Regions>("NET-07/regions");
        if (regions.Watchers == 0)
        {
            yield return new ControlResult
            {
                ControlId = ControlIds.Net07,
                Status = ControlStatus.Unknown,
                Resource = ResourceRef.Tenant(),
                Evidence = "the inputs hold no Microsoft.Network/networkWatchers; export them (az resource list) to evaluate this control",
            };
            yield break;
        }

        var covered = regions.Covered;
        var used = regions.Used;
        foreach (var region in used.Order(StringComparer.Ordinal))
        {
            var ok = covered.Contains(region);
            yield return new ControlResult
            {
                ControlId = ControlIds.Net07,
                Status = ok ? ControlStatus.Pass : ControlStatus.Fail,
                Resource = new ResourceRef($"region/{region}", "region", region, null),
                Evidence = ok ? $"a Network Watcher exists in {region}" : $"network resources in {region} but no Network Watcher there",
                Remediation = ok ? null : new RemediationAction
                {
                    Kind = RemediationKind.Arm,
                    Description = $"create NetworkWatcher_{region} in NetworkWatcherRG",
                    Method = "PUT",
                    Url = $"{Remedy.ArmEndpoint}/subscriptions/<subscription-id>/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_{region}?api-version=2023-11-01",
                    Body = new JsonObject { ["location"] = region, ["properties"] = new JsonObject() },
                },
            };
        }

        if (used.Count == 0)
        {
            yield return new ControlResult { ControlId = ControlIds.Net07, Status = ControlStatus.NotApplicable, Resource = ResourceRef.Tenant(), Evidence = "no regional network resources in the inputs" };
        }
    }
}

/// <summary>KEY-11: storage accounts that receive diagnostic logs (a diagnostic setting's storageAccountId) use a customer-managed key.</summary>
public sealed class Key11CmkForLogStorage : IControlEvaluator, IObservingEvaluator
{
    private const string EntraSettingType = "microsoft.aadiam/diagnosticSettings";

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Key11];

    /// <summary>The settings are kept; the storage accounts (thousands) are judged as they are read and only the verdict is kept.</summary>
    IReadOnlyList<string> IControlEvaluator.Reads => [Diagnostics.SettingType, EntraSettingType];

    IResourceObserver IObservingEvaluator.Observer => AccountObserver.Instance;

    /// <summary>Each storage account's key source verdict, by id (the first account of an id wins, as a lookup would).</summary>
    private sealed class Accounts : Dictionary<string, (ResourceRef Account, Verdict Verdict)>
    {
        public Accounts()
            : base(StringComparer.OrdinalIgnoreCase)
        {
        }
    }

    private sealed class AccountObserver : IResourceObserver
    {
        public static readonly AccountObserver Instance = new();

        public void Observe(TenantResource resource, EvaluationContext context)
        {
            if (!resource.Is(StorageAccountControl.ArmType))
            {
                return;
            }

            var accounts = context.State<Accounts>("KEY-11/accounts");
            if (accounts.ContainsKey(resource.Id))
            {
                return;
            }

            var verdict = Checks.OneOf(resource, "properties.encryption.keySource", ["Microsoft.Keyvault"],
                () => Remedy.Manual("Create a key in Key Vault (purge protection on), give the account's managed identity access, then set encryption.keySource = Microsoft.Keyvault with keyvaultproperties."));
            // A plain verdict: the deferred fix of the original would keep the whole resource alive.
            accounts[resource.Id] = (resource.Ref, new Verdict(verdict.Status, context.Share(verdict.Evidence), verdict.PropertyPath, verdict.Status == ControlStatus.Fail ? verdict.Remediation : null));
        }
    }

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var targets = context.Snapshot.OfType(Diagnostics.SettingType).Concat(context.Snapshot.OfType(EntraSettingType))
            .Select(s => Field.Text(Field.Navigate(s.Data, "properties.storageAccountId"))).OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (targets.Count == 0)
        {
            yield return new ControlResult
            {
                ControlId = ControlIds.Key11,
                Status = ControlStatus.Unknown,
                Resource = ResourceRef.Tenant(),
                Evidence = "no diagnostic setting in the inputs sends logs to a storage account",
            };
            yield break;
        }

        foreach (var id in targets.Order(StringComparer.OrdinalIgnoreCase))
        {
            if (!context.State<Accounts>("KEY-11/accounts").TryGetValue(id, out var account))
            {
                yield return new ControlResult { ControlId = ControlIds.Key11, Status = ControlStatus.Unknown, Resource = new ResourceRef(id, StorageAccountControl.ArmType, null, null), Evidence = "the log storage account is not in the inputs" };
                continue;
            }

            var verdict = account.Verdict;
            yield return new ControlResult
            {
                ControlId = ControlIds.Key11,
                Status = verdict.Status,
                Resource = account.Account,
                Evidence = verdict.Evidence,
                PropertyPath = verdict.PropertyPath,
                Remediation = verdict.Remediation,
            };
        }
    }
}
