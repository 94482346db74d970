using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Inventory.NuGet;

/// <summary>
/// <c>packages.lock.json</c> (NuGet's repeatable restore, format versions 1 and 2): per target framework, every package
/// with its type (<c>Direct</c>, <c>Transitive</c>, <c>CentralTransitive</c>, <c>Project</c>), resolved version,
/// <c>contentHash</c> (SHA-512 of the .nupkg, base64) and its dependencies by name.
/// </summary>
internal sealed class NuGetLockFileReader : IManifestReader
{
    private static readonly string[] KnownVersions = ["1", "2"];

    public string Ecosystem => Ecosystems.NuGet;

    public bool Reads(string fileName, string path) => fileName == "packages.lock.json";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        using var json = LocatedJson.Parse(file.Text);
        var version = json.Root.ValueKind == JsonValueKind.Object && json.Root.TryGetProperty("version", out var v) ? v.ToString() : "(none)";
        if (!KnownVersions.Contains(version))
        {
            throw new UnknownLockFileVersionException(version, string.Join(", ", KnownVersions));
        }

        var graph = new PackageGraph(Ecosystem, file);
        foreach (var framework in json.Root.Obj("dependencies").Props())
        {
            var nodes = new Dictionary<string, PackageGraph.Node>(StringComparer.OrdinalIgnoreCase);
            var entries = framework.Value.Props().ToList();
            foreach (var entry in entries)
            {
                var type = entry.Value.Str("type");
                var line = json.LineOf(1, "dependencies", framework.Name, entry.Name);
                if (type == "Project")
                {
                    var project = graph.Add(entry.Name, "project", line);
                    project.Project = true;
                    nodes[entry.Name] = project;
                    continue;
                }

                if (entry.Value.Str("resolved") is not { } resolved)
                {
                    continue;
                }

                var node = graph.Add(entry.Name, resolved, line, entry.Value.Str("contentHash") is { } hash ? [$"sha512-{hash}"] : null);
                node.Direct |= type == "Direct";
                nodes[entry.Name] = node;
            }

            foreach (var entry in entries)
            {
                if (nodes.TryGetValue(entry.Name, out var from))
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
