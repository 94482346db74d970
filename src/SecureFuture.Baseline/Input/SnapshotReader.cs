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
    /// <summary>The notification of a file found in a directory and refused (malformed, unrecognised, unreadable).</summary>
    public const string InputRefused = "baseline/input";

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

    /// <summary>Large sections no control reads; skipped without being kept in memory.</summary>
    private static readonly HashSet<string> SkippedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        // Not "variables": an ARM template's variables() are evaluated from it (a Terraform plan's are small and unused).
        "configuration", "planned_values", "prior_state", "outputs", "output_changes", "relevant_attributes",
        "checks", "functions", "cap_table_data", "service_plans", "license_information",
    };

    public static Task<TenantSnapshot> ReadAsync(IEnumerable<string> paths, CancellationToken cancellationToken = default) =>
        ReadAsync(paths, null, cancellationToken);

    /// <summary>The name of the deployment parameters file read with a template that has no <c>--parameters</c>: <c>NAME.parameters.json</c> beside <c>NAME.json</c>.</summary>
    public static string SiblingParametersFile(string templatePath)
    {
        ArgumentNullException.ThrowIfNull(templatePath);
        return Path.Combine(Path.GetDirectoryName(templatePath) ?? string.Empty, Path.GetFileNameWithoutExtension(templatePath) + ".parameters.json");
    }

    /// <summary>A <c>NAME.parameters.json</c> with a <c>NAME.json</c> beside it: read with that template, not as an input of its own.</summary>
    private static bool IsSiblingParametersFile(string path) =>
        path.EndsWith(".parameters.json", StringComparison.OrdinalIgnoreCase)
        && File.Exists(path[..^".parameters.json".Length] + ".json");

    public static Task<TenantSnapshot> ReadAsync(IEnumerable<string> paths, Func<TenantResource, bool>? accept, CancellationToken cancellationToken = default) =>
        ReadAsync(paths, accept, null, cancellationToken);

    /// <summary>
    /// Reads files and directories (their <c>*.json</c>, in ordinal order), handing each resource to
    /// <paramref name="accept"/>: the elements of a resource collection as they are read, the resources of other files
    /// (plans, templates, ScubaGear exports) once their file has been read. The snapshot keeps only the resources it
    /// returns true for (all when it is null), so that a large export is never held whole.
    /// </summary>
    /// <param name="accept">Sees every resource in input order; true keeps it in the snapshot.</param>
    /// <param name="templateParameters">
    /// A deployment parameters file for every ARM template among the inputs (<c>sfi baseline assess --parameters</c>);
    /// when null, each template's <c>NAME.parameters.json</c> beside it, if there is one.
    /// </param>
    public static async Task<TenantSnapshot> ReadAsync(IEnumerable<string> paths, Func<TenantResource, bool>? accept, string? templateParameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var resources = new List<TenantResource>();
        var dropped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var store = new ChunkStore();
        var repeats = new RepeatedTenantObjects();
        void One(TenantResource resource)
        {
            if (repeats.IsRepeat(resource))
            {
                return;
            }

            if (accept is null)
            {
                resources.Add(resource);
            }
            else if (accept(resource))
            {
                // Copied out of the file's chunks, which the resources dropped share and which can now go.
                resources.Add(resource.CopiedInto(store));
            }
            else
            {
                dropped.Add(resource.Type);
            }
        }

        void Add(IReadOnlyList<TenantResource> read)
        {
            foreach (var resource in read)
            {
                One(resource);
            }
        }

        // With a consumer, the elements of a resource collection go to it while their file is still being read.
        Action<TenantResource>? early = accept is null ? null : One;

        var files = new List<InputFile>();
        var notifications = new List<Notification>();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(path))
            {
                var root = Path.GetFullPath(path);
                var found = new List<string>();
                foreach (var (directory, problem) in Walk(root, found))
                {
                    // A directory that cannot be listed may hold the failure a gate exists to catch: refused like a file.
                    notifications.Add(new Notification(InputRefused, NotificationLevel.Error, $"{Path.GetRelativePath(root, directory).Replace('\\', '/')}: cannot read directory: {problem}")
                    {
                        Path = Path.GetRelativePath(root, directory).Replace('\\', '/'),
                    });
                }

                foreach (var file in found.Where(f => !IsSiblingParametersFile(f)).Order(StringComparer.Ordinal))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var display = Path.GetRelativePath(root, file).Replace('\\', '/');
                    try
                    {
                        var read = await Task.Run(() => ReadFile(file, display, early, templateParameters), cancellationToken);
                        files.Add(read.File);
                        Add(read.Resources);
                    }
                    catch (InputException ex)
                    {
                        notifications.Add(new Notification(InputRefused, NotificationLevel.Error, ex.Message)
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
                var read = await Task.Run(() => ReadFile(path, path.Replace('\\', '/'), early, templateParameters), cancellationToken);
                files.Add(read.File);
                Add(read.Resources);
            }
            else
            {
                throw new InputException(path, null, null, "no such file or directory");
            }
        }

        // A type is only "dropped" if none of its resources was kept: a kept type reads complete through OfType.
        dropped.ExceptWith(resources.Select(r => r.Type));
        notifications.AddRange(repeats.Notifications);
        return new TenantSnapshot { Resources = resources, Files = files, Notifications = notifications, DroppedTypes = dropped };
    }

    /// <summary>
    /// Adds the <c>*.json</c> files under <paramref name="directory"/> to <paramref name="files"/> (not following
    /// symbolic links to directories) and returns the directories that could not be listed, with why.
    /// </summary>
    private static List<(string Directory, string Problem)> Walk(string directory, List<string> files)
    {
        var refused = new List<(string, string)>();
        var pending = new Stack<string>();
        pending.Push(directory);
        while (pending.TryPop(out var current))
        {
            try
            {
                var info = new DirectoryInfo(current);
                var here = info.EnumerateFiles("*.json", SearchOption.TopDirectoryOnly).Select(f => f.FullName).ToList();
                var below = info.EnumerateDirectories().Where(d => d.LinkTarget is null).Select(d => d.FullName).ToList();
                files.AddRange(here);
                foreach (var sub in below)
                {
                    pending.Push(sub);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                refused.Add((current, ex.Message));
            }
        }

        return refused;
    }

    /// <summary>Reads one file; <paramref name="displayPath"/> is the path findings and errors show.</summary>
    public static (IReadOnlyList<TenantResource> Resources, InputFile File) ReadFile(string path, string displayPath) => ReadFile(path, displayPath, null);

    /// <param name="early">Receives the resources of a collection as they are read (see <see cref="Read(Stream, string, WalkStatistics?, Action{TenantResource}?, Func{JsonObject?}?)"/>).</param>
    /// <param name="templateParameters">A deployment parameters file for a template; its sibling <c>NAME.parameters.json</c> when null.</param>
    internal static (IReadOnlyList<TenantResource> Resources, InputFile File) ReadFile(string path, string displayPath, Action<TenantResource>? early, string? templateParameters = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(displayPath);
        using var stream = OpenRead(path, displayPath);
        var parameters = templateParameters ?? SiblingParametersFile(path);
        return Read(stream, displayPath, null, early, () => templateParameters is not null || File.Exists(parameters) ? ReadParameterValues(parameters) : null);
    }

    /// <summary>The <c>parameters</c> of a deployment parameters file (<c>{"parameters": {"name": {"value": ...}}}</c>); errors name <paramref name="displayPath"/>.</summary>
    internal static JsonObject ReadParameterValues(string path, string? displayPath = null)
    {
        displayPath ??= path;
        JsonNode? root;
        try
        {
            using var stream = OpenRead(path, displayPath);
            root = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InputException(displayPath, ex.LineNumber + 1, ex.BytePositionInLine + 1, $"not a deployment parameters file: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Invalid UTF-8 inside a string value.
            throw new InputException(displayPath, null, null, $"not a deployment parameters file: {ex.Message}", ex);
        }

        return root is JsonObject o && o["parameters"] is JsonObject values
            ? values
            : throw new InputException(displayPath, null, null, "not a deployment parameters file: expected an object with \"parameters\": {\"NAME\": {\"value\": ...}}");
    }

    /// <summary>Reads one JSON document from a stream.</summary>
    public static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(Stream stream, string displayPath) => Read(stream, displayPath, null);

    /// <summary>
    /// Reads one JSON document from a stream; if it is an ARM template, with the values of the deployment parameters
    /// file at <paramref name="parametersPath"/> (read only then; its errors name <paramref name="parametersDisplayPath"/>).
    /// </summary>
    public static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(Stream stream, string displayPath, string parametersPath, string parametersDisplayPath)
    {
        ArgumentNullException.ThrowIfNull(parametersPath);
        ArgumentNullException.ThrowIfNull(parametersDisplayPath);
        return Read(stream, displayPath, null, null, () => ReadParameterValues(parametersPath, parametersDisplayPath));
    }

    /// <param name="early">
    /// When given, receives each element of a resource collection (a root array, or a root <c>value</c> or <c>data</c>
    /// array) as soon as it is read and can be told apart, instead of holding the whole file: a 2 GB
    /// <c>az resource list</c> export is then read in constant memory. Those resources are not in the returned list. If
    /// the file later turns out to be malformed, the ones already handed over stay handed over (the error still names
    /// file, line and column).
    /// </param>
    /// <param name="templateParameters">Reads the parameter values for a template, only if the file turns out to be one.</param>
    internal static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(Stream stream, string displayPath, WalkStatistics? statistics, Action<TenantResource>? early = null, Func<JsonObject?>? templateParameters = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayPath);
        var rootValues = new Dictionary<string, CapturedValue>(StringComparer.OrdinalIgnoreCase);
        var elements = new List<CapturedValue>();
        var dropped = 0;
        var containers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var streamedArm = 0;
        var streamedGraph = 0;
        var streamedTypes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        bool Streamed(CapturedValue v)
        {
            var collection = (v.Depth == 1 && v.RootKey is null)
                || (v.Depth == 2 && v.RootKey is { } k && (k.Equals("value", StringComparison.OrdinalIgnoreCase) || k.Equals("data", StringComparison.OrdinalIgnoreCase)));
            if (early is null || !collection || v.Top is not { } top || v.Json is not { } json || (v.RootKey is not null && MayNotBeACollection(rootValues, containers)))
            {
                return false;
            }

            // A Graph entity without its own @odata.type is typed by the file's @odata.context: only once that is known.
            var context = rootValues.TryGetValue("@odata.context", out var c) ? Str(c.Node) : null;
            TenantResource resource;
            if (ArmType(top) is { } armType)
            {
                resource = ArmResource(top, json, null, armType, InputFormat.ArmResources, v, displayPath);
                streamedArm++;
            }
            else if ((v.RootKey is null || context is not null || top.Text("@odata.type") is not null) && GraphType(top, context) is { } graphType)
            {
                resource = GraphResource(top, json, null, graphType, InputFormat.Graph, v, displayPath);
                streamedGraph++;
            }
            else
            {
                return false;
            }

            streamedTypes.Add(resource.Type);
            early(resource);
            return true;
        }

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
            if (v.Depth == 1 && v.RootKey is { } key)
            {
                rootValues[key] = v;
            }
            else if (v.Top is { } top && IsIrrelevant(top))
            {
                dropped++;
            }
            else if (Streamed(v))
            {
                v.Release();
            }
            else
            {
                // Kept as compact JSON (and its top-level summary): a 2 GB export holds no trees.
                elements.Add(v);
            }
        }, statistics);

        var resources = new List<TenantResource>();
        var scubaDeclared = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var skipped = dropped;
        var streamed = streamedArm + streamedGraph;

        // Keys that came after a collection say the file is a plan, a template or a ScubaGear export (the same tests
        // as below decide it); the collection has already been assessed as resources, so the file is ambiguous.
        void NotACollectionAfterAll()
        {
            if (streamed > 0)
            {
                throw Unrecognised(displayPath, "the file has a value/data collection of resources and also the keys of a Terraform plan, ARM template or ScubaGear export");
            }
        }

        InputFormat format;
        if (rootType == JsonTokenType.StartArray)
        {
            format = ClassifyElements(elements, displayPath, null, resources, ref skipped, streamedArm, streamedGraph);
        }
        else if (rootType != JsonTokenType.StartObject)
        {
            throw Unrecognised(displayPath, "the file holds a single JSON scalar");
        }
        else if (rootValues.TryGetValue("format_version", out var formatVersion)
                 && (rootValues.ContainsKey("terraform_version") || containers.Contains("resource_changes")))
        {
            NotACollectionAfterAll();
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

                e.Release();
            }
        }
        else if (rootValues.TryGetValue("$schema", out var parametersSchema) && Str(parametersSchema.Node) is { } ps
                 && ps.Contains("deploymentParameters", StringComparison.OrdinalIgnoreCase))
        {
            throw Unrecognised(displayPath, "it is an ARM deployment parameters file: name it TEMPLATE.parameters.json beside TEMPLATE.json, or give it with --parameters");
        }
        else if (IsArmTemplate(rootValues, containers))
        {
            NotACollectionAfterAll();
            format = InputFormat.ArmTemplate;
            var evaluator = new ArmTemplateEvaluator(
                rootValues.TryGetValue("parameters", out var declarations) ? declarations.Node as JsonObject : null,
                rootValues.TryGetValue("variables", out var variables) ? variables.Node as JsonObject : null,
                templateParameters?.Invoke());
            foreach (var e in elements.Where(e => IsUnder(e, "resources")))
            {
                if (e.Node is JsonObject o)
                {
                    AddTemplateResource(o, evaluator, null, e, displayPath, resources);
                }

                e.Release();
            }

            // languageVersion 2.0 templates name their resources: "resources": { "sa": { ... } }.
            if (rootValues.TryGetValue("resources", out var named) && named.Node is JsonObject symbolic)
            {
                foreach (var (_, value) in symbolic)
                {
                    if (value is JsonObject o)
                    {
                        AddTemplateResource(o, evaluator, null, named, displayPath, resources);
                    }
                }
            }
        }
        else if (rootValues.Keys.Concat(containers).Any(ScubaGearExport.IsSection)
                 || rootValues.ContainsKey("baseline_version") || rootValues.ContainsKey("module_version"))
        {
            NotACollectionAfterAll();
            format = InputFormat.ScubaGear;
            ScubaGearExport.Read(rootValues, containers, elements, displayPath, resources, scubaDeclared);
        }
        else if (elements.Count > 0 || dropped > 0 || containers.Contains("value") || containers.Contains("data"))
        {
            var context = rootValues.TryGetValue("@odata.context", out var c) ? Str(c.Node) : null;
            format = ClassifyElements(elements, displayPath, context, resources, ref skipped, streamedArm, streamedGraph);
        }
        else
        {
            // A single entity: GET /policies/authorizationPolicy, or one ARM resource.
            var o = new JsonObject(new JsonNodeOptions { PropertyNameCaseInsensitive = true });
            foreach (var (key, value) in rootValues)
            {
                o[key] = value.Node?.DeepClone();
            }

            var at = new CapturedValue(0, null, o, 1, 1);
            var context = Str(o["@odata.context"]);
            var top = TopLevel.Of(o);
            if (ArmType(top) is { } armType)
            {
                format = InputFormat.ArmResources;
                resources.Add(ArmResource(top, null, o, armType, InputFormat.ArmResources, at, displayPath));
            }
            else if (GraphType(top, context) is { } graphType)
            {
                format = InputFormat.Graph;
                resources.Add(GraphResource(top, null, o, graphType, InputFormat.Graph, at, displayPath));
            }
            else
            {
                throw Unrecognised(displayPath, "the object is neither an ARM resource nor a recognised Graph entity");
            }
        }

        var declared = resources.Select(r => r.Type).ToHashSet(StringComparer.OrdinalIgnoreCase);
        declared.UnionWith(streamedTypes);
        if (rootValues.TryGetValue("@odata.context", out var ctxValue) && Str(ctxValue.Node) is { } ctxText
            && GraphType(new TopLevel(), ctxText) is { } declaredType)
        {
            declared.Add(declaredType);
        }

        declared.UnionWith(scubaDeclared);
        return (resources, new InputFile(displayPath, format, resources.Count + streamed, skipped) { DeclaredTypes = [.. declared.Order(StringComparer.Ordinal)] });
    }

    /// <summary>
    /// An ARM resource or Terraform resource change of a type no control reads. Dropped as soon as it is parsed, so
    /// that a large export of other resources costs no memory (ARM resources, template resources and Terraform
    /// resource changes all carry their type in "type").
    /// </summary>
    private static bool IsIrrelevant(TopLevel o) =>
        o.Text("type")?.TrimEnd('/') is { } type
        && (type.Contains('/', StringComparison.Ordinal) || type.StartsWith("azurerm_", StringComparison.Ordinal))
        && !KnownTypes.Contains(type)
        && !o.IsArray("resources");

    private static FileStream OpenRead(string path, string displayPath)
    {
        // Never opened: a FIFO blocks the open, a device never ends, a directory is not a file.
        if (FileKinds.NotARegularFile(path) is { } problem)
        {
            throw new InputException(displayPath, null, null, problem);
        }

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

            return token == JsonTokenType.StartArray && (ContainerKeys.Contains(key) || ScubaGearExport.IsArraySection(key))
                ? WalkAction.Descend
                : WalkAction.Capture;
        }

        return path.Count == 2 && path[1] is int ? WalkAction.Capture : WalkAction.Skip;
    }

    private static bool IsUnder(CapturedValue value, string key) =>
        value.Depth == 2 && string.Equals(value.RootKey, key, StringComparison.OrdinalIgnoreCase);

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

    /// <summary>
    /// Whether the root keys and containers seen so far may mark a Terraform plan, an ARM template or a ScubaGear
    /// export: looser than the tests that decide the format once the file has been read, because it must hold a
    /// collection back on partial knowledge.
    /// </summary>
    private static bool MayNotBeACollection(Dictionary<string, CapturedValue> rootValues, HashSet<string> containers) =>
        rootValues.ContainsKey("format_version") || rootValues.ContainsKey("terraform_version") || containers.Contains("resource_changes")
        || rootValues.ContainsKey("contentVersion") || rootValues.ContainsKey("$schema") || containers.Contains("resources") || rootValues.ContainsKey("resources")
        || rootValues.ContainsKey("baseline_version") || rootValues.ContainsKey("module_version")
        || rootValues.Keys.Concat(containers).Any(ScubaGearExport.IsSection);

    /// <param name="arm">ARM resources of the file already handed over while it was read.</param>
    /// <param name="graph">Graph entities of the file already handed over while it was read.</param>
    private static InputFormat ClassifyElements(List<CapturedValue> elements, string displayPath, string? context, List<TenantResource> resources, ref int skipped, int arm = 0, int graph = 0)
    {
        foreach (var e in elements)
        {
            if (e.Top is not { } top || e.Json is not { } json)
            {
                skipped++;
                continue;
            }

            if (ArmType(top) is { } armType)
            {
                resources.Add(ArmResource(top, json, null, armType, InputFormat.ArmResources, e, displayPath));
                arm++;
            }
            else if (GraphType(top, context) is { } graphType)
            {
                resources.Add(GraphResource(top, json, null, graphType, InputFormat.Graph, e, displayPath));
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
    private static string? ArmType(TopLevel o)
    {
        if (o.Text("type") is { } type && type.Contains('/', StringComparison.Ordinal)
            && type.Contains('.', StringComparison.Ordinal) && (o.Has("id") || o.Has("name")))
        {
            return type;
        }

        return null;
    }

    /// <param name="json">The compact JSON of the resource, kept instead of a tree.</param>
    /// <param name="tree">An object assembled in memory (a single entity) that is kept as it is, instead of <paramref name="json"/>.</param>
    private static TenantResource ArmResource(TopLevel o, ReadOnlyMemory<byte>? json, JsonObject? tree, string type, InputFormat format, CapturedValue at, string displayPath)
    {
        var name = o.Text("name");
        var resource = new TenantResource
        {
            Type = Intern(type),
            Id = o.Text("id") ?? $"{type}/{name}",
            Location = o.Text("location") is { } location ? Intern(location) : null,
            Name = name,
            Format = format,
            Source = new SourceLocation(displayPath, at.Line, at.Column),
        };
        return tree is not null ? resource with { Data = tree } : resource with { Json = json ?? throw new ArgumentNullException(nameof(json)) };
    }

    /// <summary>
    /// One template resource (and its nested children), with the expressions the evaluator can resolve replaced by
    /// their values. The id keeps the name as written, so that a finding points at what the template says.
    /// </summary>
    private static void AddTemplateResource(JsonObject o, ArmTemplateEvaluator evaluator, string? parentType, CapturedValue at, string displayPath, List<TenantResource> resources)
    {
        if (Str(o["type"]) is not { } written)
        {
            return;
        }

        // "Microsoft.Network/networkWatchers/flowLogs/" is deployed as the type without its trailing slash.
        var type = written.TrimEnd('/');

        // A nested template resource names its type relative to its parent ("blobServices/containers").
        var fullType = parentType is not null && !type.Contains('.', StringComparison.Ordinal) ? $"{parentType}/{type}" : type;
        var resolved = evaluator.Resolve(o) as JsonObject ?? o;
        resources.Add(ArmResource(TopLevel.Of(o), CompactJson.FromNode(resolved), null, fullType, InputFormat.ArmTemplate, at, displayPath) with { Id = $"{fullType}/{Str(o["name"])}" });
        if (o["resources"] is JsonArray children)
        {
            foreach (var child in children.OfType<JsonObject>())
            {
                AddTemplateResource(child, evaluator, fullType, at, displayPath, resources);
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

        return new TenantResource
        {
            Type = Intern(type),
            Id = Str(o["address"]) ?? $"{type}.{Str(o["name"])}",
            Name = Str(o["name"]),
            Format = InputFormat.TerraformPlan,
            Source = new SourceLocation(displayPath, e.Line, e.Column),
            Json = CompactJson.FromNode(after),
            // Typed: a bare null would be a null byte[], which converts to an empty ReadOnlyMemory, not to no value, and
            // every control then failed to parse it on a plan without after_unknown (found by fuzzing).
            AfterUnknownJson = change["after_unknown"] is JsonObject unknown ? CompactJson.FromNode(unknown) : (ReadOnlyMemory<byte>?)null,
        };
    }

    internal static TenantResource GraphResource(TopLevel o, ReadOnlyMemory<byte>? json, JsonObject? tree, string type, InputFormat format, CapturedValue at, string displayPath)
    {
        var resource = new TenantResource
        {
            Type = type,
            // Singletons without an id (policies/crossTenantAccessPolicy/default) are named by their type.
            Id = o.Text("id") ?? o.Text("appId") ?? (at.Depth == 0 ? type[GraphTypes.Prefix.Length..] : string.Create(CultureInfo.InvariantCulture, $"{type[GraphTypes.Prefix.Length..]}@{at.Line}")),
            Name = o.Text("displayName"),
            Format = format,
            Source = new SourceLocation(displayPath, at.Line, at.Column),
        };
        return tree is not null ? resource with { Data = tree } : resource with { Json = json ?? throw new ArgumentNullException(nameof(json)) };
    }

    /// <summary>
    /// Resource types and regions repeat across thousands of resources: one string per distinct value (case as first
    /// met), not one per resource. Bounded beyond the catalogue's types, so that hostile input cannot grow it.
    /// </summary>
    private static string Intern(string type) => KnownTypes.Contains(type) || TypeNames.Count < 1024 ? TypeNames.GetOrAdd(type, type) : type;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> TypeNames = new(StringComparer.Ordinal);

    /// <summary>The Graph type of an entity: its <c>@odata.type</c>, the collection's <c>@odata.context</c>, or its shape.</summary>
    internal static string? GraphType(TopLevel o, string? context)
    {
        if (o.Text("@odata.type") is { } odataType && odataType.StartsWith("#microsoft.graph.", StringComparison.Ordinal))
        {
            return GraphTypes.Prefix + odataType["#microsoft.graph.".Length..];
        }

        var ctx = o.Text("@odata.context") ?? context;
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
            _ when o.Has("conditions") && o.Has("grantControls") => GraphTypes.ConditionalAccessPolicy,
            _ when o.Has("defaultUserRolePermissions") => GraphTypes.AuthorizationPolicy,
            _ when o.Has("authenticationMethodConfigurations") => GraphTypes.AuthenticationMethodsPolicy,
            _ when o.Has("b2bCollaborationOutbound") && o.Has("isServiceDefault") => GraphTypes.CrossTenantAccessDefault,
            _ when o.Has("appId") && o.Has("servicePrincipalType") => GraphTypes.ServicePrincipal,
            _ when o.Has("appId") && (o.Has("signInAudience") || o.Has("passwordCredentials")) => GraphTypes.Application,
            _ when o.Has("roleDefinitionId") && o.Has("principalId") && o.Has("assignmentType") => GraphTypes.RoleAssignmentScheduleInstance,
            _ when o.Has("roleDefinitionId") && o.Has("principalId") && o.Has("directoryScopeId") => GraphTypes.RoleAssignment,
            _ when o.Has("appRoleId") && o.Has("resourceId") => GraphTypes.AppRoleAssignment,
            _ when o.Has("policyId") && o.Has("roleDefinitionId") && o.Has("scopeType") => GraphTypes.RoleManagementPolicyAssignment,
            _ when o.Has("templateId") && o.IsArray("values") => GraphTypes.DirectorySetting,
            _ when o.Has("methodsRegistered") => GraphTypes.UserRegistrationDetails,
            _ when o.Has("definition") && string.Equals(o.Text("type"), "B2BManagementPolicy", StringComparison.OrdinalIgnoreCase) => GraphTypes.B2BManagementPolicy,
            _ when o.Has("userPrincipalName") => GraphTypes.User,
            _ when o.Has("isEnabled") && (o.Text("displayName") ?? string.Empty).Contains("Security Defaults", StringComparison.OrdinalIgnoreCase) => GraphTypes.SecurityDefaults,
            _ => null,
        };
    }

    internal static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
