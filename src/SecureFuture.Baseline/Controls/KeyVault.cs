using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Key vaults: ARM <c>Microsoft.KeyVault/vaults</c> and Terraform <c>azurerm_key_vault</c>.</summary>
public abstract class KeyVaultControl : PropertyControl
{
    public const string ArmType = "Microsoft.KeyVault/vaults";

    public override IReadOnlyList<string> Types { get; } = [ArmType, "azurerm_key_vault"];

    protected override string ApiVersion => "2023-07-01";
}

/// <summary>KEY-01. Purge protection cannot be switched off again once on.</summary>
public sealed class Key01KeyVaultPurgeProtection : KeyVaultControl
{
    public override string ControlId => ControlIds.Key01;

    protected override string? Caution => "irreversible: purge protection cannot be disabled, and deleted vaults stay for the retention period";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, "purge_protection_enabled", true)
        : Bool(resource, "properties.enablePurgeProtection", true);
}

/// <summary>KEY-02: soft delete on with at least the threshold's retention (absent values: <see cref="PropertyDefaults"/>).</summary>
public sealed class Key02KeyVaultSoftDelete : KeyVaultControl
{
    public override string ControlId => ControlIds.Key02;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var minimum = context.Configuration.Threshold("softDeleteMinDays");
        if (resource.IsTerraform)
        {
            return Checks.AtLeast(resource, "soft_delete_retention_days", minimum, () => Fix(resource, "soft_delete_retention_days", JsonValue.Create(90)));
        }

        var enabled = Bool(resource, "properties.enableSoftDelete", true);
        if (enabled.Status != ControlStatus.Pass)
        {
            return enabled;
        }

        return Checks.All(enabled, Checks.AtLeast(resource, "properties.softDeleteRetentionInDays", minimum, () => Fix(resource, "properties.softDeleteRetentionInDays", JsonValue.Create(90))));
    }
}

/// <summary>KEY-03. Manual: moving from access policies to RBAC needs role assignments first.</summary>
public sealed class Key03KeyVaultRbac : KeyVaultControl
{
    public override string ControlId => ControlIds.Key03;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var path = resource.IsTerraform ? Checks.FirstPresent(resource, "enable_rbac_authorization", "rbac_authorization_enabled") : "properties.enableRbacAuthorization";
        return Checks.Bool(resource, path, true, () => Remedy.Manual(
            "Grant the equivalent Key Vault RBAC roles (Key Vault Secrets User, Crypto User, ...) for every access policy, then set enableRbacAuthorization = true; access policies stop applying at that moment."));
    }
}

/// <summary>KEY-04: public network access disabled, or the firewall denies by default.</summary>
public sealed class Key04KeyVaultPublicNetworkOff : KeyVaultControl
{
    public override string ControlId => ControlIds.Key04;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Checks.Any(Bool(resource, "public_network_access_enabled", false), Checks.OneOf(resource, "network_acls.0.default_action", ["Deny"]))
        : Checks.Any(OneOf(resource, "properties.publicNetworkAccess", ["Disabled"], "Disabled"), Checks.OneOf(resource, "properties.networkAcls.defaultAction", ["Deny"]));
}

/// <summary>KEY-05 and KEY-06 share the check: an expiry time on the object.</summary>
public abstract class VaultObjectExpiryControl : ResourceControl
{
    /// <summary>The same steps for every key and secret: one instance, not one per failure.</summary>
    private static readonly RemediationAction ManualFix = Remedy.Manual("Create a new version with an expiry date (and rotate consumers to it); existing versions cannot be given one programmatically without a new version.");

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var manual = ManualFix;
        if (resource.IsTerraform)
        {
            var field = Field.Read(resource, "expiration_date");
            return field.State switch
            {
                FieldState.KnownAfterApply => Verdict.Unknown(field.Problem!, field.Path),
                FieldState.Missing => Verdict.Fail("expiration_date is not set", field.Path, manual),
                _ when field.Node is null => Verdict.Fail("expiration_date is null", field.Path, manual),
                _ => field.TryDate(out var d, out var problem) ? Verdict.Pass($"expiration_date = {d:yyyy-MM-dd}", field.Path) : Verdict.Unknown(problem!, field.Path),
            };
        }

        // Without attributes (or without exp in them) the object never expires; only a resource exported without
        // its properties at all is unknown.
        if (Field.Navigate(resource.Data, "properties") is not JsonObject || Field.Navigate(resource.Data, "properties.attributes") is { } and not JsonObject)
        {
            return Verdict.Unknown("properties.attributes is missing or not an object", "properties.attributes");
        }

