using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>
/// Web apps and their deployment slots (a slot is a full app with its own settings and host name): ARM
/// <c>Microsoft.Web/sites</c> and <c>sites/slots</c>; Terraform linux/windows web apps and slots (v3, v4) and
/// <c>azurerm_app_service</c> (v3).
/// </summary>
public abstract class WebAppControl : PropertyControl
{
    public override IReadOnlyList<string> Types { get; } =
        ["Microsoft.Web/sites", "Microsoft.Web/sites/slots", "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_linux_web_app_slot", "azurerm_windows_web_app_slot", "azurerm_app_service"];

    protected override string ApiVersion => "2023-12-01";
}

/// <summary>WKL-01.</summary>
public sealed class Wkl01WebAppHttpsOnly : WebAppControl
{
    public override string ControlId => ControlIds.Wkl01;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Bool(resource, resource.IsTerraform ? "https_only" : "properties.httpsOnly", true);
}

/// <summary>WKL-02. TF: <c>site_config.0.minimum_tls_version</c> (web apps) or <c>min_tls_version</c> (app_service).</summary>
public sealed class Wkl02WebAppMinTls12 : WebAppControl
{
    public override string ControlId => ControlIds.Wkl02;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? OneOf(resource, Checks.FirstPresent(resource, "site_config.0.minimum_tls_version", "site_config.0.min_tls_version"), ["1.2", "1.3"], "1.2")
        : OneOf(resource, "properties.siteConfig.minTlsVersion", ["1.2", "1.3"], "1.2");
}

/// <summary>WKL-03: FTP off (FTPS only is acceptable).</summary>
public sealed class Wkl03WebAppFtpDisabled : WebAppControl
{
    public override string ControlId => ControlIds.Wkl03;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        OneOf(resource, resource.IsTerraform ? "site_config.0.ftps_state" : "properties.siteConfig.ftpsState", ["Disabled", "FtpsOnly"], "Disabled");
}

/// <summary>WKL-04.</summary>
public sealed class Wkl04WebAppRemoteDebuggingOff : WebAppControl
{
    public override string ControlId => ControlIds.Wkl04;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, Checks.FirstPresent(resource, "site_config.0.remote_debugging_enabled", "site_config.0.remote_debugging"), false)
        : Bool(resource, "properties.siteConfig.remoteDebuggingEnabled", false);
}

/// <summary>WKL-05: a system- or user-assigned identity.</summary>
public sealed class Wkl05WebAppManagedIdentity : WebAppControl
{
    public override string ControlId => ControlIds.Wkl05;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var path = resource.IsTerraform ? "identity.0.type" : "identity.type";
        RemediationAction IdentityFix() => resource.IsTerraform
            ? Fix(resource, "identity", new JsonArray(new JsonObject { ["type"] = "SystemAssigned" }))
            : Fix(resource, "identity", new JsonObject { ["type"] = "SystemAssigned" });
        var field = Field.Read(resource, path);
        if (field.State == FieldState.Missing)
        {
            // ARM omits identity and Terraform has an empty identity block when there is none.
            var container = Field.Navigate(resource.Data, resource.IsTerraform ? "identity" : "properties");
            return container is JsonArray { Count: 0 } || (!resource.IsTerraform && container is JsonObject)
                ? Verdict.FailWithDeferredFix("no managed identity", path, IdentityFix)
                : Verdict.Unknown(field.Problem!, path);
        }

        if (!field.TryString(out var type, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        return type.Contains("Assigned", StringComparison.OrdinalIgnoreCase)
            ? Verdict.Pass($"{path} = \"{type}\"", path)
            : Verdict.FailWithDeferredFix($"{path} = \"{type}\"", path, IdentityFix);
    }
}

/// <summary>AKS: ARM <c>Microsoft.ContainerService/managedClusters</c> and Terraform <c>azurerm_kubernetes_cluster</c>.</summary>
public abstract class AksControl : PropertyControl
{
    public override IReadOnlyList<string> Types { get; } = ["Microsoft.ContainerService/managedClusters", "azurerm_kubernetes_cluster"];

    protected override string ApiVersion => "2024-05-01";
}

/// <summary>WKL-07.</summary>
public sealed class Wkl07AksLocalAccountsDisabled : AksControl
{
    public override string ControlId => ControlIds.Wkl07;

    protected override string? Caution => "kubeconfigs that use the local cluster-admin stop working; needs Entra integration (aadProfile)";

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Bool(resource, resource.IsTerraform ? "local_account_disabled" : "properties.disableLocalAccounts", true);
}

/// <summary>WKL-08. Kubernetes RBAC cannot be switched on in place: manual (recreate).</summary>
public sealed class Wkl08AksRbacEnabled : AksControl
{
    public override string ControlId => ControlIds.Wkl08;

