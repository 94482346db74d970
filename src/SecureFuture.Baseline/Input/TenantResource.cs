using System.Text.Json.Nodes;

namespace SecureFuture.Baseline;

/// <summary>The input formats <c>sfi baseline</c> recognises, by shape.</summary>
public enum InputFormat
{
    /// <summary>ARM / Azure Resource Graph resource JSON: bare arrays, <c>{"value":[...]}</c>, <c>{"data":[...]}</c>, <c>az resource list</c>.</summary>
    ArmResources,

    /// <summary>An ARM deployment template: literal values are evaluated, expressions are unknown.</summary>
    ArmTemplate,

    /// <summary><c>terraform show -json</c> of a plan, format_version 1.x.</summary>
    TerraformPlan,

    /// <summary>Microsoft Graph JSON (v1.0 or beta): a collection or a single entity.</summary>
    Graph,

    /// <summary>CISA ScubaGear's <c>ProviderSettingsExport.json</c> (PascalCase keys, <c>/Date(ms)/</c> dates, BOM).</summary>
    ScubaGear,
}

/// <summary>Where a resource is defined: the file (relative to the input root, '/' separated) and its 1-based line and column.</summary>
public sealed record SourceLocation(string Path, int Line, int Column)
{
    public override string ToString() => $"{Path}:{Line}:{Column}";
}

/// <summary>
/// One resource or tenant object read from an input, in a shape the evaluators share. <see cref="Data"/> is the
/// ARM resource (with its <c>properties</c>), the Graph entity, or a Terraform resource's <c>change.after</c>; its
/// property names are matched case-insensitively, so ScubaGear's PascalCase keys read like Graph's camelCase.
/// </summary>
public sealed record TenantResource
{
    /// <summary>ARM type (<c>Microsoft.Storage/storageAccounts</c>), <c>graph:&lt;entity&gt;</c>, or Terraform type (<c>azurerm_storage_account</c>).</summary>
    public required string Type { get; init; }

    /// <summary>ARM id, Graph object id, Terraform address, or type/name for template resources.</summary>
    public required string Id { get; init; }

    public string? Name { get; init; }

    /// <summary>The ARM <c>location</c> (region) as written, for resources that have one at the top level.</summary>
    public string? Location { get; init; }

    public required InputFormat Format { get; init; }

    public required SourceLocation Source { get; init; }

    private JsonObject? _data;
    private JsonObject? _afterUnknown;
    private ReadOnlyMemory<byte>? _json;
    private ReadOnlyMemory<byte>? _afterUnknownJson;
    private bool _dropped;

    /// <summary>
    /// The resource's JSON. Resources read from files keep it as compact UTF-8 (<see cref="Input.CompactJson"/>) and
    /// materialise it when a control first reads it; the assessor drops the tree again once the controls that read
    /// this resource are done (<see cref="Release"/>), so that a snapshot never holds every resource as a node tree.
    /// </summary>
    public JsonObject Data
    {
        get => _data ??= _json is { } json ? Input.CompactJson.ParseObject(json)
            : throw new InvalidOperationException(_dropped ? $"{Id}: its JSON was dropped once its controls had run (a streamed assessment keeps only the types evaluators declare)" : $"{Id} has no data");
        init => _data = value;
    }

    /// <summary>Terraform <c>change.after_unknown</c>: attributes known only after apply.</summary>
    public JsonObject? AfterUnknown
    {
        get => _afterUnknown ??= _afterUnknownJson is { } json ? Input.CompactJson.ParseObject(json) : null;
        init => _afterUnknown = value;
    }

    /// <summary><see cref="Data"/> as compact UTF-8 JSON, for resources read from files.</summary>
    internal ReadOnlyMemory<byte>? Json
    {
        get => _json;
        init => _json = value;
    }

    /// <summary><see cref="AfterUnknown"/> as compact UTF-8 JSON.</summary>
    internal ReadOnlyMemory<byte>? AfterUnknownJson
    {
        get => _afterUnknownJson;
        init => _afterUnknownJson = value;
    }

    /// <summary>The reference results carry, made once per resource rather than once per result.</summary>
    internal ResourceRef Ref => _ref ??= new ResourceRef(Id, Type, Name, Source);

