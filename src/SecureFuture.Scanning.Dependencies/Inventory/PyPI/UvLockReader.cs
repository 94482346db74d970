namespace SecureFuture.Scanning.Dependencies.Inventory.PyPI;

/// <summary>
/// <c>uv.lock</c> (version 1): <c>[[package]]</c> tables with name, version, source, dependencies (by name, with a
/// version when several are locked) and sdist/wheel hashes. The project and workspace members (an <c>editable</c>,
/// <c>virtual</c> or <c>directory</c> source) are not packages; their dependencies, optional dependencies and
/// dev dependencies are the direct ones.
/// </summary>
internal sealed class UvLockReader : IManifestReader
{
    private static readonly string[] ProjectSources = ["editable", "virtual", "directory"];

    public string Ecosystem => Ecosystems.PyPI;

    public bool Reads(string fileName, string path) => fileName == "uv.lock";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var toml = Toml.Parse(file.Text);
        var version = toml.Values.GetValueOrDefault("version")?.ToString() ?? "(none)";
        if (version != "1")
        {
            throw new UnknownLockFileVersionException(version, "1");
        }

        var graph = new PackageGraph(Ecosystem, file);
        var packages = new List<(TomlTable Table, PackageGraph.Node Node)>();
        foreach (var package in toml.List<TomlTable>("package"))
        {
            if (package.Str("name") is not { } name)
            {
                throw new ManifestFormatException(package.Line, 1, "a [[package]] without a name");
            }

            var source = package.Table("source");
            var isProject = source is not null && ProjectSources.Any(source.Values.ContainsKey);
            var hashes = package.List<TomlTable>("wheels").Prepend(package.Table("sdist")).OfType<TomlTable>().Select(f => f.Str("hash")).OfType<string>();
            var node = graph.Add(name, isProject ? "project" : package.Str("version") ?? "(none)", package.LineOf("name"), isProject ? null : hashes.Select(PoetryLockReader.Hash));
            node.Project = isProject;
            packages.Add((package, node));
        }

        var byName = packages.ToLookup(p => PythonNames.Normalize(p.Node.Name), p => p.Node, StringComparer.Ordinal);
        foreach (var (package, from) in packages)
        {
            var groups = new List<TomlTable>(package.List<TomlTable>("dependencies"));
            foreach (var extra in (package.Table("optional-dependencies")?.Values.Values ?? Enumerable.Empty<object>()).Concat(package.Table("dev-dependencies")?.Values.Values ?? Enumerable.Empty<object>()))
            {
                groups.AddRange(extra is List<object> list ? list.OfType<TomlTable>() : []);
            }

            foreach (var dependency in groups)
            {
                var name = PythonNames.Normalize(dependency.Str("name") ?? string.Empty);
                var wanted = dependency.Str("version");
                var target = byName[name].FirstOrDefault(n => wanted is null || n.Version == wanted);
                if (target is null)
                {
                    continue;
                }

                if (from.Project)
                {
                    target.Direct |= !target.Project;
                }

                PackageGraph.Depend(from, target);
            }
        }

        graph.Emit(output);
    }
}
