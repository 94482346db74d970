using System.Text.Json.Nodes;

namespace SecureFuture.Baseline;

/// <summary>Where a documented default applies: to what a live export leaves out, to what a template leaves out, or both.</summary>
[Flags]
public enum DefaultScope
{
    /// <summary>ARM / Resource Graph exports of the live resource: what the resource provider does with a property it did not return.</summary>
    Export = 1,

    /// <summary>ARM templates: what the resource provider creates when the template leaves the property out.</summary>
    Template = 2,

    Both = Export | Template,

    /// <summary>
    /// Microsoft Graph JSON (and ScubaGear's export of it): what an explicit <c>null</c> means. Graph, unlike ARM, does
    /// not leave out a property at its default: it returns <c>null</c> for one never set, and leaves out only what the
    /// request did not select (several properties are "returned only on $select"). So in a Graph export a null is
    /// the service saying "not set", and a missing member is an export that did not ask: only the former has a default.
    /// </summary>
    GraphNull = 4,
}

/// <summary>
/// What the absence of one property means, from the provider's documentation. Azure Resource Manager omits
/// properties that are at their default, and several defaults are the insecure state, so "absent" must be read as
/// that default, not as "unknown". Each row cites the page that decides it; docs/baseline.md lists them all.
/// </summary>
/// <param name="Type">The resource type (case-insensitive), or a Graph type.</param>
/// <param name="Path">The dotted path the controls read.</param>
/// <param name="Value">What absence means.</param>
/// <param name="Reference">The documentation that says so (Microsoft Learn page title, or ARM REST API reference and version).</param>
public sealed record PropertyDefault(string Type, string Path, JsonNode Value, string Reference)
{
    public DefaultScope Scope { get; init; } = DefaultScope.Both;

    /// <summary>Templates only: the first api-version this default holds for (inclusive, yyyy-MM-dd[-preview]).</summary>
    public string? FromApiVersion { get; init; }

    /// <summary>Templates only: the api-version this default stops holding at (exclusive).</summary>
    public string? BeforeApiVersion { get; init; }

    /// <summary>How a value read from this row is shown: what was missing, and whose default stands in for it.</summary>
    public string Label => Scope == DefaultScope.GraphNull ? "null: Microsoft Entra's default" : "absent: Azure's default";
}

/// <summary>
/// The table of documented defaults the field reader uses (<see cref="Field.Read"/>): one row per property (per
/// api-version range where the default changed), not one special case per control. A default applies only when the
/// resource's JSON includes its <c>properties</c> object and every object on the path up to the absent property is an
/// object: a resource exported without its properties, or a path through an unevaluated template expression, stays
/// unknown. Graph rows (<see cref="DefaultScope.GraphNull"/>) apply to an explicit null only.
/// </summary>
public static class PropertyDefaults
{
    private const string Storage = "Microsoft.Storage/storageAccounts";
    private const string StorageRest = "ARM REST API reference, Storage Accounts - Create (2023-05-01), StorageAccountPropertiesCreateParameters";
    private const string NewAccountDefaults = "Microsoft Tech Community (Azure Storage blog), \"Azure Storage: updating some default security settings on new storage accounts\" (rolled out August to December 2023): every new account is created with allowBlobPublicAccess and allowCrossTenantReplication false, whichever API, SDK or tool creates it";
    private const string Vault = "Microsoft.KeyVault/vaults";
    private const string VaultRest = "ARM REST API reference, Vaults - Create Or Update (Key Vault 2023-07-01), VaultProperties";
    private const string Aks = "Microsoft.ContainerService/managedClusters";
    private const string Sites = "Microsoft.Web/sites";
    private const string AuthorizationPolicy = GraphTypes.AuthorizationPolicy;
    private const string Slots = "Microsoft.Web/sites/slots";

    // The siteConfig of a site as GET /sites returns it is not the app's configuration (that is sites/config/web,
    // whose values GET /sites leaves null), so its defaults hold for templates only.
    private static IEnumerable<PropertyDefault> WebApp(string path, JsonNode value, string reference, DefaultScope scope = DefaultScope.Both) =>
        [new(Sites, path, value, reference) { Scope = scope }, new(Slots, path, value.DeepClone(), reference) { Scope = scope }];