    public override Verdict Check(TenantResource resource, EvaluationContext context) => Checks.Bool(resource,
        resource.IsTerraform ? "role_based_access_control_enabled" : "properties.enableRBAC", true,
        () => Remedy.Manual("Kubernetes RBAC is fixed at cluster creation: create a new cluster with RBAC (and Entra integration) and migrate workloads."));
}

/// <summary>WKL-09: a private cluster, or authorised IP ranges on the API server.</summary>
public sealed class Wkl09AksApiRestricted : AksControl
{
    public override string ControlId => ControlIds.Wkl09;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var fix = () => Remedy.Manual("Set authorized IP ranges on the API server (apiServerAccessProfile.authorizedIPRanges) or move to a private cluster.");
        Verdict Ranges(string path)
        {
            var f = Field.Read(resource, path);
            if (!f.TryArray(out var a, out var problem))
            {
                return Verdict.Unknown(problem!, path);
            }

            return a.Count > 0 ? Verdict.Pass($"{path} has {a.Count} range(s)", path) : Verdict.FailWithDeferredFix($"{path} is empty", path, fix);
        }

        // API versions 2019-02-01 to 2019-10-01 put the ranges at properties.apiServerAuthorizedIPRanges.
        return resource.IsTerraform
            ? Checks.Any(
                Checks.Bool(resource, "private_cluster_enabled", true, fix),
                Ranges(Checks.FirstPresent(resource, "api_server_access_profile.0.authorized_ip_ranges", "api_server_authorized_ip_ranges")))
            : Checks.Any(
                Checks.Bool(resource, "properties.apiServerAccessProfile.enablePrivateCluster", true, fix),
                Ranges(Checks.FirstPresent(resource, "properties.apiServerAccessProfile.authorizedIPRanges", "properties.apiServerAuthorizedIPRanges")));
    }
}

/// <summary>WKL-10: only Linux VMs; password SSH off.</summary>
public sealed class Wkl10LinuxVmPasswordAuthOff : ResourceControl
{
    public override string ControlId => ControlIds.Wkl10;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Compute/virtualMachines", "azurerm_linux_virtual_machine"];

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        resource.IsTerraform
        || Field.Navigate(resource.Data, "properties.osProfile.linuxConfiguration") is not null
        || string.Equals(Field.Text(Field.Navigate(resource.Data, "properties.storageProfile.osDisk.osType")), "Linux", StringComparison.OrdinalIgnoreCase);

    public override Verdict Check(TenantResource resource, EvaluationContext context) => Checks.Bool(resource,
        resource.IsTerraform ? "disable_password_authentication" : "properties.osProfile.linuxConfiguration.disablePasswordAuthentication", true,
        () => Remedy.Manual("Add an SSH public key, then set disablePasswordAuthentication (a VM's osProfile cannot be patched: redeploy, or set PasswordAuthentication no in sshd_config)."));
}

/// <summary>
/// WKL-11: a managed disk is encrypted at rest: an encryption type (platform-managed keys count; CMK is KEY-11's
/// concern; absent means the platform key, see <see cref="PropertyDefaults"/>), or Azure Disk Encryption
/// (<c>encryptionSettingsCollection.enabled</c>, older API versions <c>encryptionSettings.enabled</c>).
/// </summary>
public sealed class Wkl11ManagedDisksEncrypted : ResourceControl
{
    public override string ControlId => ControlIds.Wkl11;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Compute/disks"];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var fix = () => Remedy.Manual("Attach a disk encryption set (customer-managed key) or recreate the disk with encryption at rest.");
        var adePath = Checks.FirstPresent(resource, "properties.encryptionSettingsCollection.enabled", "properties.encryptionSettings.enabled");
        var ade = Field.Read(resource, adePath);
        if (ade.State != FieldState.Missing && ade.TryBool(out var on, out _) && on)
        {
            return Verdict.Pass($"{adePath} = true (Azure Disk Encryption)", adePath);
        }

        return Checks.OneOf(resource, "properties.encryption.type",
            ["EncryptionAtRestWithPlatformKey", "EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys"], fix);
    }
}

/// <summary>
/// WKL-06: web apps meant to be internal have public network access off. An app counts as internal when it has a
/// private endpoint connection or the tag <c>exposure: internal</c>; other apps are not applicable (a public site is
/// a decision, not a finding).
/// </summary>
public sealed class Wkl06WebAppPublicAccessOff : WebAppControl
{
    public override string ControlId => ControlIds.Wkl06;

    public override bool AppliesTo(TenantResource resource, EvaluationContext context) =>
        string.Equals(Field.Text(Field.Navigate(resource.Data, "tags.exposure")), "internal", StringComparison.OrdinalIgnoreCase)
        || Field.Navigate(resource.Data, "properties.privateEndpointConnections") is JsonArray { Count: > 0 };

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Checks.Bool(resource, "public_network_access_enabled", false, () => Remedy.Manual("Set public_network_access_enabled = false once clients reach the app through its private endpoint."))
        : Checks.OneOf(resource, "properties.publicNetworkAccess", ["Disabled"], () => Remedy.Manual("Disable public network access once clients reach the app through its private endpoint or VNet integration."));
}
