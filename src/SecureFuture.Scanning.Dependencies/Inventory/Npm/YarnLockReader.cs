using YamlDotNet.RepresentationModel;

namespace SecureFuture.Scanning.Dependencies.Inventory.Npm;

/// <summary>
/// <c>yarn.lock</c>: yarn 1's own format (<c># yarn lockfile v1</c>), or yarn 2+ ("berry", YAML with
/// <c>__metadata.version</c> 4 to 8). Each entry resolves one or more descriptors (<c>name@range</c>) to a version.
/// Berry records the project itself as a <c>@workspace:</c> entry whose dependencies are the direct ones; yarn 1 does
/// not, so they come from the <c>package.json</c> beside it. Only registry packages (berry: <c>npm:</c>, and
/// <c>patch:</c> of one) are packages; links, portals and workspaces are not. Berry's <c>checksum</c> hashes yarn's own
/// archive, not the registry tarball, so it is not reported as a hash.
/// </summary>
internal sealed class YarnLockReader : IManifestReader
{
    private static readonly string[] BerryVersions = ["4", "5", "6", "7", "8"];
    private static readonly string[] DependencySections = ["dependencies", "optionalDependencies"];

    public string Ecosystem => Ecosystems.Npm;

    public bool Reads(string fileName, string path) => fileName == "yarn.lock";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var graph = new PackageGraph(Ecosystem, file);
        if (file.Text.Contains("\n__metadata:", StringComparison.Ordinal) || file.Text.StartsWith("__metadata:", StringComparison.Ordinal))
        {
            ReadBerry(file, graph);
        }
        else if (file.Text.Contains("# yarn lockfile v1", StringComparison.Ordinal))
        {
            ReadClassic(file, graph);
        }
        else
        {
            throw new UnknownLockFileVersionException("(no '# yarn lockfile v1' header and no __metadata)", "yarn 1, yarn berry metadata 4-8");
        }

