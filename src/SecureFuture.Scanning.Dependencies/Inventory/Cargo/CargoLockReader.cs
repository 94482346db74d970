namespace SecureFuture.Scanning.Dependencies.Inventory.Cargo;

/// <summary>
/// <c>Cargo.lock</c>: format versions 1 and 2 (no <c>version</c> key; v1 keeps checksums in <c>[metadata]</c>), 3 and 4.
/// <c>[[package]]</c> tables with name, version, source, checksum (SHA-256 of the .crate) and dependencies written
/// <c>name</c>, <c>name version</c> or <c>name version (source)</c>. Packages without a source are the workspace's own
/// crates: their dependencies are the direct ones.
/// </summary>
internal sealed class CargoLockReader : IManifestReader
{
    public string Ecosystem => Ecosystems.Cargo;

    public bool Reads(string fileName, string path) => fileName == "Cargo.lock";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var toml = Toml.Parse(file.Text);
        var version = toml.Values.GetValueOrDefault("version")?.ToString();
        if (version is not (null or "1" or "2" or "3" or "4"))
        {
            throw new UnknownLockFileVersionException(version, "1, 2, 3, 4");
        }

        var legacyChecksums = toml.Table("metadata");
        var graph = new PackageGraph(Ecosystem, file);
        var packages = new List<(TomlTable Table, PackageGraph.Node Node)>();
        foreach (var package in toml.List<TomlTable>("package"))
        {
            if (package.Str("name") is not { } name || package.Str("version") is not { } resolved)
            {
                throw new ManifestFormatException(package.Line, 1, "a [[package]] without name or version");
            }

            var source = package.Str("source");
            var checksum = package.Str("checksum") ?? legacyChecksums?.Str($"checksum {name} {resolved} ({source})");
            var node = graph.Add(name, resolved, package.LineOf("name"), checksum is null ? null : [$"sha256-{checksum}"]);
            node.Project = source is null;
            packages.Add((package, node));
        }

        var byName = packages.ToLookup(p => p.Node.Name, p => p.Node, StringComparer.Ordinal);
        foreach (var (package, from) in packages)
        {
            foreach (var dependency in package.List<string>("dependencies"))
            {
                var parts = dependency.Split(' ', 3);
                var target = byName[parts[0]].FirstOrDefault(n => parts.Length == 1 || n.Version == parts[1]);
                if (target is null)
                {
                    continue;
                }

                target.Direct |= from.Project && !target.Project;
                PackageGraph.Depend(from, target);
            }
        }

        graph.Emit(output);
    }
}
