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
public sealed class Net07NetworkWatcherInUsedRegions : IControlEvaluator
{
    private const string WatcherType = "Microsoft.Network/networkWatchers";

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Net07];

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var arm = context.Snapshot.Resources.Where(r => r.Format == InputFormat.ArmResources).ToList();
        var watchers = arm.Where(r => r.Is(WatcherType)).ToList();
        if (watchers.Count == 0)
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

        // The location the reader kept (no tree is parsed for each of thousands of network resources).
        static string? Region(TenantResource r) => r.Location?.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        var covered = watchers.Select(Region).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var used = arm.Where(r => !r.Is(WatcherType) && r.Type.Contains("Microsoft.Network", StringComparison.OrdinalIgnoreCase))
            .Select(Region).OfType<string>().Where(l => l != "global").ToHashSet(StringComparer.Ordinal);
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
public sealed class Key11CmkForLogStorage : IControlEvaluator
{
    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlIds.Key11];

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var targets = context.Snapshot.Resources.Where(r => r.Is(Diagnostics.SettingType) || r.Is("microsoft.aadiam/diagnosticSettings"))
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
            var account = context.Snapshot.OfType(StorageAccountControl.ArmType).FirstOrDefault(a => string.Equals(a.Id, id, StringComparison.OrdinalIgnoreCase));
            if (account is null)
            {
                yield return new ControlResult { ControlId = ControlIds.Key11, Status = ControlStatus.Unknown, Resource = new ResourceRef(id, StorageAccountControl.ArmType, null, null), Evidence = "the log storage account is not in the inputs" };
                continue;
            }

            var verdict = Checks.OneOf(account, "properties.encryption.keySource", ["Microsoft.Keyvault"],
                () => Remedy.Manual("Create a key in Key Vault (purge protection on), give the account's managed identity access, then set encryption.keySource = Microsoft.Keyvault with keyvaultproperties."));
            yield return new ControlResult
            {
                ControlId = ControlIds.Key11,
                Status = verdict.Status,
                Resource = ResourceRef.Of(account),
                Evidence = verdict.Evidence,
                PropertyPath = verdict.PropertyPath,
                Remediation = verdict.Remediation,
            };
        }
    }
}
