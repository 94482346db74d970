using System.Globalization;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Storage accounts: ARM <c>Microsoft.Storage/storageAccounts</c> and Terraform <c>azurerm_storage_account</c>.</summary>
public abstract class StorageAccountControl : PropertyControl
{
    public const string ArmType = "Microsoft.Storage/storageAccounts";
    public const string TfType = "azurerm_storage_account";

    public override IReadOnlyList<string> Types { get; } = [ArmType, TfType];

    protected override string ApiVersion => "2023-05-01";
}

/// <summary>STO-01. TF: <c>allow_nested_items_to_be_public</c> (azurerm v3 and v4; v2 called it <c>allow_blob_public_access</c>).</summary>
public sealed class Sto01StorageAnonymousBlobAccessOff : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto01;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, Checks.FirstPresent(resource, "allow_nested_items_to_be_public", "allow_blob_public_access"), false)
        : Bool(resource, "properties.allowBlobPublicAccess", false);
}

/// <summary>STO-02.</summary>
public sealed class Sto02StorageSharedKeyOff : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto02;

    protected override string? Caution => "clients that use account keys or account-key SAS stop working; move them to Entra ID first";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, "shared_access_key_enabled", false)
        : Bool(resource, "properties.allowSharedKeyAccess", false);
}

/// <summary>STO-03: a SAS expiration policy whose action is Block and whose period is at most the threshold.</summary>
public sealed class Sto03StorageSasExpirationPolicy : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto03;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var maxDays = context.Configuration.Threshold("sasExpirationMaxDays");
        var period = resource.IsTerraform ? "sas_policy.0.expiration_period" : "properties.sasPolicy.sasExpirationPeriod";
        var action = resource.IsTerraform ? "sas_policy.0.expiration_action" : "properties.sasPolicy.expirationAction";
        var policyPath = resource.IsTerraform ? "sas_policy" : "properties.sasPolicy";
        var fixPeriod = $"{(int)maxDays}.00:00:00";
        RemediationAction FixAll() => resource.IsTerraform
            ? Fix(resource, "sas_policy", new JsonArray(new JsonObject { ["expiration_period"] = fixPeriod, ["expiration_action"] = "Block" }))
            : Fix(resource, "properties.sasPolicy", new JsonObject { ["sasExpirationPeriod"] = fixPeriod, ["expirationAction"] = "Block" });

        var policy = Field.Read(resource, policyPath);
        if (policy.State == FieldState.Missing || (policy.Node is JsonArray { Count: 0 }))
        {
            // ARM omits sasPolicy when none is set; only call it a failure when the properties were exported at all.
            return resource.IsTerraform || Field.Navigate(resource.Data, "properties") is JsonObject
                ? Verdict.FailWithDeferredFix($"{policyPath} is not set: SAS tokens may be issued with any lifetime", policyPath, FixAll)
                : Verdict.Unknown("properties are missing", policyPath);
        }

        var actionVerdict = Checks.OneOf(resource, action, ["Block"], FixAll);
        var p = Field.Read(resource, period);
        if (!p.TryString(out var text, out var problem))
        {
            return Checks.All(actionVerdict, Verdict.Unknown(problem!, period));
        }

        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span))
        {
            return Checks.All(actionVerdict, Verdict.Unknown($"{period} = \"{text}\" is not a DD.HH:MM:SS period", period));
        }

        var periodVerdict = span.TotalDays <= maxDays
            ? Verdict.Pass($"{period} = {text}", period)
            : Verdict.FailWithDeferredFix($"{period} = {text} (longer than {maxDays.ToString(CultureInfo.InvariantCulture)} days)", period, FixAll);
        return Checks.All(actionVerdict, periodVerdict);
    }
}