    public static IReadOnlyList<PropertyDefault> All { get; } =
    [
        // Storage accounts.
        // Accounts created before the 2023 change of defaults leave these two null, which allows; since then the
        // resource provider creates every new account with both false, whatever the api-version of the request.
        new(Storage, "properties.allowBlobPublicAccess", true, "Microsoft Learn, \"Prevent anonymous read access to containers and blobs\": the account permits anonymous access when the property is null or true") { Scope = DefaultScope.Export },
        new(Storage, "properties.allowBlobPublicAccess", false, NewAccountDefaults + "; Microsoft Learn, \"Prevent anonymous read access to containers and blobs\"") { Scope = DefaultScope.Template },
        new(Storage, "properties.allowSharedKeyAccess", true, "Microsoft Learn, \"Prevent Shared Key authorization for an Azure Storage account\": the property is not set by default, and the account permits Shared Key when it is null or true"),
        new(Storage, "properties.supportsHttpsTrafficOnly", false, StorageRest + " (2018-11-01 and earlier): supportsHttpsTrafficOnly defaults to false before api-version 2019-04-01") { Scope = DefaultScope.Template, BeforeApiVersion = "2019-04-01" },
        new(Storage, "properties.supportsHttpsTrafficOnly", true, StorageRest + ": \"The default value is true since API version 2019-04-01\"") { FromApiVersion = "2019-04-01" },
        new(Storage, "properties.minimumTlsVersion", "TLS1_0", StorageRest + ": minimumTlsVersion, \"The default interpretation is TLS 1.0 for this property\""),
        new(Storage, "properties.allowCrossTenantReplication", true, "Microsoft Learn, \"Prevent object replication across Microsoft Entra tenants\": accounts created before the default changed leave the property null, which allows cross-tenant replication") { Scope = DefaultScope.Export },
        new(Storage, "properties.allowCrossTenantReplication", false, NewAccountDefaults + "; " + StorageRest + ": \"The default interpretation is false for new accounts to follow best security practices by default\"") { Scope = DefaultScope.Template },
        new(Storage, "properties.defaultToOAuthAuthentication", false, StorageRest + ": defaultToOAuthAuthentication, \"The default interpretation is false for this property\""),
        new(Storage, "properties.publicNetworkAccess", "Enabled", "Microsoft Learn, \"Configure Azure Storage firewalls and virtual networks\": by default, storage accounts accept connections from clients on any network"),
        new(Storage, "properties.networkAcls.defaultAction", "Allow", StorageRest + ": NetworkRuleSet.defaultAction, default Allow"),
        new(Storage, "properties.encryption.keySource", "Microsoft.Storage", StorageRest + ": Encryption.keySource, default Microsoft.Storage (Microsoft-managed keys)"),
        new("Microsoft.Storage/storageAccounts/blobServices", "properties.deleteRetentionPolicy.enabled", false, "Microsoft Learn, \"Enable soft delete for blobs\": blob soft delete is off for accounts created other than in the Azure portal until enabled; ARM REST Blob Services - Set Service Properties: DeleteRetentionPolicy.enabled"),
        new("Microsoft.Storage/storageAccounts/blobServices", "properties.containerDeleteRetentionPolicy.enabled", false, "Microsoft Learn, \"Enable and manage soft delete for containers\": container soft delete is off until enabled (the portal enables it for new accounts, the API does not)"),
        new("Microsoft.Storage/storageAccounts/blobServices/containers", "properties.publicAccess", "None", "ARM REST API reference, Blob Containers - Create (2023-05-01): publicAccess None, the default, means the container's data is private to the account owner"),

        // Key vaults.
        new(Vault, "properties.enablePurgeProtection", false, VaultRest + ": enablePurgeProtection \"does not accept false as its value\", so a vault without purge protection never returns it"),
        new(Vault, "properties.enableSoftDelete", true, VaultRest + ": \"If it's not set to any value (true or false) when creating new key vault, it will be set to true by default\"; Microsoft Learn, \"Azure Key Vault soft-delete overview\""),
        new(Vault, "properties.softDeleteRetentionInDays", 90, VaultRest + ": softDeleteRetentionInDays, default 90"),
        new(Vault, "properties.enableRbacAuthorization", false, VaultRest + ": enableRbacAuthorization, \"If null or not specified, the vault is created with the default value of false\""),
        new(Vault, "properties.publicNetworkAccess", "Enabled", VaultRest + ": publicNetworkAccess, default \"enabled\""),
        new(Vault, "properties.networkAcls.defaultAction", "Allow", "Microsoft Learn, \"Configure Azure Key Vault networking settings\": by default the Key Vault firewall is disabled and the vault accepts traffic from all networks"),

        // AKS.
        new(Aks, "properties.disableLocalAccounts", false, "Microsoft Learn, \"Manage local accounts with AKS-managed Microsoft Entra integration\": local accounts are enabled by default"),
        new(Aks, "properties.apiServerAccessProfile.enablePrivateCluster", false, "Microsoft Learn, \"Create a private Azure Kubernetes Service cluster\": clusters are public unless created private"),
        new(Aks, "properties.apiServerAccessProfile.authorizedIPRanges", new JsonArray(), "Microsoft Learn, \"Secure access to the API server using authorized IP address ranges\": by default the API server of a public cluster accepts any address"),

        // Web apps and their deployment slots.
        .. WebApp("properties.httpsOnly", false, "ARM REST API reference, Web Apps - Create Or Update (2023-12-01): httpsOnly, default false; Microsoft Learn, \"Enforce HTTPS\": apps accept HTTP unless HTTPS Only is on"),
        .. WebApp("properties.siteConfig.minTlsVersion", "1.2", "Microsoft Learn, \"Enforce TLS versions\" (App Service TLS/SSL overview): the default minimum TLS version for apps is 1.2", DefaultScope.Template),
        .. WebApp("properties.siteConfig.ftpsState", "AllAllowed", "ARM REST API reference, Web Apps - Create Or Update (2023-12-01): SiteConfig.ftpsState; Microsoft Learn, \"Deploy your app to Azure App Service using FTP/S\": FTP and FTPS are both allowed until restricted", DefaultScope.Template),
        .. WebApp("properties.siteConfig.remoteDebuggingEnabled", false, "ARM REST API reference, Web Apps - Create Or Update (2023-12-01): SiteConfig.remoteDebuggingEnabled, default false", DefaultScope.Template),
        .. WebApp("properties.publicNetworkAccess", "Enabled", "ARM REST API reference, Web Apps - Create Or Update (2023-12-01): publicNetworkAccess \"Enabled\", \"Disabled\" or an empty string, which allows public access"),

        // Compute.
        new("Microsoft.Compute/virtualMachines", "properties.osProfile.linuxConfiguration.disablePasswordAuthentication", false, "ARM REST API reference, Virtual Machines - Create Or Update (2024-03-01): LinuxConfiguration.disablePasswordAuthentication; password authentication stays on unless it is set to true"),
        new("Microsoft.Compute/disks", "properties.encryption.type", "EncryptionAtRestWithPlatformKey", "Microsoft Learn, \"Server-side encryption of Azure Disk Storage\": all managed disks are encrypted at rest with platform-managed keys by default"),

        // Network.
        new("Microsoft.Network/virtualNetworks", "properties.enableDdosProtection", false, "ARM REST API reference, Virtual Networks - Create Or Update (2023-11-01): enableDdosProtection, default false"),
        new("Microsoft.Network/networkWatchers/flowLogs", "properties.retentionPolicy.enabled", false, "ARM REST API reference, Flow Logs - Create Or Update (2023-11-01): RetentionPolicyParameters.enabled, default false"),
        new("Microsoft.Network/networkWatchers/flowLogs", "properties.retentionPolicy.days", 0, "ARM REST API reference, Flow Logs - Create Or Update (2023-11-01): RetentionPolicyParameters.days, default 0"),
        new("Microsoft.Sql/servers", "properties.publicNetworkAccess", "Enabled", "Microsoft Learn, \"Azure SQL connectivity settings\": Deny public network access defaults to No"),
        new("Microsoft.DocumentDB/databaseAccounts", "properties.publicNetworkAccess", "Enabled", "ARM REST API reference, Database Accounts - Create Or Update (2024-05-15): publicNetworkAccess, default Enabled"),
        new("Microsoft.ContainerRegistry/registries", "properties.publicNetworkAccess", "Enabled", "ARM REST API reference, Registries - Create (2023-07-01): publicNetworkAccess, default Enabled"),
        new("Microsoft.ContainerRegistry/registries", "properties.adminUserEnabled", false, "ARM REST API reference, Registries - Create (2023-07-01): adminUserEnabled, default false"),

        // Logging and tenant settings.
        new("Microsoft.OperationalInsights/workspaces", "properties.retentionInDays", 30, "Microsoft Learn, \"Manage data retention in a Log Analytics workspace\": the default interactive retention is 30 days"),
        new("Microsoft.Subscription/policies", "properties.blockSubscriptionsLeavingTenant", false, "Microsoft Learn, \"Manage Azure subscription policies\": subscriptions may leave the tenant until the policy blocks it"),
        new("Microsoft.Subscription/policies", "properties.blockSubscriptionsIntoTenant", false, "Microsoft Learn, \"Manage Azure subscription policies\": subscriptions may enter the tenant until the policy blocks it"),

        // Microsoft Graph (Entra ID): only where the documentation says what "not set" is. Every other property a
        // control reads stays unknown when null or missing; docs/baseline.md lists each decision.
        new(AuthorizationPolicy, "guestUserRoleId", "10dae51f-b6af-4016-8d66-8c2a99b929b3", "Microsoft Learn, \"Restrict guest access permissions in Microsoft Entra ID\": Limited access (10dae51f-b6af-4016-8d66-8c2a99b929b3) is the default guest permission level") { Scope = DefaultScope.GraphNull },
        new(AuthorizationPolicy, "defaultUserRolePermissions.allowedToCreateApps", true, "Microsoft Learn, \"What are the default user permissions in Microsoft Entra ID?\": member users can register applications by default (the \"Users can register applications\" setting, which allowedToCreateApps is)") { Scope = DefaultScope.GraphNull },
    ];