        graph.Emit(output);
    }

    private static void ReadBerry(ManifestFile file, PackageGraph graph)
    {
        var root = LocatedYaml.Parse(file.Text);
        var version = root.Map("__metadata").Scalar("version") ?? "(none)";
        if (!BerryVersions.Contains(version))
        {
            throw new UnknownLockFileVersionException(version, string.Join(", ", BerryVersions));
        }

        var byDescriptor = new Dictionary<string, PackageGraph.Node>(StringComparer.Ordinal);
        var entries = new List<(PackageGraph.Node Node, YamlMappingNode Entry)>();
        foreach (var (key, keyNode, value) in root.Entries())
        {
            if (key == "__metadata" || value is not YamlMappingNode entry || entry.Scalar("resolution") is not { } resolution)
            {
                continue;
            }

            var (name, protocol) = SplitResolution(resolution);
            PackageGraph.Node node;
            if (protocol.StartsWith("workspace:", StringComparison.Ordinal))
            {
                node = graph.Add(name, "workspace", LocatedYaml.LineOf(keyNode));
                node.Project = true;
            }
            else if ((protocol.StartsWith("npm:", StringComparison.Ordinal) || protocol.StartsWith("patch:", StringComparison.Ordinal)) && entry.Scalar("version") is { } resolved)
            {
                node = graph.Add(name, resolved, LocatedYaml.LineOf(keyNode));
            }
            else
            {
                continue;
            }

            entries.Add((node, entry));
            foreach (var descriptor in key.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                byDescriptor[descriptor] = node;
            }
        }

        foreach (var (node, entry) in entries)
        {
            foreach (var section in DependencySections)
            {
                foreach (var (name, _, range) in entry.Map(section).Entries())
                {
                    var spec = (range as YamlScalarNode)?.Value ?? string.Empty;
                    var target = byDescriptor.GetValueOrDefault($"{name}@{spec}") ?? byDescriptor.GetValueOrDefault($"{name}@npm:{spec}");
                    if (target is null)
                    {
                        continue;
                    }

                    if (node.Project)
                    {
                        target.Direct = true;
                    }
                    else
                    {
                        PackageGraph.Depend(node, target);
                    }
                }
            }
        }
    }

    /// <summary><c>@scope/name@npm:1.0.0</c> to (<c>@scope/name</c>, <c>npm:1.0.0</c>).</summary>
    private static (string Name, string Protocol) SplitResolution(string resolution)
    {
        var at = resolution.IndexOf('@', 1);
        return at < 0 ? (resolution, string.Empty) : (resolution[..at], resolution[(at + 1)..]);
    }

    private static void ReadClassic(ManifestFile file, PackageGraph graph)
    {
        var byDescriptor = new Dictionary<string, PackageGraph.Node>(StringComparer.Ordinal);
        var dependencies = new List<(PackageGraph.Node Node, string Name, string Range)>();
        var lines = file.Text.Split('\n');
        (string[] Descriptors, int Line)? header = null;
        string? version = null;
        var hashes = new List<string>();
        var pending = new List<(string Name, string Range)>();
        var inDependencies = false;

        void Flush()
        {
            if (header is not { } h)
            {
                return;
            }

            if (version is null)
            {
                throw new ManifestFormatException(h.Line, 1, $"the entry '{string.Join(", ", h.Descriptors)}' has no version");
            }

            var node = graph.Add(NameOf(h.Descriptors[0]), version, h.Line, hashes);
            foreach (var descriptor in h.Descriptors)
            {
                byDescriptor[descriptor] = node;
            }

            dependencies.AddRange(pending.Select(p => (node, p.Name, p.Range)));
            (header, version, inDependencies) = (null, null, false);
            hashes = [];
            pending = [];
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i].TrimEnd('\r');
            if (raw.Length == 0 || raw.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var indent = raw.Length - raw.TrimStart(' ').Length;
            var content = raw.Trim();
            if (indent == 0)
            {
                Flush();
                if (!content.EndsWith(':'))
                {
                    throw new ManifestFormatException(i + 1, content.Length + 1, "expected ':' at the end of an entry's descriptors");
                }

                header = ([.. content[..^1].Split(", ").Select(Unquote)], i + 1);
            }
            else if (header is null)
            {
                throw new ManifestFormatException(i + 1, indent + 1, "an indented line outside an entry");
            }
            else if (indent == 2)
            {
                inDependencies = content is "dependencies:" or "optionalDependencies:";
                var (key, value) = KeyValue(content);
                if (key == "version")
                {
                    version = value;
                }
                else if (key == "integrity")
                {
                    hashes.AddRange(PackageLockReader.Integrity(value));
                }
            }
            else if (inDependencies)
            {
                var (name, range) = KeyValue(content);
                pending.Add((name, range));
            }
        }

        Flush();
        foreach (var (node, name, range) in dependencies)
        {
            if (byDescriptor.TryGetValue($"{name}@{range}", out var target))
            {
                PackageGraph.Depend(node, target);
            }
        }

        foreach (var (name, range) in NpmManifest.Beside(file) ?? [])
        {
            if (byDescriptor.TryGetValue($"{name}@{range}", out var direct))
            {
                direct.Direct = true;
            }
        }
    }

    private static (string Key, string Value) KeyValue(string content)
    {
        var key = content.StartsWith('"') ? content[..(content.IndexOf('"', 1) + 1)] : content.Split(' ')[0];
        return (Unquote(key.TrimEnd(':')), Unquote(content[key.Length..].Trim()));
    }

    private static string Unquote(string s) => s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1] : s;

    /// <summary><c>@scope/name@^1.0.0</c> to <c>@scope/name</c>.</summary>
    internal static string NameOf(string descriptor)
    {
        var at = descriptor.IndexOf('@', 1);
        return at < 0 ? descriptor : descriptor[..at];
    }
}
