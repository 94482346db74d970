using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Inventory.PyPI;

/// <summary>
/// <c>Pipfile.lock</c> (pipfile-spec 6): <c>default</c> and <c>develop</c> map each package to its <c>==</c> version
/// and hashes. It records no graph; the direct dependencies come from the <c>Pipfile</c> beside it. Editable, path and
/// VCS entries have no registry version and are not packages.
/// </summary>
internal sealed class PipfileLockReader : IManifestReader
{
    public string Ecosystem => Ecosystems.PyPI;

    public bool Reads(string fileName, string path) => fileName == "Pipfile.lock";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        using var json = LocatedJson.Parse(file.Text);
        var meta = json.Root.Obj("_meta");
        var spec = meta is { } m && m.TryGetProperty("pipfile-spec", out var s) ? s.ToString() : "(none)";
        if (spec != "6")
        {
            throw new UnknownLockFileVersionException(spec, "6");
        }

        var declared = PythonNames.FromPipfile(file.Sibling("Pipfile"));
        var graph = new PackageGraph(Ecosystem, file);
        foreach (var section in (string[])["default", "develop"])
        {
            foreach (var entry in json.Root.Obj(section).Props())
            {
                if (entry.Value.Str("version") is not { } pinned)
                {
                    continue;
                }

                var line = json.LineOf(1, section, entry.Name);
                if (!pinned.StartsWith("==", StringComparison.Ordinal))
                {
                    output.NotPinned(Ecosystem, entry.Name, pinned, file, line, "is not pinned with ==");
                    continue;
                }

                var hashes = entry.Value.TryGetProperty("hashes", out var h) && h.ValueKind == JsonValueKind.Array
                    ? h.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => PoetryLockReader.Hash(x.GetString()!))
                    : null;
                var node = graph.Add(entry.Name, pinned.TrimStart('='), line, hashes);
                node.Direct |= declared?.Contains(PythonNames.Normalize(entry.Name)) ?? false;
            }
        }

        graph.Emit(output);
    }
}
