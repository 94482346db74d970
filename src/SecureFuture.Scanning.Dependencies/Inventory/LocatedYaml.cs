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
        var stream = Load(text);
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
    }

    /// <summary>
    /// The text as YamlDotNet's representation model, after the nesting check. Every way YamlDotNet rejects the text
    /// becomes a <see cref="ManifestFormatException"/>: its <see cref="YamlException"/> with the fault's line and column,
    /// and the <see cref="InvalidOperationException"/> (its scanner, on a plain scalar cut short) or
    /// <see cref="ArgumentException"/> (its representation model, on an event it does not expect, e.g. <c>- : x</c>)
    /// it throws instead on some malformed documents (found by fuzzing, docs/fuzzing.md). Those two are caught only
    /// around YamlDotNet's own work on the text, which is what makes them its faults: no other code runs in that
    /// scope. (Asking the exception where it was thrown, <c>Exception.TargetSite</c>, gives null under Native
    /// AOT, where such a fault was then not recognised as malformed input; the banned-API list refuses it.)
    /// </summary>
    /// <exception cref="ManifestFormatException">The text is not YAML YamlDotNet can read, or nests too deeply.</exception>
    public static YamlStream Load(string text)
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
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new ManifestFormatException(1, 1, $"not valid YAML: {e.Message}", e);
        }

        return stream;
    }

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