    private static readonly ILookup<(string Type, string Path), PropertyDefault> ByProperty =
        All.ToLookup(d => (d.Type.ToUpperInvariant(), d.Path), new KeyComparer());

    private sealed class KeyComparer : IEqualityComparer<(string Type, string Path)>
    {
        public bool Equals((string Type, string Path) x, (string Type, string Path) y) =>
            string.Equals(x.Type, y.Type, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Path, y.Path, StringComparison.Ordinal);

        public int GetHashCode((string Type, string Path) obj) => HashCode.Combine(obj.Type.ToUpperInvariant(), obj.Path);
    }

    /// <summary>
    /// What the absence of <paramref name="path"/> on <paramref name="resource"/> means, or null when it stays unknown:
    /// no documented default, a Terraform input (Terraform plans carry the provider's defaults themselves), a Graph
    /// property that is missing rather than null (the export did not select it),
    /// the resource's <c>properties</c> not exported, or something other than an object on the way to the property.
    /// </summary>
    public static PropertyDefault? For(TenantResource resource, string path)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(path);
        if (resource.Format is InputFormat.Graph or InputFormat.ScubaGear)
        {
            return ByProperty[(resource.Type, path)].FirstOrDefault(row => row.Scope.HasFlag(DefaultScope.GraphNull) && ExplicitNull(resource.Data, path));
        }

