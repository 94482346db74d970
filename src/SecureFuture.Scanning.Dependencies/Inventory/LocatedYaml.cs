using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>YAML lock files (pnpm-lock.yaml, yarn berry's yarn.lock) as nodes that keep their line.</summary>
internal static class LocatedYaml
{
    /// <exception cref="ManifestFormatException">The text is not YAML (line and column of the fault).</exception>
    public static YamlMappingNode? Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ManifestFormatException((int)Math.Max(1, e.Start.Line), (int)Math.Max(1, e.Start.Column), $"not valid YAML: {e.Message}", e);
        }

        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
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
