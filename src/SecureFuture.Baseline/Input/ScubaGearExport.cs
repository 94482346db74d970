using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// The Entra ID (AAD) sections of CISA ScubaGear's <c>ProviderSettingsExport.json</c>, turned into the Graph entities
/// the controls read. Some sections are Graph entities as Graph returns them; others are ScubaGear's own shapes
/// (<c>privileged_users</c>, <c>privileged_roles</c>, the <c>authentication_method</c> wrapper), which are read here
/// and only here, so that the controls see one shape whichever way the tenant was exported.
/// </summary>
/// <remarks>
/// A section is read only when the export holds it and ScubaGear did not record the command that fills it as
/// failed (<c>aad_unsuccessful_commands</c>): ScubaGear writes an empty section when a command fails, and an empty
/// section that was never read must not look like a tenant with nothing in it. A section that is read declares
/// its Graph types, so that a control finding none of them knows the tenant has none (see
/// <see cref="InputFile.DeclaredTypes"/>).
/// </remarks>
internal static class ScubaGearExport
{
    private const string AuthenticationMethod = "authentication_method";
    private const string PrivilegedRoles = "privileged_roles";
    private const string PrivilegedUsers = "privileged_users";
    private const string PrivilegedServicePrincipals = "privileged_service_principals";

    /// <summary>Sections whose elements are Graph entities as Graph returns them, and their Graph type.</summary>
    private static readonly Dictionary<string, string> EntitySections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["conditional_access_policies"] = GraphTypes.ConditionalAccessPolicy,
        ["authorization_policies"] = GraphTypes.AuthorizationPolicy,
        ["directory_settings"] = GraphTypes.DirectorySetting,
        ["security_defaults"] = GraphTypes.SecurityDefaults,
    };

    /// <summary>The ScubaGear command that fills each section (ExportAADProvider.psm1).</summary>
    private static readonly Dictionary<string, string> Commands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["conditional_access_policies"] = "Get-MgBetaIdentityConditionalAccessPolicy",
        ["authorization_policies"] = "Get-MgBetaPolicyAuthorizationPolicy",
        ["directory_settings"] = "Get-MgBetaDirectorySetting",
        [AuthenticationMethod] = "Get-MgBetaPolicyAuthenticationMethodPolicy",
        [PrivilegedRoles] = "Get-PrivilegedRole",
        [PrivilegedUsers] = "Get-PrivilegedUser",
        [PrivilegedServicePrincipals] = "Get-PrivilegedUser",
    };

    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Root arrays whose elements are read one at a time (each keeps its own line and column).</summary>
    public static bool IsArraySection(string key) =>
        EntitySections.ContainsKey(key) || key.Equals(AuthenticationMethod, StringComparison.OrdinalIgnoreCase) || key.Equals(PrivilegedRoles, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a root key is a section this reader reads (a file with one is a ScubaGear export).</summary>
    public static bool IsSection(string key) => IsArraySection(key) || Commands.ContainsKey(key);

    /// <summary>Reads every known section of an export into Graph entities.</summary>
    /// <param name="rootValues">The root members captured whole (objects such as <c>privileged_users</c>).</param>
    /// <param name="containers">The root arrays whose elements were captured one at a time.</param>
    /// <param name="elements">Those elements.</param>
    /// <param name="resources">Receives the entities.</param>
    /// <param name="declared">Receives the Graph types of the sections read.</param>
    public static void Read(
        IReadOnlyDictionary<string, CapturedValue> rootValues, IReadOnlySet<string> containers, IReadOnlyList<CapturedValue> elements,
        string displayPath, List<TenantResource> resources, HashSet<string> declared)
    {
        var failed = rootValues.TryGetValue("aad_unsuccessful_commands", out var unsuccessful) && unsuccessful.Node is JsonArray commands
            ? commands.Select(SnapshotReader.Str).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase)
            : [];
        bool Has(string section) => (rootValues.ContainsKey(section) || containers.Contains(section)) && !failed.Contains(Commands.GetValueOrDefault(section, string.Empty));
        List<CapturedValue> ElementsOf(string section)
        {
            var items = elements.Where(e => e.Depth == 2 && string.Equals(e.RootKey, section, StringComparison.OrdinalIgnoreCase)).ToList();
            if (rootValues.TryGetValue(section, out var single) && single.Node is JsonObject)
            {
                items.Add(single);
            }

            return items;
        }

        foreach (var (section, type) in EntitySections)
        {
            if (!Has(section))
            {
                continue;
            }

            declared.Add(type);
            foreach (var item in ElementsOf(section))
            {
                if (item.Top is { } top && item.Json is { } json)
                {
                    resources.Add(SnapshotReader.GraphResource(top, json, null, type, InputFormat.ScubaGear, item, displayPath));
                }
            }
        }

        if (Has(AuthenticationMethod))
        {
            declared.Add(GraphTypes.AuthenticationMethodsPolicy);
            foreach (var item in ElementsOf(AuthenticationMethod))
            {
                if (item.Node is JsonObject o)
                {
                    resources.Add(AuthenticationMethodsPolicy(o, item, displayPath));
                }
            }
        }

        // Role names as this export spells them, for privileged_users (which names roles, not ids).
        var roleIds = BaselineConfiguration.ScubaPrivilegedRoles.ToDictionary(r => r.Name, r => r.Id, StringComparer.OrdinalIgnoreCase);
        if (Has(PrivilegedRoles))
        {
            declared.Add(GraphTypes.RoleManagementPolicyAssignment);
            foreach (var item in ElementsOf(PrivilegedRoles))
            {
                if (item.Node is JsonObject role && SnapshotReader.Str(role["RoleTemplateId"]) is { } roleId)
                {
                    if (SnapshotReader.Str(role["DisplayName"]) is { } roleName)
                    {
                        roleIds[roleName] = roleId;
                    }

                    PrivilegedRole(role, roleId, item, displayPath, resources, declared);
                }
            }
        }

        if (Has(PrivilegedUsers) && rootValues[PrivilegedUsers].Node is JsonObject users)
        {
            declared.Add(GraphTypes.RoleAssignment);
            RoleHolders(users, roleIds, rootValues[PrivilegedUsers], displayPath, resources, servicePrincipals: false);
        }

        if (Has(PrivilegedServicePrincipals) && rootValues[PrivilegedServicePrincipals].Node is JsonObject principals)
        {
            declared.Add(GraphTypes.RoleAssignment);
            RoleHolders(principals, roleIds, rootValues[PrivilegedServicePrincipals], displayPath, resources, servicePrincipals: true);
        }
    }

    /// <summary>
    /// ScubaGear wraps GET /policies/authenticationMethodsPolicy as <c>{"authentication_method_policy": {...},
    /// "authentication_method_feature_settings": [...]}</c>, the method configurations taken out of the policy: they are
    /// put back as <c>authenticationMethodConfigurations</c>. An element without the wrapper is the policy itself.
    /// </summary>
    private static TenantResource AuthenticationMethodsPolicy(JsonObject element, CapturedValue at, string displayPath)
    {
        var wrapped = element.ContainsKey("authentication_method_policy") || element.ContainsKey("authentication_method_feature_settings");
        var policy = wrapped ? Copy(element["authentication_method_policy"] as JsonObject) : Copy(element);
        if (wrapped && element["authentication_method_feature_settings"] is JsonArray configurations)
        {
            policy["authenticationMethodConfigurations"] = configurations.DeepClone();
        }

        return Entity(GraphTypes.AuthenticationMethodsPolicy, SnapshotReader.Str(policy["id"]) ?? "authenticationMethodsPolicy", SnapshotReader.Str(policy["displayName"]), policy, at, displayPath);
    }

    /// <summary>
    /// One element of <c>privileged_roles</c>: the role's active assignments (PIM assignment schedule instances) and
    /// the rules of the PIM policies that govern it, the role's own and those of the PIM groups assigned to it. An
    /// element without <c>Rules</c> is a role with no PIM policy (ScubaGear reads PIM only with an Entra ID P2 licence):
    /// it becomes a policy with no rules, which the controls judge as not configured.
    /// </summary>
    private static void PrivilegedRole(JsonObject role, string roleId, CapturedValue at, string displayPath, List<TenantResource> resources, HashSet<string> declared)
    {
        var roleName = SnapshotReader.Str(role["DisplayName"]) ?? roleId;
        if (role["Assignments"] is JsonArray assignments)
        {
            declared.Add(GraphTypes.RoleAssignmentScheduleInstance);
            foreach (var assignment in assignments.OfType<JsonObject>())
            {
                var instance = Copy(assignment);
                instance["roleDefinitionId"] ??= roleId;
                var principal = SnapshotReader.Str(instance["principalId"]) ?? "?";
                resources.Add(Entity(GraphTypes.RoleAssignmentScheduleInstance, SnapshotReader.Str(instance["id"]) ?? $"{roleId}/{principal}", $"{roleName}: {principal}", instance, at, displayPath));
            }
        }

        var rules = role["Rules"] as JsonArray ?? new JsonArray();
        var sources = rules.OfType<JsonObject>()
            .GroupBy(r => (Name: SnapshotReader.Str(r["RuleSource"]) ?? roleName, Type: SnapshotReader.Str(r["RuleSourceType"]) ?? "Directory Role"))
            .ToList();
        if (sources.Count == 0)
        {
            resources.Add(PolicyAssignment(roleId, roleName, "Directory Role", [], at, displayPath));
        }

        foreach (var source in sources)
        {
            resources.Add(PolicyAssignment(roleId, source.Key.Name, source.Key.Type, source, at, displayPath));
        }
    }

    private static TenantResource PolicyAssignment(string roleId, string sourceName, string sourceType, IEnumerable<JsonObject> rules, CapturedValue at, string displayPath)
    {
        var assignment = new JsonObject(CaseInsensitive)
        {
            ["roleDefinitionId"] = roleId,
            ["scopeType"] = sourceType.Equals("PIM Group", StringComparison.OrdinalIgnoreCase) ? "Group" : "DirectoryRole",
            ["policy"] = new JsonObject(CaseInsensitive) { ["rules"] = new JsonArray(rules.Select(r => r.DeepClone()).ToArray()) },
        };
        var name = $"{sourceName} ({sourceType})";
        return Entity(GraphTypes.RoleManagementPolicyAssignment, $"{PrivilegedRoles}/{roleId}/{name}", name, assignment, at, displayPath);
    }

    /// <summary>
    /// <c>privileged_users</c> / <c>privileged_service_principals</c>: object id to display name, role names and (for users)
    /// <c>OnPremisesImmutableId</c>, holding every active and PIM-eligible member of a privileged role, group members
    /// included. Each (principal, role) becomes a role assignment whose expanded <c>principal</c> carries what the
    /// export knows of the principal, and nothing it does not know.
    /// </summary>
    private static void RoleHolders(JsonObject holders, Dictionary<string, string> roleIds, CapturedValue at, string displayPath, List<TenantResource> resources, bool servicePrincipals)
    {
        foreach (var (id, value) in holders)
        {
            if (value is not JsonObject holder)
            {
                continue;
            }

            var principal = new JsonObject(CaseInsensitive)
            {
                ["@odata.type"] = servicePrincipals ? "#microsoft.graph.servicePrincipal" : "#microsoft.graph.user",
                ["id"] = id,
                ["displayName"] = holder["DisplayName"]?.DeepClone(),
            };
            foreach (var known in servicePrincipals ? new[] { "AppId" } : new[] { "OnPremisesImmutableId" })
            {
                if (holder.TryGetPropertyValue(known, out var v))
                {
                    principal[known] = v?.DeepClone();
                }
            }

            var roles = (holder["roles"] as JsonArray ?? new JsonArray()).Select(SnapshotReader.Str).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase);
            foreach (var roleName in roles)
            {
                // A role this export does not name by id is not one of the privileged roles it reports on.
                if (!roleIds.TryGetValue(roleName, out var roleId))
                {
                    continue;
                }

                var assignment = new JsonObject(CaseInsensitive)
                {
                    ["principalId"] = id,
                    ["roleDefinitionId"] = roleId,
                    ["directoryScopeId"] = "/",
                    ["principal"] = principal.DeepClone(),
                };
                var name = SnapshotReader.Str(holder["DisplayName"]) ?? id;
                resources.Add(Entity(GraphTypes.RoleAssignment, $"{id}/{roleId}", $"{name}: {roleName}", assignment, at, displayPath));
            }
        }
    }

    private static JsonObject Copy(JsonObject? source)
    {
        var copy = new JsonObject(CaseInsensitive);
        if (source is not null)
        {
            foreach (var (key, value) in source)
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    private static TenantResource Entity(string type, string id, string? name, JsonObject data, CapturedValue at, string displayPath) => new()
    {
        Type = type,
        Id = id,
        Name = name,
        Format = InputFormat.ScubaGear,
        Source = new SourceLocation(displayPath, at.Line, at.Column),
        Json = CompactJson.FromNode(data),
    };
}
