using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Inventory.NuGet;

/// <summary>
/// <c>obj/project.assets.json</c> (what <c>dotnet restore</c> resolved; format versions 3 and 4): <c>targets</c> holds
/// every package per framework with its dependencies, <c>libraries</c> their SHA-512, and
/// <c>project.frameworks.*.dependencies</c> the direct ones. Read only when no <c>packages.lock.json</c> is beside the project.
/// </summary>
internal sealed class ProjectAssetsReader : IManifestReader
{
    private static readonly string[] KnownVersions = ["3", "4"];

    public string Ecosystem => Ecosystems.NuGet;

    public bool Reads(string fileName, string path) => fileName == "project.assets.json" && path.EndsWith("obj/project.assets.json", StringComparison.Ordinal);

    public bool SupersededBy(ManifestFile file) => file.Sibling("../packages.lock.json") is not null;

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        using var json = LocatedJson.Parse(file.Text);
        var version = json.Root.ValueKind == JsonValueKind.Object && json.Root.TryGetProperty("version", out var v) ? v.ToString() : "(none)";
        if (!KnownVersions.Contains(version))
        {
            throw new UnknownLockFileVersionException(version, string.Join(", ", KnownVersions));
        }

        var direct = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var framework in json.Root.Obj("project")?.Obj("frameworks").Props() ?? [])
        {
            foreach (var dependency in framework.Value.Obj("dependencies").Props())
            {
                if (!string.Equals(dependency.Value.Str("target"), "Project", StringComparison.OrdinalIgnoreCase))
                {
                    direct.Add(dependency.Name);
                }
            }
        }

        var graph = new PackageGraph(Ecosystem, file);
        foreach (var target in json.Root.Obj("targets").Props())
        {
            var nodes = new Dictionary<string, PackageGraph.Node>(StringComparer.OrdinalIgnoreCase);
            var entries = target.Value.Props().ToList();
            foreach (var entry in entries)
            {
                var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0)
                {
                    continue;
                }

                var (name, resolved) = (entry.Name[..slash], entry.Name[(slash + 1)..]);
                var line = json.LineOf(1, "targets", target.Name, entry.Name);
                var isProject = entry.Value.Str("type") == "project";
                var hash = isProject ? null : json.Root.Obj("libraries")?.Obj(entry.Name)?.Str("sha512");
                var node = graph.Add(name, isProject ? "project" : resolved, line, hash is null ? null : [$"sha512-{hash}"]);
                node.Project |= isProject;
                node.Direct |= !isProject && direct.Contains(name);
                nodes[name] = node;
            }

            foreach (var entry in entries)
            {
                var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && nodes.TryGetValue(entry.Name[..slash], out var from))
                {
                    foreach (var dependency in entry.Value.Obj("dependencies").Props())
                    {
                        if (nodes.TryGetValue(dependency.Name, out var to))
                        {
                            PackageGraph.Depend(from, to);
                        }
                    }
                }
            }
        }

        graph.Emit(output);
    }
}
