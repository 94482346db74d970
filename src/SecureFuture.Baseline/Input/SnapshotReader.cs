using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// Reads tenant exports and IaC from files or whole directories, recognising each file by its shape rather than
/// its name. Explicitly named files that cannot be read are an <see cref="InputException"/>; files found while
/// walking a directory that cannot be read become notifications, and the run goes on.
/// </summary>
public static class SnapshotReader
{
    /// <summary>What the error for an unrecognised file lists.</summary>
    public const string RecognisedFormats =
        "Azure Resource Graph / ARM resource JSON (a bare array, {\"value\":[...]}, {\"data\":[...]}, az resource list), "
        + "an ARM deployment template, Microsoft Graph JSON (a collection or one entity), "
        + "CISA ScubaGear ProviderSettingsExport.json, Terraform plan JSON (terraform show -json, format_version 1.x)";

    private static readonly HashSet<string> KnownTypes = new(
        ControlCatalogue.Default.Controls.SelectMany(c => c.ResourceTypes).Where(t => !t.StartsWith(GraphTypes.Prefix, StringComparison.Ordinal)),
        StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> ContainerKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "value", "data", "resources", "resource_changes",
    };

    /// <summary>ScubaGear AAD provider sections and the Graph type of their elements.</summary>
    private static readonly Dictionary<string, string> ScubaSections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["conditional_access_policies"] = GraphTypes.ConditionalAccessPolicy,
        ["authorization_policies"] = GraphTypes.AuthorizationPolicy,
        ["authentication_method"] = GraphTypes.AuthenticationMethodsPolicy,
        ["directory_settings"] = GraphTypes.DirectorySetting,
        ["security_defaults"] = GraphTypes.SecurityDefaults,
    };

    /// <summary>Large sections no control reads; skipped without being kept in memory.</summary>
    private static readonly HashSet<string> SkippedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "configuration", "planned_values", "prior_state", "variables", "outputs", "output_changes", "relevant_attributes",
        "checks", "functions", "parameters", "cap_table_data", "service_plans", "license_information",
    };

    public static async Task<TenantSnapshot> ReadAsync(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var resources = new List<TenantResource>();
        var files = new List<InputFile>();
        var notifications = new List<Notification>();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(path))
            {
                var root = Path.GetFullPath(path);
                foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var display = Path.GetRelativePath(root, file).Replace('\\', '/');
                    try
                    {
                        var read = await Task.Run(() => ReadFile(file, display), cancellationToken);
                        resources.AddRange(read.Resources);
                        files.Add(read.File);
                    }
                    catch (InputException ex)
                    {
                        notifications.Add(new Notification("baseline/input", NotificationLevel.Error, ex.Message)
                        {
                            Path = display,
                            Region = ex.Line is { } l ? new Region((int)l, (int)(ex.Column ?? 1), (int)l, (int)(ex.Column ?? 1)) : null,
                        });
                    }
                }
            }
            else if (File.Exists(path))
            {
                // A file named on the command line is shown as the user wrote it.
                var read = await Task.Run(() => ReadFile(path, path.Replace('\\', '/')), cancellationToken);
                resources.AddRange(read.Resources);
                files.Add(read.File);
            }
            else
            {
                throw new InputException(path, null, null, "no such file or directory");
            }
        }

        return new TenantSnapshot { Resources = resources, Files = files, Notifications = notifications };
    }

    /// <summary>Reads one file; <paramref name="displayPath"/> is the path findings and errors show.</summary>
    public static (IReadOnlyList<TenantResource> Resources, InputFile File) ReadFile(string path, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(displayPath);
        using var stream = OpenRead(path, displayPath);
        return Read(stream, displayPath);
    }

    /// <summary>Reads one JSON document from a stream.</summary>
    public static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(Stream stream, string displayPath) => Read(stream, displayPath, null);

    internal static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(Stream stream, string displayPath, WalkStatistics? statistics)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayPath);
        var rootValues = new Dictionary<string, CapturedValue>(StringComparer.OrdinalIgnoreCase);
        var elements = new List<CapturedValue>();
        var dropped = 0;
        var containers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var rootType = JsonStreamWalker.Walk(stream, displayPath, (path, token) =>
        {
            var action = Decide(path, token);
            if (action == WalkAction.Descend && path.Count == 1 && path[0] is string key)
            {
                containers.Add(key);
            }

            return action;
        }, v =>
        {
            if (v.Path.Count == 1 && v.Path[0] is string key)
            {
                rootValues[key] = v;
            }
            else if (IsIrrelevant(v.Node))
            {
                dropped++;
            }
            else
            {
                elements.Add(v);
            }
        }, statistics);

        var resources = new List<TenantResource>();
        var skipped = dropped;
        InputFormat format;
        if (rootType == JsonTokenType.StartArray)
        {
            format = ClassifyElements(elements, displayPath, null, resources, ref skipped);
        }
        else if (rootType != JsonTokenType.StartObject)
        {
            throw Unrecognised(displayPath, "the file holds a single JSON scalar");
        }
        else if (rootValues.TryGetValue("format_version", out var formatVersion)
                 && (rootValues.ContainsKey("terraform_version") || containers.Contains("resource_changes")))
        {
            format = InputFormat.TerraformPlan;
            CheckTerraformVersion(formatVersion, displayPath);
            foreach (var e in elements.Where(e => IsUnder(e, "resource_changes")))
            {
                if (TerraformResource(e, displayPath) is { } r)
                {
                    resources.Add(r);
                }
                else
                {
                    skipped++;
                }
            }
        }
        else if (IsArmTemplate(rootValues, containers))
        {
            format = InputFormat.ArmTemplate;
            foreach (var e in elements.Where(e => IsUnder(e, "resources")))
            {
                if (e.Node is JsonObject o)
                {
                    AddTemplateResource(o, null, e, displayPath, resources);
                }
            }

            // languageVersion 2.0 templates name their resources: "resources": { "sa": { ... } }.
            if (rootValues.TryGetValue("resources", out var named) && named.Node is JsonObject symbolic)
            {
                foreach (var (_, value) in symbolic)
                {
                    if (value is JsonObject o)
                    {
                        AddTemplateResource(o, null, named, displayPath, resources);
                    }
                }
            }
        }
        else if (rootValues.Keys.Concat(containers).Any(ScubaSections.ContainsKey)
                 || rootValues.ContainsKey("baseline_version") || rootValues.ContainsKey("module_version"))
        {
            format = InputFormat.ScubaGear;
            foreach (var (section, type) in ScubaSections)
            {
                var items = elements.Where(e => IsUnder(e, section)).ToList();
                if (rootValues.TryGetValue(section, out var single) && single.Node is JsonObject)
                {
                    items.Add(single);
                }

                foreach (var item in items)
                {
                    if (item.Node is JsonObject o)
                    {
                        resources.Add(GraphResource(o, type, InputFormat.ScubaGear, item, displayPath));
                    }
                }
            }
        }
        else if (elements.Count > 0 || dropped > 0 || containers.Contains("value") || containers.Contains("data"))
        {
            var context = rootValues.TryGetValue("@odata.context", out var c) ? Str(c.Node) : null;
            format = ClassifyElements(elements, displayPath, context, resources, ref skipped);
        }
        else
        {
            // A single entity: GET /policies/authorizationPolicy, or one ARM resource.
            var o = new JsonObject(new JsonNodeOptions { PropertyNameCaseInsensitive = true });
            foreach (var (key, value) in rootValues)
            {
                o[key] = value.Node?.DeepClone();
            }

            var at = new CapturedValue([], o, 1, 1);
            var context = Str(o["@odata.context"]);
            if (ArmType(o) is { } armType)
            {
                format = InputFormat.ArmResources;
                resources.Add(ArmResource(o, armType, InputFormat.ArmResources, at, displayPath));
            }
            else if (GraphType(o, context) is { } graphType)
            {
                format = InputFormat.Graph;
                resources.Add(GraphResource(o, graphType, InputFormat.Graph, at, displayPath));
            }
            else
            {
                throw Unrecognised(displayPath, "the object is neither an ARM resource nor a recognised Graph entity");
            }
        }

        var declared = resources.Select(r => r.Type).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (rootValues.TryGetValue("@odata.context", out var ctxValue) && Str(ctxValue.Node) is { } ctxText
            && GraphType(new JsonObject(), ctxText) is { } declaredType)
        {
            declared.Add(declaredType);
        }

        if (format == InputFormat.ScubaGear)
        {
            foreach (var (section, type) in ScubaSections)
            {
                if (rootValues.ContainsKey(section) || containers.Contains(section))
                {
                    declared.Add(type);
                }
            }
        }

        return (resources, new InputFile(displayPath, format, resources.Count, skipped) { DeclaredTypes = [.. declared.Order(StringComparer.Ordinal)] });
    }

    /// <summary>
    /// An ARM resource or Terraform resource change of a type no control reads. Dropped as soon as it is parsed, so
    /// that a large export of other resources costs no memory (ARM resources, template resources and Terraform
    /// resource changes all carry their type in "type").
    /// </summary>
    private static bool IsIrrelevant(JsonNode? node) =>
        node is JsonObject o && Str(o["type"]) is { } type
        && (type.Contains('/', StringComparison.Ordinal) || type.StartsWith("azurerm_", StringComparison.Ordinal))
        && !KnownTypes.Contains(type)
        && o["resources"] is not JsonArray;

    private static FileStream OpenRead(string path, string displayPath)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(displayPath, null, null, $"cannot read: {ex.Message}", ex);
        }
    }

    private static WalkAction Decide(IReadOnlyList<object> path, JsonTokenType token)
    {
        if (path.Count == 1)
        {
            if (path[0] is int)
            {
                return WalkAction.Capture;
            }

            var key = (string)path[0];
            if (SkippedKeys.Contains(key))
            {
                return WalkAction.Skip;
            }

            return token == JsonTokenType.StartArray && (ContainerKeys.Contains(key) || ScubaSections.ContainsKey(key))
                ? WalkAction.Descend
                : WalkAction.Capture;
        }

        return path.Count == 2 && path[1] is int ? WalkAction.Capture : WalkAction.Skip;
    }

    private static bool IsUnder(CapturedValue value, string key) =>
        value.Path.Count == 2 && value.Path[0] is string k && string.Equals(k, key, StringComparison.OrdinalIgnoreCase);

    private static InputException Unrecognised(string displayPath, string why) =>
        new(displayPath, null, null, $"not a recognised input ({why}). Recognised formats: {RecognisedFormats}");

    private static void CheckTerraformVersion(CapturedValue formatVersion, string displayPath)
    {
        var text = formatVersion.Node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var major = text?.Split('.')[0];
        if (major != "1")
        {
            throw new InputException(displayPath, formatVersion.Line, formatVersion.Column,
                $"Terraform plan format_version '{text ?? formatVersion.Node?.ToJsonString()}' is not supported: only format_version 1.x (Terraform 0.12 and later) is read");
        }
    }

    private static bool IsArmTemplate(Dictionary<string, CapturedValue> rootValues, HashSet<string> containers)
    {
        if (rootValues.TryGetValue("$schema", out var schema) && schema.Node is JsonValue v && v.TryGetValue<string>(out var s)
            && s.Contains("deploymentTemplate", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return rootValues.ContainsKey("contentVersion") && (containers.Contains("resources") || rootValues.ContainsKey("resources"));
    }

    private static InputFormat ClassifyElements(List<CapturedValue> elements, string displayPath, string? context, List<TenantResource> resources, ref int skipped)
    {
        var arm = 0;
        var graph = 0;
        foreach (var e in elements)
        {
            if (e.Node is not JsonObject o)
            {
                skipped++;
                continue;
            }

            if (ArmType(o) is { } armType)
            {
                resources.Add(ArmResource(o, armType, InputFormat.ArmResources, e, displayPath));
                arm++;
            }
            else if (GraphType(o, context) is { } graphType)
            {
                resources.Add(GraphResource(o, graphType, InputFormat.Graph, e, displayPath));
                graph++;
            }
            else
            {
                skipped++;
            }
        }

        if (arm == 0 && graph == 0 && elements.Count > 0)
        {
            throw Unrecognised(displayPath, "no element is an ARM resource or a recognised Graph entity");
        }

        return graph > arm ? InputFormat.Graph : InputFormat.ArmResources;
    }

    /// <summary>An ARM resource has a provider-qualified <c>type</c> (<c>Microsoft.X/y</c>) and an id or a name.</summary>
    private static string? ArmType(JsonObject o)
    {
        if (o["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type.Contains('/', StringComparison.Ordinal)
            && type.Contains('.', StringComparison.Ordinal) && (o.ContainsKey("id") || o.ContainsKey("name")))
        {
            return type;
        }

        return null;
    }

    private static TenantResource ArmResource(JsonObject o, string type, InputFormat format, CapturedValue at, string displayPath)
    {
        var name = Str(o["name"]);
        return new TenantResource
        {
            Type = type,
            Id = Str(o["id"]) ?? $"{type}/{name}",
            Name = name,
            Format = format,
            Source = new SourceLocation(displayPath, at.Line, at.Column),
            Data = o,
        };
    }

    private static void AddTemplateResource(JsonObject o, string? parentType, CapturedValue at, string displayPath, List<TenantResource> resources)
    {
        if (Str(o["type"]) is not { } type)
        {
            return;
        }

        // A nested template resource names its type relative to its parent ("blobServices/containers").
        var fullType = parentType is not null && !type.Contains('.', StringComparison.Ordinal) ? $"{parentType}/{type}" : type;
        resources.Add(ArmResource(o, fullType, InputFormat.ArmTemplate, at, displayPath) with { Id = $"{fullType}/{Str(o["name"])}" });
        if (o["resources"] is JsonArray children)
        {
            foreach (var child in children.OfType<JsonObject>())
            {
                AddTemplateResource(child, fullType, at, displayPath, resources);
            }
        }
    }

    private static TenantResource? TerraformResource(CapturedValue e, string displayPath)
    {
        if (e.Node is not JsonObject o || Str(o["type"]) is not { } type || Str(o["mode"]) == "data")
        {
            return null;
        }

        // A resource being deleted has no "after"; nothing of it will exist to evaluate.
        if (o["change"] is not JsonObject change || change["after"] is not JsonObject after)
        {
            return null;
        }

        var data = CaseInsensitiveJson.CopyObject(after);
        return new TenantResource
        {
            Type = type,
            Id = Str(o["address"]) ?? $"{type}.{Str(o["name"])}",
            Name = Str(o["name"]),
            Format = InputFormat.TerraformPlan,
            Source = new SourceLocation(displayPath, e.Line, e.Column),
            Data = data,
            AfterUnknown = change["after_unknown"] as JsonObject,
        };
    }

    private static TenantResource GraphResource(JsonObject o, string type, InputFormat format, CapturedValue at, string displayPath) => new()
    {
        Type = type,
        // Singletons without an id (policies/crossTenantAccessPolicy/default) are named by their type.
        Id = Str(o["id"]) ?? Str(o["appId"]) ?? (at.Path.Count == 0 ? type[GraphTypes.Prefix.Length..] : string.Create(CultureInfo.InvariantCulture, $"{type[GraphTypes.Prefix.Length..]}@{at.Line}")),
        Name = Str(o["displayName"]),
        Format = format,
        Source = new SourceLocation(displayPath, at.Line, at.Column),
        Data = o,
    };

    /// <summary>The Graph type of an entity: its <c>@odata.type</c>, the collection's <c>@odata.context</c>, or its shape.</summary>
    internal static string? GraphType(JsonObject o, string? context)
    {
        if (Str(o["@odata.type"]) is { } odataType && odataType.StartsWith("#microsoft.graph.", StringComparison.Ordinal))
        {
            return GraphTypes.Prefix + odataType["#microsoft.graph.".Length..];
        }

        var ctx = Str(o["@odata.context"]) ?? context;
        if (ctx is not null)
        {
            (string Fragment, string Type)[] hints =
            [
                ("conditionalAccess/policies", GraphTypes.ConditionalAccessPolicy),
                ("identitySecurityDefaultsEnforcementPolicy", GraphTypes.SecurityDefaults),
                ("authenticationMethodsPolicy", GraphTypes.AuthenticationMethodsPolicy),
                ("authorizationPolicy", GraphTypes.AuthorizationPolicy),
                ("crossTenantAccessPolicy/default", GraphTypes.CrossTenantAccessDefault),
                ("roleAssignmentScheduleInstances", GraphTypes.RoleAssignmentScheduleInstance),
                ("roleEligibilityScheduleInstances", GraphTypes.RoleEligibilityScheduleInstance),
                ("roleManagementPolicyAssignments", GraphTypes.RoleManagementPolicyAssignment),
                ("roleManagementPolicies", GraphTypes.RoleManagementPolicy),
                ("roleManagement/directory/roleAssignments", GraphTypes.RoleAssignment),
                ("userRegistrationDetails", GraphTypes.UserRegistrationDetails),
                ("b2bManagementPolicies", GraphTypes.B2BManagementPolicy),
                ("legacy/policies", GraphTypes.B2BManagementPolicy),
                ("appRoleAssignments", GraphTypes.AppRoleAssignment),
                ("groupSettings", GraphTypes.DirectorySetting),
                ("#settings", GraphTypes.DirectorySetting),
                ("#applications", GraphTypes.Application),
                ("#servicePrincipals", GraphTypes.ServicePrincipal),
                ("#users", GraphTypes.User),
            ];
            foreach (var (fragment, type) in hints)
            {
                if (ctx.Contains(fragment, StringComparison.OrdinalIgnoreCase))
                {
                    return type;
                }
            }
        }

        return o switch
        {
            _ when o.ContainsKey("conditions") && o.ContainsKey("grantControls") => GraphTypes.ConditionalAccessPolicy,
            _ when o.ContainsKey("defaultUserRolePermissions") => GraphTypes.AuthorizationPolicy,
            _ when o.ContainsKey("authenticationMethodConfigurations") => GraphTypes.AuthenticationMethodsPolicy,
            _ when o.ContainsKey("b2bCollaborationOutbound") && o.ContainsKey("isServiceDefault") => GraphTypes.CrossTenantAccessDefault,
            _ when o.ContainsKey("appId") && o.ContainsKey("servicePrincipalType") => GraphTypes.ServicePrincipal,
            _ when o.ContainsKey("appId") && (o.ContainsKey("signInAudience") || o.ContainsKey("passwordCredentials")) => GraphTypes.Application,
            _ when o.ContainsKey("roleDefinitionId") && o.ContainsKey("principalId") && o.ContainsKey("assignmentType") => GraphTypes.RoleAssignmentScheduleInstance,
            _ when o.ContainsKey("roleDefinitionId") && o.ContainsKey("principalId") && o.ContainsKey("directoryScopeId") => GraphTypes.RoleAssignment,
            _ when o.ContainsKey("appRoleId") && o.ContainsKey("resourceId") => GraphTypes.AppRoleAssignment,
            _ when o.ContainsKey("policyId") && o.ContainsKey("roleDefinitionId") && o.ContainsKey("scopeType") => GraphTypes.RoleManagementPolicyAssignment,
            _ when o.ContainsKey("templateId") && o["values"] is JsonArray => GraphTypes.DirectorySetting,
            _ when o.ContainsKey("methodsRegistered") => GraphTypes.UserRegistrationDetails,
            _ when o.ContainsKey("definition") && string.Equals(Str(o["type"]), "B2BManagementPolicy", StringComparison.OrdinalIgnoreCase) => GraphTypes.B2BManagementPolicy,
            _ when o.ContainsKey("userPrincipalName") => GraphTypes.User,
            _ when o.ContainsKey("isEnabled") && (Str(o["displayName"]) ?? string.Empty).Contains("Security Defaults", StringComparison.OrdinalIgnoreCase) => GraphTypes.SecurityDefaults,
            _ => null,
        };
    }

    internal static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