    private ResourceRef? _ref;

    public TenantResource()
    {
    }

    /// <summary>What <c>with</c> copies: everything but the cached <see cref="Ref"/>, which names the original.</summary>
    private TenantResource(TenantResource original)
    {
        Type = original.Type;
        Id = original.Id;
        Name = original.Name;
        Location = original.Location;
        Format = original.Format;
        Source = original.Source;
        _data = original._data;
        _afterUnknown = original._afterUnknown;
        _json = original._json;
        _afterUnknownJson = original._afterUnknownJson;
    }

    private (object Key, object? Value)? _derived;

    /// <summary>
    /// A value computed from <see cref="Data"/> once for all the controls that read this resource (an NSG's parsed
    /// rules serve four controls), dropped with the tree by <see cref="Release"/>. One value per resource: another
    /// key replaces it.
    /// </summary>
    internal T Derived<T>(object key, Func<TenantResource, T> build)
    {
        if (_derived is { } d && ReferenceEquals(d.Key, key))
        {
            return (T)d.Value!;
        }

        var value = build(this);
        _derived = (key, value);
        return value;
    }

    /// <summary>This resource with its compact JSON copied into <paramref name="store"/> (see <see cref="Input.ChunkStore"/>).</summary>
    internal TenantResource CopiedInto(Input.ChunkStore store)
    {
        // Typed nulls: a bare null here would convert through byte[] to an empty, non-null memory.
        return this with
        {
            // Fresh strings: the kept resources sit together, not scattered among the garbage of the file they came
            // from (background collections sweep the old generation without compacting it).
            Id = new string(Id),
            Name = Name is null ? null : new string(Name),
            Json = _json is { } json ? store.Store(json.Span) : (ReadOnlyMemory<byte>?)null,
            AfterUnknownJson = _afterUnknownJson is { } after ? store.Store(after.Span) : (ReadOnlyMemory<byte>?)null,
        };
    }

    /// <summary>
    /// Drops the JSON of a resource a streamed assessment does not keep, once its controls have run: results (and
    /// their deferred fixes, which read only the id and format) may still refer to the resource, and must not keep
    /// its file's chunk of JSON alive.
    /// </summary>
    internal void DropJson()
    {
        if (_json is null && _afterUnknownJson is null)
        {
            return;
        }

        _json = null;
        _afterUnknownJson = null;
        _data = null;
        _afterUnknown = null;
        _derived = null;
        _dropped = true;
    }

    /// <summary>Drops the materialised tree of a resource that keeps its compact JSON; the next read parses it again.</summary>
    internal void Release()
    {
        if (_json is not null)
        {
            _data = null;
            _derived = null;
        }

        if (_afterUnknownJson is not null)
        {
            _afterUnknown = null;
        }
    }

    /// <summary>True for infrastructure as code (ARM templates, Terraform plans): findings point at the definition.</summary>
    public bool IsInfrastructureAsCode => Format is InputFormat.ArmTemplate or InputFormat.TerraformPlan;

    public bool IsGraph => Type.StartsWith(GraphTypes.Prefix, StringComparison.Ordinal);

    public bool IsTerraform => Format == InputFormat.TerraformPlan;

