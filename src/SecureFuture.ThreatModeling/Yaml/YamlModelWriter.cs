using System.Text;
using System.Text.Json;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Yaml;

/// <summary>
/// Writes a model in SecureFuture's YAML format, so that a model imported from the Threat Modeling Tool, Threat
/// Dragon or Threagile becomes a model-as-code file. Boundaries drawn as geometry become member lists: a border
/// holds the elements whose centre lies inside it; a line boundary holds the elements on its left-hand side
/// (seen from its start), which reproduces every crossing of a line that spans the diagram but is an
/// approximation for a short line that flows pass around.
/// </summary>
public static class YamlModelWriter
{
    private static readonly string[] ElementTyped = ["technology", "authentication", "authorization", "encryptionAtRest", "dataClassification", "internetExposed"];
    private static readonly string[] FlowTyped = ["protocol", "encryptedInTransit", "authentication", "authorization", "dataClassification"];

    public static string Write(ThreatModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var yaml = new StringBuilder();
        yaml.Append("version: 1\n");
        yaml.Append("name: ").Append(Quote(model.Name)).Append('\n');
        if (model.Description is { Length: > 0 } description)
        {
            yaml.Append("description: ").Append(Quote(description)).Append('\n');
        }

        yaml.Append("elements:\n");
        foreach (var e in model.Elements.Where(e => e.Kind != ElementKind.Annotation))
        {
            yaml.Append("  - id: ").Append(Quote(e.Id)).Append('\n');
            yaml.Append("    name: ").Append(Quote(e.Name)).Append('\n');
            yaml.Append("    type: ").Append(Quote(e.TypeId)).Append('\n');
            Properties(yaml, e.Properties, ElementTyped);
        }

        var ids = model.Elements.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        yaml.Append("flows:\n");
        foreach (var f in model.Flows.Where(f => ids.Contains(f.SourceId) && ids.Contains(f.TargetId)))
        {
            yaml.Append("  - id: ").Append(Quote(f.Id)).Append('\n');
            yaml.Append("    name: ").Append(Quote(f.Name)).Append('\n');
            yaml.Append("    from: ").Append(Quote(f.SourceId)).Append('\n');
            yaml.Append("    to: ").Append(Quote(f.TargetId)).Append('\n');
            yaml.Append("    type: ").Append(Quote(f.TypeId)).Append('\n');
            Properties(yaml, f.Properties, FlowTyped);
        }

        if (model.Boundaries.Count > 0)
        {
            yaml.Append("boundaries:\n");
            foreach (var b in model.Boundaries)
            {
                yaml.Append("  - id: ").Append(Quote(b.Id)).Append('\n');
                yaml.Append("    name: ").Append(Quote(b.Name)).Append('\n');
                yaml.Append("    type: ").Append(Quote(b.TypeId)).Append('\n');
                yaml.Append("    members: [").Append(string.Join(", ", Members(model, b).Select(Quote))).Append("]\n");
            }
        }

        return yaml.ToString();
    }

    private static IEnumerable<string> Members(ThreatModel model, TrustBoundary boundary)
    {
        if (boundary.Members is { } members)
        {
            return members;
        }

        var onDiagram = model.Elements.Where(e => e.Kind != ElementKind.Annotation && e.DiagramId == boundary.DiagramId && e.Bounds is not null);
        if (boundary.Shape == BoundaryShape.Border && boundary.Bounds is { } rect)
        {
            return onDiagram.Where(e => rect.Contains(e.Bounds!.Value.Center)).Select(e => e.Id);
        }

        if (boundary.Start is { } s && boundary.End is { } end)
        {
            return onDiagram.Where(e => Side(s, end, e.Bounds!.Value.Center) > 0).Select(e => e.Id);
        }

        return [];
    }

    private static double Side(Point a, Point b, Point p) => ((b.X - a.X) * (p.Y - a.Y)) - ((b.Y - a.Y) * (p.X - a.X));

    private static void Properties(StringBuilder yaml, IReadOnlyDictionary<string, string> properties, string[] typed)
    {
        foreach (var key in typed)
        {
            if (properties.TryGetValue(key, out var value))
            {
                yaml.Append("    ").Append(key).Append(": ").Append(Quote(value)).Append('\n');
            }
        }

        var extra = properties.Where(p => !typed.Contains(p.Key, StringComparer.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
        {
            yaml.Append("    properties:\n");
            foreach (var (key, value) in extra)
            {
                yaml.Append("      ").Append(Quote(key)).Append(": ").Append(Quote(value)).Append('\n');
            }
        }
    }

    /// <summary>A JSON string is a valid YAML double-quoted scalar.</summary>
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