/// <summary>STO-04: a key expiration policy of at most the threshold, or both keys created within it.</summary>
public sealed class Sto04StorageKeysRotated : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto04;

    public override IReadOnlyList<string> Types { get; } = [ArmType];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var days = context.Configuration.Threshold("keyRotationDays");
        const string policyPath = "properties.keyPolicy.keyExpirationPeriodInDays";
        var fix = () => Fix(resource, policyPath, JsonValue.Create((int)days));
        var policy = Field.Read(resource, policyPath);
        if (policy.IsPresent)
        {
            if (!policy.TryNumber(out var period, out var problem))
            {
                return Verdict.Unknown(problem!, policyPath);
            }

            if (period <= days)
            {
                return Verdict.Pass($"{policyPath} = {Checks.Num(period)}", policyPath);
            }
        }

        var ages = new List<string>();
        foreach (var key in new[] { "key1", "key2" })
        {
            var created = Field.Read(resource, $"properties.keyCreationTime.{key}");
            if (!created.TryDate(out var when, out var problem))
            {
                return policy.IsPresent
                    ? Verdict.FailWithDeferredFix($"{policyPath} is longer than {Checks.Num(days)} days and {problem}", policyPath, fix)
                    : Verdict.Unknown($"no key policy, and {problem}", created.Path);
            }

            var age = (context.Now - when).TotalDays;
            if (age > days)
            {
                return Verdict.FailWithDeferredFix($"{key} was created {when:yyyy-MM-dd} ({age:0} days ago, more than {Checks.Num(days)}) and no key expiration policy of at most {Checks.Num(days)} days is set", created.Path, fix);
            }

            ages.Add($"{key} created {when:yyyy-MM-dd}");
        }

        return Verdict.Pass($"both keys rotated within {Checks.Num(days)} days ({string.Join(", ", ages)})");
    }
}

/// <summary>STO-05: public network access disabled, or the firewall denies by default.</summary>
public sealed class Sto05StoragePublicNetworkOff : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto05;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Checks.Any(
            Bool(resource, "public_network_access_enabled", false),
            Checks.OneOf(resource, "network_rules.0.default_action", ["Deny"]))
        : Checks.Any(
            OneOf(resource, "properties.publicNetworkAccess", ["Disabled"], "Disabled"),
            Checks.OneOf(resource, "properties.networkAcls.defaultAction", ["Deny"]));
}

/// <summary>STO-06. TF: <c>https_traffic_only_enabled</c> (v4) or <c>enable_https_traffic_only</c> (v3).</summary>
public sealed class Sto06StorageHttpsOnly : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto06;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, Checks.FirstPresent(resource, "https_traffic_only_enabled", "enable_https_traffic_only"), true)
        : Bool(resource, "properties.supportsHttpsTrafficOnly", true);
}

/// <summary>STO-07.</summary>
public sealed class Sto07StorageMinTls12 : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto07;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? OneOf(resource, "min_tls_version", ["TLS1_2", "TLS1_3"], "TLS1_2")
        : OneOf(resource, "properties.minimumTlsVersion", ["TLS1_2", "TLS1_3"], "TLS1_2");
}

/// <summary>STO-08.</summary>
public sealed class Sto08StorageCrossTenantReplicationOff : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto08;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, "cross_tenant_replication_enabled", false)
        : Bool(resource, "properties.allowCrossTenantReplication", false);
}

/// <summary>STO-09.</summary>
public sealed class Sto09StorageDefaultToEntraAuth : StorageAccountControl
{
    public override string ControlId => ControlIds.Sto09;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, "default_to_oauth_authentication", true)
        : Bool(resource, "properties.defaultToOAuthAuthentication", true);
}

/// <summary>STO-10: blob service soft delete for blobs and containers.</summary>
public sealed class Sto10StorageSoftDelete : PropertyControl
{
    public override string ControlId => ControlIds.Sto10;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Storage/storageAccounts/blobServices"];

    protected override string ApiVersion => "2023-05-01";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => Checks.All(
        Checks.Bool(resource, "properties.deleteRetentionPolicy.enabled", true,
            () => Fix(resource, "properties.deleteRetentionPolicy", new JsonObject { ["enabled"] = true, ["days"] = 7 })),
        Checks.Bool(resource, "properties.containerDeleteRetentionPolicy.enabled", true,
            () => Fix(resource, "properties.containerDeleteRetentionPolicy", new JsonObject { ["enabled"] = true, ["days"] = 7 })));
}

/// <summary>STO-11: containers are private.</summary>
public sealed class Sto11NoPublicContainers : PropertyControl
{
    public override string ControlId => ControlIds.Sto11;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Storage/storageAccounts/blobServices/containers", "azurerm_storage_container"];

    protected override string ApiVersion => "2023-05-01";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? OneOf(resource, "container_access_type", ["private"], "private")
        : OneOf(resource, "properties.publicAccess", ["None"], "None");
}