    public bool Is(string type) => string.Equals(Type, type, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Name is null ? Id : $"{Name} ({Id})";

    /// <summary>
    /// Identity, not value equality: the materialised tree comes and goes (<see cref="Release"/>), and two resources
    /// with equal fields are still two resources.
    /// </summary>
    public bool Equals(TenantResource? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}

/// <summary>The Graph entity types the readers recognise, as <see cref="TenantResource.Type"/> values.</summary>
public static class GraphTypes
{
    public const string Prefix = "graph:";
    public const string ConditionalAccessPolicy = "graph:conditionalAccessPolicy";
    public const string AuthorizationPolicy = "graph:authorizationPolicy";
    public const string SecurityDefaults = "graph:identitySecurityDefaultsEnforcementPolicy";
    public const string AuthenticationMethodsPolicy = "graph:authenticationMethodsPolicy";
    public const string Application = "graph:application";
    public const string ServicePrincipal = "graph:servicePrincipal";
    public const string RoleAssignment = "graph:unifiedRoleAssignment";
    public const string RoleAssignmentScheduleInstance = "graph:unifiedRoleAssignmentScheduleInstance";
    public const string RoleEligibilityScheduleInstance = "graph:unifiedRoleEligibilityScheduleInstance";
    public const string RoleManagementPolicy = "graph:unifiedRoleManagementPolicy";
    public const string RoleManagementPolicyAssignment = "graph:unifiedRoleManagementPolicyAssignment";
    public const string User = "graph:user";
    public const string DirectorySetting = "graph:directorySetting";
    public const string CrossTenantAccessDefault = "graph:crossTenantAccessPolicyConfigurationDefault";
    public const string AppRoleAssignment = "graph:appRoleAssignment";
    public const string UserRegistrationDetails = "graph:userRegistrationDetails";
    public const string B2BManagementPolicy = "graph:b2bManagementPolicy";
}

/// <summary>One input file and what was read from it.</summary>
public sealed record InputFile(string Path, InputFormat Format, int ResourceCount, int SkippedCount)
{
    /// <summary>The types the file holds or declares (an empty Graph collection still says what it is a collection of).</summary>
    public IReadOnlyList<string> DeclaredTypes { get; init; } = [];
}

/// <summary>
/// Everything read from the inputs of one assessment; in a streamed assessment, the resources some evaluator reads
/// after reading (<see cref="IControlEvaluator.Reads"/>), the others having been checked as they were read and dropped.
/// </summary>
public sealed record TenantSnapshot
{
    private readonly IReadOnlyList<TenantResource> _resources = [];

    /// <summary>
    /// Every resource, in input order. A streamed snapshot that dropped resources has no such list and throws: read
    /// the kept types with <see cref="OfType"/>.
    /// </summary>
    public required IReadOnlyList<TenantResource> Resources
    {
        get => DroppedTypes.Count == 0 ? _resources : throw new InvalidOperationException(
            $"this snapshot was streamed: resources of {DroppedTypes.Count} type(s) were checked as they were read and not kept; read the kept types with OfType");
        init => _resources = value ?? throw new ArgumentNullException(nameof(value));
    }

    public required IReadOnlyList<InputFile> Files { get; init; }

    /// <summary>Per-file problems met while reading a directory (the run goes on).</summary>
    public IReadOnlyList<SecureFuture.Core.Notification> Notifications { get; init; } = [];

    /// <summary>Types of which resources were read, checked and dropped, so that no evaluator reads them by mistake.</summary>
    internal IReadOnlySet<string> DroppedTypes { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The resources kept, in input order.</summary>
    internal IReadOnlyList<TenantResource> Kept => _resources;

    /// <summary>
    /// The resources of one type (case-insensitive), in snapshot order, from an index built on first use. Throws for
    /// a type whose resources a streamed assessment dropped: an evaluator that reads it must declare it.
    /// </summary>
    public IReadOnlyList<TenantResource> OfType(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (DroppedTypes.Contains(type))
        {
            throw new InvalidOperationException($"the {type} resources were checked as they were read and not kept: an evaluator that reads them must list the type in Reads (or Joins)");
        }

        var index = _byType ??= _resources.GroupBy(r => r.Type, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<TenantResource>)[.. g], StringComparer.OrdinalIgnoreCase);
        return index.TryGetValue(type, out var list) ? list : [];
    }

    /// <summary>The resources of any of these types, in snapshot order (a control of several types sees them as read).</summary>
    internal IEnumerable<TenantResource> OfTypes(IReadOnlyList<string> types)
    {
        if (types.Count == 1)
        {
            return OfType(types[0]);
        }

        var lists = types.Distinct(StringComparer.OrdinalIgnoreCase).Select(OfType).Where(l => l.Count > 0).ToList();
        return lists.Count switch
        {
            0 => [],
            1 => lists[0],
            _ => _resources.Where(r => types.Any(r.Is)),
        };
    }

    private Dictionary<string, IReadOnlyList<TenantResource>>? _byType;

    public bool HasFormat(InputFormat format) => Files.Any(f => f.Format == format);
}
