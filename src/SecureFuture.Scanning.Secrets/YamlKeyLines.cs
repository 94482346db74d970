using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// Where each top-level key of a rule file, and each of its examples, starts (1-based line), so that a problem with a
/// user's rule names the line to fix: <c>pattern</c>, <c>examples.match[1]</c>.
/// </summary>
public sealed partial class YamlKeyLines
{
    private readonly Dictionary<string, int> _lines;

    private YamlKeyLines(Dictionary<string, int> lines) => _lines = lines;

    /// <summary>The lines of <paramref name="yaml"/>'s keys; none when it is not a YAML mapping.</summary>
    public static YamlKeyLines Of(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root)
            {
                foreach (var (key, value) in root.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        continue;
                    }

                    lines[name] = (int)key.Start.Line;
                    if (value is YamlMappingNode children)
                    {
                        foreach (var (childKey, childValue) in children.Children)
                        {
                            if (childKey is YamlScalarNode { Value: { } childName })
                            {
                                lines[$"{name}.{childName}"] = (int)childKey.Start.Line;
                                if (childValue is YamlSequenceNode items)
                                {
                                    for (var i = 0; i < items.Children.Count; i++)
                                    {
                                        lines[$"{name}.{childName}[{i}]"] = (int)items.Children[i].Start.Line;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        catch (YamlException)
        {
            // The deserializer reports the syntax error with its own position.
        }

        return new YamlKeyLines(lines);
    }

    /// <summary>
    /// The value of the top-level <c>id:</c> line, read without parsing the YAML, so that a file with a syntax error
    /// still names its rule (and goes to the catalogue of its kind); null when there is none.
    /// </summary>
    public static string? TopLevelId(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return IdLine().Match(yaml) is { Success: true } match ? match.Groups["id"].Value : null;
    }

    [GeneratedRegex(@"^id:[ \t]*[""']?(?<id>[^""'\s#]+)", RegexOptions.Multiline | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex IdLine();

    /// <summary>The line of <paramref name="key"/> (<c>pattern</c>, <c>examples.match[0]</c>), else of <c>id</c>, else null.</summary>
    public int? this[string key] => _lines.TryGetValue(key, out var line) ? line : _lines.TryGetValue("id", out var id) ? id : null;
}
