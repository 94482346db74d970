using YamlDotNet.RepresentationModel;

namespace SecureFuture.Scanning.Dependencies.Inventory.Npm;

/// <summary>
/// <c>pnpm-lock.yaml</c>, lockfile versions 5.x, 6.x and 9.x. The projects (<c>importers</c>, or the top level of a
/// single-project 5.x/6.x file) name their direct dependencies and the version each resolved to; <c>packages</c> (and,
/// from 9.0, <c>snapshots</c>) hold each package with its integrity and dependencies. Keys carry peer-dependency
/// suffixes (<c>1.0.0(react@18.2.0)</c> from 6.0, <c>1.0.0_react@18.2.0</c> before) that are not part of the version;
/// <c>link:</c> versions are workspace projects, not packages.
/// </summary>
internal sealed class PnpmLockReader : IManifestReader
{
    private static readonly string[] Sections = ["dependencies", "devDependencies", "optionalDependencies"];

    public string Ecosystem => Ecosystems.Npm;

    public bool Reads(string fileName, string path) => fileName == "pnpm-lock.yaml";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var root = LocatedYaml.Parse(file.Text);
        var version = root.Scalar("lockfileVersion") ?? "(none)";
        var major = version.Split('.')[0];
        if (major is not ("5" or "6" or "9"))
        {
            throw new UnknownLockFileVersionException(version, "5.x, 6.x, 9.x");
        }

        var legacy = major == "5";
        var graph = new PackageGraph(Ecosystem, file);
        foreach (var (key, keyNode, value) in root.Map("packages").Entries())
        {
            if (ParseKey(key, legacy) is { } id)
            {
                var integrity = (value as YamlMappingNode).Map("resolution").Scalar("integrity");
                graph.Add(id.Name, id.Version, LocatedYaml.LineOf(keyNode), integrity is null ? null : PackageLockReader.Integrity(integrity));
            }
        }

        // Dependencies of packages: 9.x keeps them in snapshots, earlier versions in packages.
        foreach (var (key, _, value) in (major == "9" ? root.Map("snapshots") : root.Map("packages")).Entries())
        {
            if (ParseKey(key, legacy) is not { } id || graph.Find(id.Name, id.Version) is not { } from)
            {
                continue;
            }

            foreach (var section in Sections)
            {
                foreach (var (name, _, reference) in (value as YamlMappingNode).Map(section).Entries())
                {
                    if (Target(graph, name, (reference as YamlScalarNode)?.Value, legacy) is { } to)
                    {
                        PackageGraph.Depend(from, to);
                    }
                }
            }
        }

        var projects = root.Map("importers") is { } importers ? importers.Entries().Select(e => e.Value as YamlMappingNode) : [root];
        foreach (var project in projects)
        {
            foreach (var section in Sections)
            {
                foreach (var (name, _, reference) in project.Map(section).Entries())
                {
                    // 5.x: "name: version"; 6.x and 9.x: "name: { specifier, version }".
                    var resolved = reference is YamlMappingNode map ? map.Scalar("version") : (reference as YamlScalarNode)?.Value;
                    if (Target(graph, name, resolved, legacy) is { } direct)
                    {
                        direct.Direct = true;
                    }
                }
            }
        }

        graph.Emit(output);
    }

    /// <summary>The package a dependency reference (<c>1.0.0(peer@1)</c>, or an alias <c>other@1.0.0</c>) names.</summary>
    private static PackageGraph.Node? Target(PackageGraph graph, string name, string? reference, bool legacy)
    {
        if (reference is null || reference.StartsWith("link:", StringComparison.Ordinal) || reference.StartsWith("file:", StringComparison.Ordinal))
        {
            return null;
        }

        if (reference.StartsWith('/'))
        {
            return ParseKey(reference, legacy) is { } aliased ? graph.Find(aliased.Name, aliased.Version) : null;
        }

        var version = StripPeers(reference, legacy);
        var at = version.Length > 1 ? version.IndexOf('@', 1) : -1; // an empty reference has no alias (found by fuzzing)
        return at > 0 && !char.IsAsciiDigit(version[0])
            ? graph.Find(version[..at], version[(at + 1)..])
            : graph.Find(name, version);
    }

    /// <summary>
    /// A package key: 9.x <c>name@1.0.0</c>, 6.x <c>/name@1.0.0(peers)</c>, 5.x <c>/name/1.0.0_peers</c> (scoped names
    /// keep their <c>@scope/</c>). Keys of tarball or git packages, which have no registry version, are skipped.
    /// </summary>
    internal static (string Name, string Version)? ParseKey(string key, bool legacy)
    {
        var k = key.StartsWith('/') ? key[1..] : key;
        if (legacy)
        {
            var slash = k.LastIndexOf('/');
            return slash > 0 ? (k[..slash], StripPeers(k[(slash + 1)..], legacy: true)) : null;
        }

        k = StripPeers(k, legacy: false);
        var at = k.Length > 1 ? k.IndexOf('@', 1) : -1;
        return at > 0 && at < k.Length - 1 && char.IsAsciiDigit(k[at + 1]) ? (k[..at], k[(at + 1)..]) : null;
    }

    private static string StripPeers(string version, bool legacy)
    {
        var cut = version.IndexOf(legacy ? '_' : '(', StringComparison.Ordinal);
        return cut > 0 ? version[..cut] : version;
    }
}