        if (resource.Format is not (InputFormat.ArmResources or InputFormat.ArmTemplate))
        {
            return null;
        }

        var rows = ByProperty[(resource.Type, path)];
        var template = resource.Format == InputFormat.ArmTemplate;
        if (!rows.Any() || !AbsentUnderObjects(resource.Data, path, template))
        {
            return null;
        }

        var apiVersion = template ? Field.Text(resource.Data["apiVersion"]) : null;
        foreach (var row in rows)
        {
            if (!row.Scope.HasFlag(template ? DefaultScope.Template : DefaultScope.Export))
            {
                continue;
            }

            if (template && (row.FromApiVersion is not null || row.BeforeApiVersion is not null))
            {
                // An api-version that is itself an unevaluated expression leaves a version-dependent default unknown.
                if (apiVersion is null || Field.IsExpression(apiVersion)
                    || (row.FromApiVersion is { } from && string.CompareOrdinal(apiVersion, from) < 0)
                    || (row.BeforeApiVersion is { } before && string.CompareOrdinal(apiVersion, before) >= 0))
                {
                    continue;
                }
            }

            return row;
        }

        return null;
    }

    /// <summary>True when every object on <paramref name="path"/> is present and its last member is there with the value null.</summary>
    private static bool ExplicitNull(JsonObject data, string path)
    {
        var segments = path.Split('.');
        JsonObject parent = data;
        foreach (var segment in segments[..^1])
        {
            if (parent[segment] is not JsonObject next)
            {
                return false;
            }

            parent = next;
        }

        return parent.TryGetPropertyValue(segments[^1], out var value) && value is null;
    }

    /// <summary>
    /// True when the walk along <paramref name="path"/> meets only objects until a member is absent (or JSON null,
    /// which ARM treats as not set). An export must include the resource's <c>properties</c> object (without it, the
    /// export simply did not carry them); a template resource is the whole definition, so a template that leaves out
    /// <c>properties</c> deploys every property at its default.
    /// </summary>
    private static bool AbsentUnderObjects(JsonObject data, string path, bool template)
    {
        if (!template && path.StartsWith("properties.", StringComparison.Ordinal) && data["properties"] is not JsonObject)
        {
            return false;
        }

        JsonNode? node = data;
        foreach (var segment in path.Split('.'))
        {
            if (node is not JsonObject o)
            {
                return false;
            }

            node = o[segment];
            if (node is null)
            {
                return true;
            }
        }

        return false;
    }
}
