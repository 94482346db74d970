using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Dependencies.Inventory.PyPI;

/// <summary>
/// pip requirements files (<c>*requirements*.txt</c>, <c>requirements/*.txt</c>): a requirement pinned with <c>==</c> or
/// <c>===</c> is a package, with its <c>--hash</c> values; anything else (<c>&gt;=</c>, <c>~=</c>, a wildcard, no
/// version, a URL) is reported as unpinned. Continuation lines, comments, markers and extras are understood; options
/// (<c>-r</c>, <c>-c</c>, <c>-e</c>, <c>--index-url</c>) are not requirements. pip-compile's <c># via</c> comments
/// tell which pins are transitive and what brings them (<c># via -r ...</c> marks a direct one); without them every
/// pin is direct.
/// </summary>
internal sealed partial class RequirementsReader : IManifestReader
{
    public string Ecosystem => Ecosystems.PyPI;

    public bool Reads(string fileName, string path) =>
        fileName.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
        && (fileName.Contains("requirements", StringComparison.OrdinalIgnoreCase) || path.Contains("requirements/", StringComparison.OrdinalIgnoreCase));

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var graph = new PackageGraph(Ecosystem, file);
        var byName = new Dictionary<string, PackageGraph.Node>(StringComparer.Ordinal);
        var via = new List<(PackageGraph.Node Node, List<string> Parents)>();
        List<string>? currentVia = null;
        var lines = file.Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var logical = lines[i].TrimEnd('\r');
            while (logical.EndsWith('\\') && i + 1 < lines.Length)
            {
                logical = logical[..^1] + " " + lines[++i].TrimEnd('\r');
            }

            var trimmed = logical.Trim();
            if (trimmed.StartsWith('#'))
            {
                // pip-compile: "    # via pkg", or "    # via" followed by "    #   pkg" lines.
                var comment = trimmed.TrimStart('#').Trim();
                if (currentVia is not null && comment.StartsWith("via", StringComparison.Ordinal) && (comment.Length == 3 || comment[3] == ' '))
                {
                    AddVia(currentVia, comment[3..]);
                }
                else if (currentVia is not null && lines[i].StartsWith("    #   ", StringComparison.Ordinal))
                {
                    AddVia(currentVia, comment);
                }

                continue;
            }

            currentVia = null;
            var content = StripComment(trimmed);
            if (content.Length == 0 || content.StartsWith('-'))
            {
                continue;
            }

            var match = Requirement().Match(content);
            if (!match.Success)
            {
                throw new ManifestFormatException(lineNumber, 1, $"not a requirement: '{content}'");
            }

            var name = match.Groups["name"].Value;
            var op = match.Groups["op"].Value;
            var version = match.Groups["version"].Value;
            if (op is not ("==" or "===") || version.Contains('*', StringComparison.Ordinal) || match.Groups["more"].Success)
            {
                var requirement = match.Groups["spec"].Value.Trim();
                output.NotPinned(Ecosystem, name, requirement.Length == 0 ? "(any version)" : requirement, file, lineNumber, "is not pinned with ==");
                continue;
            }

            var hashes = HashOption().Matches(content).Select(m => $"{m.Groups[1].Value}-{m.Groups[2].Value}");
            var node = graph.Add(name, version, lineNumber, hashes);
            byName.TryAdd(PythonNames.Normalize(name), node);
            currentVia = [];
            via.Add((node, currentVia));
        }

        var compiled = via.Exists(v => v.Parents.Count > 0);
        foreach (var (node, parents) in via)
        {
            node.Direct = !compiled || parents.Count == 0 || parents.Exists(p => p.StartsWith('-'));
            foreach (var parent in parents)
            {
                if (byName.TryGetValue(PythonNames.Normalize(parent), out var from))
                {
                    PackageGraph.Depend(from, node);
                }
            }
        }

        graph.Emit(output);
    }

    private static void AddVia(List<string> parents, string text)
    {
        var value = text.Trim();
        if (value.Length > 0)
        {
            parents.Add(value.StartsWith('-') ? value : value.Split(' ')[0]);
        }
    }

    private static string StripComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i].Trim();
            }
        }

        return line;
    }

    // name[extras] (op version (, op version)*)? (; markers)? (--hash=...)*   or   name @ url
    [GeneratedRegex(@"^(?<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?<spec>((?<op>===|==|~=|!=|<=|>=|<|>)\s*(?<version>[^\s,;\\]+)(?<more>\s*,\s*(===|==|~=|!=|<=|>=|<|>)\s*[^\s,;\\]+)*)|@\s*\S+)?\s*(;.*?)?(\s+--hash=\S+)*\s*$")]
    private static partial Regex Requirement();

    [GeneratedRegex(@"--hash[=\s]([A-Za-z0-9]+):([0-9A-Fa-f]+)")]
    private static partial Regex HashOption();
}
