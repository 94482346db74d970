using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Inventory.Npm;

/// <summary>
/// <c>package-lock.json</c> and <c>npm-shrinkwrap.json</c>, lockfileVersion 1 to 3. Versions 2 and 3 list every
/// installed copy under <c>packages</c> by its <c>node_modules/...</c> path, with the project itself (and workspace
/// members) as entries without <c>node_modules/</c>; a dependency resolves the way Node does, from the nearest
/// <c>node_modules</c> upward. Version 1 nests <c>dependencies</c> and does not record the project's own, which come
/// from the <c>package.json</c> beside it. Links (workspace symlinks) are not packages.
/// </summary>
internal sealed class PackageLockReader : IManifestReader
{
    private const string Modules = "node_modules/";

    public string Ecosystem => Ecosystems.Npm;

    public bool Reads(string fileName, string path) => fileName is "package-lock.json" or "npm-shrinkwrap.json" && !path.Contains("node_modules/", StringComparison.Ordinal);

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        using var json = LocatedJson.Parse(file.Text);
        var version = json.Root.ValueKind == JsonValueKind.Object && json.Root.TryGetProperty("lockfileVersion", out var v) ? v.ToString() : "(none)";
        var graph = new PackageGraph(Ecosystem, file);
        switch (version)
        {
            case "2" or "3":
                ReadPackages(json, graph);
                break;
            case "1":
                ReadNested(json, file, graph);
                break;
            default:
                throw new UnknownLockFileVersionException(version, "1, 2, 3");
        }

        graph.Emit(output);
    }

    private static void ReadPackages(LocatedJson json, PackageGraph graph)
    {
        var entries = json.Root.Obj("packages").Props().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        var nodes = new Dictionary<string, PackageGraph.Node>(StringComparer.Ordinal);
        var projects = new List<string>();
        foreach (var (path, entry) in entries)
        {
            var line = json.LineOf(1, "packages", path);
            if (!path.Contains(Modules, StringComparison.Ordinal) && !path.StartsWith("node_modules", StringComparison.Ordinal))
            {
                projects.Add(path); // "" is the project; "packages/x" a workspace member
                continue;
            }

            if (entry.Flag("link") || entry.Str("version") is not { } version)
            {
                continue;
            }

            var name = entry.Str("name") ?? NameOf(path);
            nodes[path] = graph.Add(name, version, line, entry.Str("integrity") is { } integrity ? Integrity(integrity) : null);
        }

        foreach (var (path, entry) in entries)
        {
            var isProject = projects.Contains(path);
            var from = nodes.GetValueOrDefault(path);
            if (from is null && !isProject)
            {
                continue;
            }

            foreach (var dependency in NpmManifest.Declared(entry).Keys)
            {
                if (Resolve(entries, nodes, path, dependency) is not { } to)
                {
                    continue; // an optional or peer dependency that was not installed
                }

                if (isProject)
                {
                    to.Direct = true;
                }
                else
                {
                    PackageGraph.Depend(from!, to);
                }
            }
        }
    }

    /// <summary>Node's lookup: <c>from/node_modules/name</c>, then each parent's <c>node_modules</c>, then the top.</summary>
    private static PackageGraph.Node? Resolve(Dictionary<string, JsonElement> entries, Dictionary<string, PackageGraph.Node> nodes, string from, string name)
    {
        var directory = from;
        while (true)
        {
            var candidate = directory.Length == 0 ? Modules + name : $"{directory}/{Modules}{name}";
            if (nodes.TryGetValue(candidate, out var node))
            {
                return node;
            }

            if (entries.TryGetValue(candidate, out var entry) && entry.Flag("link") && entry.Str("resolved") is { } target && nodes.TryGetValue(target, out var linked))
            {
                return linked;
            }

            if (directory.Length == 0)
            {
                return null;
            }

            var cut = directory.LastIndexOf("/" + Modules, StringComparison.Ordinal);
            directory = cut < 0 ? string.Empty : directory[..cut];
        }
    }

    private static void ReadNested(LocatedJson json, ManifestFile file, PackageGraph graph)
    {
        // Each level: name -> node, so that "requires" resolves to the nearest enclosing copy, as in v2.
        void Collect(JsonElement dependencies, string[] path, List<Dictionary<string, PackageGraph.Node>> enclosing)
        {
            var level = new Dictionary<string, PackageGraph.Node>(StringComparer.Ordinal);
            foreach (var dependency in dependencies.EnumerateObject())
            {
                if (dependency.Value.Str("version") is not { } version || version.StartsWith("file:", StringComparison.Ordinal))
                {
                    continue;
                }

                string[] at = [.. path, dependency.Name];
                level[dependency.Name] = graph.Add(dependency.Name, version, json.LineOf(1, at), dependency.Value.Str("integrity") is { } integrity ? Integrity(integrity) : null);
            }

            var chain = new List<Dictionary<string, PackageGraph.Node>>(enclosing) { level };
            foreach (var dependency in dependencies.EnumerateObject())
            {
                if (!level.TryGetValue(dependency.Name, out var node))
                {
                    continue;
                }

                if (dependency.Value.Obj("dependencies") is { } nested)
                {
                    Collect(nested, [.. path, dependency.Name, "dependencies"], chain);
                }

                foreach (var required in dependency.Value.Obj("requires").Props())
                {
                    var target = Nearest(required.Name, chain, dependency.Value, graph);
                    if (target is not null)
                    {
                        PackageGraph.Depend(node, target);
                    }
                }
            }
        }

        if (json.Root.Obj("dependencies") is { } top)
        {
            Collect(top, ["dependencies"], []);
            var declared = NpmManifest.Beside(file);
            foreach (var dependency in top.EnumerateObject())
            {
                if ((declared?.ContainsKey(dependency.Name) ?? false) && dependency.Value.Str("version") is { } version && graph.Find(dependency.Name, version) is { } node)
                {
                    node.Direct = true;
                }
            }
        }
    }

    /// <summary>A v1 "requires" entry: the copy nested in the requiring package, else the nearest enclosing level's.</summary>
    private static PackageGraph.Node? Nearest(string name, List<Dictionary<string, PackageGraph.Node>> chain, JsonElement requirer, PackageGraph graph)
    {
        if (requirer.Obj("dependencies") is { } own && own.Obj(name) is { } nested && nested.Str("version") is { } version && graph.Find(name, version) is { } inner)
        {
            return inner;
        }

        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i].TryGetValue(name, out var node))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>The package name from its last <c>node_modules/</c> segment (<c>@scope/name</c> kept whole).</summary>
    internal static string NameOf(string path)
    {
        var at = path.LastIndexOf(Modules, StringComparison.Ordinal);
        return at < 0 ? path : path[(at + Modules.Length)..];
    }

    /// <summary>An SRI string (<c>sha512-base64 sha1-base64</c>) as the lock file's hashes.</summary>
    internal static IEnumerable<string> Integrity(string sri) =>
        sri.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(h => h.Contains('-', StringComparison.Ordinal));
}