        var exp = Field.Read(resource, "properties.attributes.exp");
        if (exp.State == FieldState.Missing)
        {
            return Verdict.Fail("properties.attributes.exp is not set: the object never expires", exp.Path, manual);
        }

        return exp.TryDate(out var when, out var why)
            ? Verdict.Pass($"properties.attributes.exp = {when:yyyy-MM-dd}", exp.Path)
            : Verdict.Unknown(why!, exp.Path);
    }
}

/// <summary>KEY-05.</summary>
public sealed class Key05KeyVaultKeysExpire : VaultObjectExpiryControl
{
    public override string ControlId => ControlIds.Key05;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.KeyVault/vaults/keys", "azurerm_key_vault_key"];
}

/// <summary>KEY-06.</summary>
public sealed class Key06KeyVaultSecretsExpire : VaultObjectExpiryControl
{
    public override string ControlId => ControlIds.Key06;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.KeyVault/vaults/secrets", "azurerm_key_vault_secret"];
}

/// <summary>KEY-07: a rotation policy with a "rotate" lifetime action.</summary>
public sealed class Key07KeyVaultKeyAutoRotation : PropertyControl
{
    public override string ControlId => ControlIds.Key07;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.KeyVault/vaults/keys"];

    protected override string ApiVersion => "2023-07-01";

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        // Built when a report reads it (it names the key; a pass never needs it).
        RemediationAction Fix() => this.Fix(resource, "properties.rotationPolicy", new JsonObject
        {
            ["attributes"] = new JsonObject { ["expiryTime"] = "P1Y" },
            ["lifetimeActions"] = new JsonArray(new JsonObject
            {
                ["trigger"] = new JsonObject { ["timeBeforeExpiry"] = "P30D" },
                ["action"] = new JsonObject { ["type"] = "rotate" },
            }),
        });
        if (Field.Navigate(resource.Data, "properties") is not JsonObject)
        {
            return Verdict.Unknown("properties are missing");
        }

        var actions = Field.Read(resource, "properties.rotationPolicy.lifetimeActions");
        if (actions.State == FieldState.Missing)
        {
            return Verdict.FailWithDeferredFix("no rotationPolicy.lifetimeActions: the key is never rotated automatically", actions.Path, Fix);
        }

        if (!actions.TryArray(out var list, out var problem))
        {
            return Verdict.Unknown(problem!, actions.Path);
        }

        return list.Any(a => string.Equals(Field.Text(Field.Navigate(a, "action.type")), "rotate", StringComparison.OrdinalIgnoreCase))
            ? Verdict.Pass("rotationPolicy has a rotate lifetime action", actions.Path)
            : Verdict.FailWithDeferredFix("rotationPolicy has no rotate lifetime action (notify only)", actions.Path, Fix);
    }
}

/// <summary>KEY-09: a diagnostic setting on each vault sends AuditEvent (or the audit / allLogs group).</summary>
public sealed class Key09KeyVaultAuditLogging : ResourceControl
{
    public override string ControlId => ControlIds.Key09;

    public override IReadOnlyList<string> Types { get; } = [KeyVaultControl.ArmType];

    public override IReadOnlyList<string> Joins { get; } = [Diagnostics.SettingType];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) => !resource.IsTerraform && !resource.IsInfrastructureAsCode;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        // Indexed once per assessment: scanning the snapshot for every vault was quadratic (bench/baseline-assess.sh).
        var settings = Diagnostics.Index(context);
        if (settings.Count == 0)
        {
            return Verdict.Unknown("the inputs hold no Microsoft.Insights/diagnosticSettings; export them to evaluate vault logging");
        }

        var mine = settings.SettingsUnder(resource.Id);
        var audited = mine.FirstOrDefault(s => Diagnostics.EnabledCategories(s).Overlaps(["AuditEvent", "audit", "allLogs"]));
        RemediationAction Fix() => Remedy.Property(resource with { Id = resource.Id + "/providers/Microsoft.Insights/diagnosticSettings/sfi-audit" }, "properties",
            new JsonObject
            {
                ["workspaceId"] = "<log-analytics-workspace-resource-id>",
                ["logs"] = new JsonArray(new JsonObject { ["categoryGroup"] = "audit", ["enabled"] = true }),
            }, "2021-05-01-preview") with
        { Method = "PUT" };
        return audited is not null
            ? Verdict.Pass($"diagnostic setting {audited.Name} sends audit events")
            : Verdict.FailWithDeferredFix(mine.Count == 0 ? "no diagnostic setting on the vault" : "no diagnostic setting on the vault enables AuditEvent", null, Fix);
    }
}
