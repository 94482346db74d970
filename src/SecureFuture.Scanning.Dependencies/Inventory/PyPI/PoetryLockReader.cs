namespace SecureFuture.Scanning.Dependencies.Inventory.PyPI;

/// <summary>
/// <c>poetry.lock</c> (lock-version 1.x and 2.x): <c>[[package]]</c> tables with name, version, their
/// <c>[package.dependencies]</c> by name, and file hashes (<c>files</c>, or <c>[metadata.files]</c> before 2.0). The
/// direct dependencies come from the <c>pyproject.toml</c> beside it.
/// </summary>
internal sealed class PoetryLockReader : IManifestReader
{
    public string Ecosystem => Ecosystems.PyPI;

    public bool Reads(string fileName, string path) => fileName == "poetry.lock";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var toml = Toml.Parse(file.Text);
        var version = toml.Table("metadata")?.Str("lock-version") ?? "(none)";
        if (version.Split('.')[0] is not ("1" or "2"))
        {
            throw new UnknownLockFileVersionException(version, "1.x, 2.x");
        }

        var graph = new PackageGraph(Ecosystem, file);
        var legacyFiles = toml.Table("metadata")?.Table("files");
        var packages = toml.List<TomlTable>("package").ToList();
        var byName = new Dictionary<string, PackageGraph.Node>(StringComparer.Ordinal);
        foreach (var package in packages)
        {
            if (package.Str("name") is not { } name || package.Str("version") is not { } resolved)
            {
                throw new ManifestFormatException(package.Line, 1, "a [[package]] without name or version");
            }

            var files = package.List<TomlTable>("files").Concat(legacyFiles?.List<TomlTable>(name) ?? []);
            var node = graph.Add(name, resolved, package.LineOf("name"), files.Select(f => f.Str("hash")).OfType<string>().Select(Hash));
            byName.TryAdd(PythonNames.Normalize(name), node);
        }

        foreach (var package in packages)
        {
            var from = byName[PythonNames.Normalize(package.Str("name")!)];
            foreach (var dependency in package.Table("dependencies")?.Values.Keys ?? Enumerable.Empty<string>())
            {
                if (byName.TryGetValue(PythonNames.Normalize(dependency), out var to))
                {
                    PackageGraph.Depend(from, to);
                }
            }
        }

        foreach (var name in PythonNames.FromPyproject(file.Sibling("pyproject.toml")) ?? [])
        {
            if (byName.TryGetValue(name, out var direct))
            {
                direct.Direct = true;
            }
        }

        graph.Emit(output);
    }

    /// <summary><c>sha256:hex</c> as <c>sha256-hex</c>.</summary>
    internal static string Hash(string value) => value.Replace(':', '-');
}
