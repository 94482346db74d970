using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>YAML lock files (pnpm-lock.yaml, yarn berry's yarn.lock) as nodes that keep their line.</summary>
internal static class LocatedYaml
{
    /// <summary>Nesting of mappings and sequences: lock files use five or six; a hostile file could use a million.</summary>
    private const int MaxDepth = 64;

    /// <exception cref="ManifestFormatException">The text is not YAML, or nests too deeply (line and column of the fault).</exception>
    public static YamlMappingNode? Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            // The representation model is built recursively, so a deeply nested document would overflow the stack
            // (a crash, not an exception); the event parser is iterative, and checks the depth first.
            CheckDepth(text);
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ManifestFormatException((int)Math.Max(1, e.Start.Line), (int)Math.Max(1, e.Start.Column), $"not valid YAML: {e.Message}", e);
        }
        catch (Exception e) when (IsYamlDotNetFault(e))
        {
            throw new ManifestFormatException(1, 1, $"not valid YAML: {e.Message}", e);
        }

        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
    }

    /// <summary>
    /// YamlDotNet reports some malformed documents with <see cref="InvalidOperationException"/> (its scanner, on a
    /// plain scalar cut short) or <see cref="ArgumentException"/> (its representation model, on an event it does not
    /// expect) instead of <see cref="YamlException"/>; thrown by its own code, they mean the text is not YAML it can
    /// read. Found by fuzzing (docs/fuzzing.md).
    /// </summary>
    internal static bool IsYamlDotNetFault(Exception e) =>
        e is InvalidOperationException or ArgumentException && e.TargetSite?.DeclaringType?.Assembly == typeof(YamlStream).Assembly;

    internal static void CheckDepth(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case MappingStart or SequenceStart when ++depth > MaxDepth:
                    throw new ManifestFormatException((int)parser.Current.Start.Line, (int)parser.Current.Start.Column, $"not accepted: mappings and sequences nested deeper than {MaxDepth}");
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
                default:
                    break;
            }
        }
    }

    public static int LineOf(YamlNode node) => (int)Math.Max(1, node.Start.Line);

    public static YamlMappingNode? Map(this YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    public static string? Scalar(this YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    /// <summary>The entries of a mapping whose keys are scalars: key text, key node (for its line) and value.</summary>
    public static IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(this YamlMappingNode? node) =>
        node is null ? [] : node.Children.Where(c => c.Key is YamlScalarNode { Value: not null }).Select(c => (((YamlScalarNode)c.Key).Value!, c.Key, c.Value));
}
