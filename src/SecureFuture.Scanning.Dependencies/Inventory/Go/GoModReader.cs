namespace SecureFuture.Scanning.Dependencies.Inventory.Go;

/// <summary>
/// <c>go.mod</c>: every <c>require</c>d module at its exact version (Go's minimal version selection makes the build
/// list's versions the ones written, and since Go 1.17 the file lists every module the build needs), direct unless
/// marked <c>// indirect</c>. A <c>replace</c> with a module version substitutes that module; one with a local path
/// is not a package. <c>go.sum</c> beside it adds each module's <c>h1:</c> hash. go.mod records no graph, so a
/// transitive module's path is not known.
/// </summary>
internal sealed class GoModReader : IManifestReader
{
    public string Ecosystem => Ecosystems.Go;

    public bool Reads(string fileName, string path) => fileName == "go.mod";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var requires = new List<(string Module, string Version, bool Indirect, int Line)>();
        var replaces = new Dictionary<string, (string? FromVersion, string Module, string? Version, int Line)>(StringComparer.Ordinal);
        string? block = null;
        var lines = file.Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i].TrimEnd('\r');
            var comment = raw.IndexOf("//", StringComparison.Ordinal);
            var indirect = comment >= 0 && raw[(comment + 2)..].Trim().StartsWith("indirect", StringComparison.Ordinal);
            var content = (comment >= 0 ? raw[..comment] : raw).Trim();
            if (content.Length == 0)
            {
                continue;
            }

            string verb;
            string rest;
            if (block is not null)
            {
                if (content == ")")
                {
                    block = null;
                    continue;
                }

                (verb, rest) = (block, content);
            }
            else
            {
                var space = content.IndexOfAny([' ', '\t']);
                (verb, rest) = space < 0 ? (content, string.Empty) : (content[..space], content[space..].Trim());
                if (rest == "(")
                {
                    block = verb;
                    continue;
                }
            }

            var fields = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim('"', '`')).ToArray();
            switch (verb)
            {
                case "require":
                    if (fields.Length != 2)
                    {
                        throw new ManifestFormatException(i + 1, 1, $"a require needs a module path and a version: '{content}'");
                    }

                    requires.Add((fields[0], fields[1], indirect, i + 1));
                    break;
                case "replace":
                    var arrow = Array.IndexOf(fields, "=>");
                    if (arrow is not (1 or 2) || fields.Length - arrow - 1 is not (1 or 2))
                    {
                        throw new ManifestFormatException(i + 1, 1, $"a replace needs 'module [version] => target [version]': '{content}'");
                    }

                    replaces[fields[0]] = (arrow == 2 ? fields[1] : null, fields[arrow + 1], fields.Length - arrow - 1 == 2 ? fields[^1] : null, i + 1);
                    break;
                case "module" or "go" or "toolchain" or "exclude" or "retract" or "godebug" or "tool" or "ignore":
                    break;
                default:
                    throw new ManifestFormatException(i + 1, 1, $"unknown go.mod directive '{verb}'");
            }
        }

        var sums = GoSum(file.Sibling("go.sum"));
        var graph = new PackageGraph(Ecosystem, file);
        foreach (var (module, version, indirect, line) in requires)
        {
            var (name, resolved) = (module, version);
            if (replaces.TryGetValue(module, out var replace) && (replace.FromVersion is null || replace.FromVersion == version))
            {
                if (replace.Version is null)
                {
                    output.Note(InventoryNotifications.Unpinned, file.Path, replace.Line,
                        $"{file.Path}:{replace.Line}: {module} is replaced by the local directory {replace.Module}; it is not a published module and is not inventoried");
                    continue;
                }

                (name, resolved) = (replace.Module, replace.Version);
            }

            graph.Add(name, resolved, line, sums.GetValueOrDefault($"{name} {resolved}") is { } hash ? [hash] : null).Direct = !indirect;
        }

        graph.Emit(output, directIsExplicit: true);
    }

    /// <summary>go.sum's module hashes (<c>module version h1:base64</c>; the <c>/go.mod</c> lines hash only the go.mod).</summary>
    private static Dictionary<string, string> GoSum(string? text)
    {
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (text ?? string.Empty).Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length == 3 && fields[2].StartsWith("h1:", StringComparison.Ordinal) && !fields[1].EndsWith("/go.mod", StringComparison.Ordinal))
            {
                sums.TryAdd($"{fields[0]} {fields[1]}", "h1-" + fields[2][3..]);
            }
        }

        return sums;
    }
}
