using System.Text;
using System.Text.Json.Nodes;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Yaml;

/// <summary>
/// Writes a model in SecureFuture's YAML format, so that a model imported from the Threat Modeling Tool, Threat
/// Dragon or Threagile becomes a model-as-code file. Boundaries drawn as geometry become member lists: a border
/// holds the elements whose centre lies inside it; a line boundary holds elements chosen so that each flow crosses
/// the list exactly when it crosses the drawn line (a short line that flows pass around included), on the line's
/// left-hand side (seen from its start) where the flows leave the choice open.
/// </summary>
public static class YamlModelWriter
{
    private static readonly string[] ElementTyped = ["technology", "authentication", "authorization", "encryptionAtRest", "dataClassification", "internetExposed"];
    private static readonly string[] FlowTyped = ["protocol", "encryptedInTransit", "authentication", "authorization", "dataClassification"];

    public static string Write(ThreatModel model) => Write(model, template: null, templateReference: null);

    /// <summary>
    /// Writes the model of <paramref name="loaded"/> to be saved at <paramref name="outputPath"/>, naming the template
    /// it was read with (a .tm7's own embedded template, or a given .tb7) relative to the output file, so that the
    /// YAML can be analysed on its own with the same rules.
    /// </summary>
    public static string Write(LoadedModel loaded, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(outputPath);
        var reference = loaded.TemplatePath is { } t
            ? Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(outputPath)) ?? ".", Path.GetFullPath(t)).Replace(Path.DirectorySeparatorChar, '/')
            : null;
        return Write(loaded.Model, loaded.Template, reference);
    }

    /// <summary>
    /// Writes the model. With a <paramref name="template"/>, a stencil type the template no longer defines is written
    /// as the generic type it was drawn from (the YAML reader refuses unknown types; the tool falls back the same way).
    /// </summary>
    public static string Write(ThreatModel model, KnowledgeBase? template, string? templateReference)
    {
        ArgumentNullException.ThrowIfNull(model);
        var yaml = new StringBuilder();
        yaml.Append("version: 1\n");
        yaml.Append("name: ").Append(Quote(model.Name)).Append('\n');
        if (model.Description is { Length: > 0 } description)
        {
            yaml.Append("description: ").Append(Quote(description)).Append('\n');
        }

        if (templateReference is not null)
        {
            yaml.Append("template: ").Append(Quote(templateReference)).Append('\n');
        }

        // Annotations (GE.A) are notes on the drawing, not part of the system: they and the lines drawn to them go.
        var elements = model.Elements.Where(e => e.Kind != ElementKind.Annotation).ToList();
        yaml.Append("elements:\n");
        foreach (var e in elements)
        {
            yaml.Append("  - id: ").Append(Quote(e.Id)).Append('\n');
            yaml.Append("    name: ").Append(Quote(e.Name)).Append('\n');
            yaml.Append("    type: ").Append(Quote(TypeOf(e.TypeId, e.GenericTypeId, template))).Append('\n');
            Properties(yaml, e.Properties, ElementTyped);
        }

        var ids = elements.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        yaml.Append("flows:\n");
        foreach (var f in model.Flows.Where(f => ids.Contains(f.SourceId) && ids.Contains(f.TargetId)))
        {
            yaml.Append("  - id: ").Append(Quote(f.Id)).Append('\n');
            yaml.Append("    name: ").Append(Quote(f.Name)).Append('\n');
            yaml.Append("    from: ").Append(Quote(f.SourceId)).Append('\n');
            yaml.Append("    to: ").Append(Quote(f.TargetId)).Append('\n');
            yaml.Append("    type: ").Append(Quote(TypeOf(f.TypeId, f.GenericTypeId, template))).Append('\n');
            Properties(yaml, f.Properties, FlowTyped);
        }

        if (model.Boundaries.Count > 0)
        {
            yaml.Append("boundaries:\n");
            foreach (var b in model.Boundaries)
            {
                yaml.Append("  - id: ").Append(Quote(b.Id)).Append('\n');
                yaml.Append("    name: ").Append(Quote(b.Name)).Append('\n');
                yaml.Append("    type: ").Append(Quote(TypeOf(b.TypeId, b.GenericTypeId, template))).Append('\n');
                yaml.Append("    members: [").Append(string.Join(", ", Members(model, b).Select(Quote))).Append("]\n");
            }
        }

        return yaml.ToString();
    }

    private static string TypeOf(string typeId, string? genericTypeId, KnowledgeBase? template) =>
        template is not null && template.FindType(typeId) is null && genericTypeId is not null && template.FindType(genericTypeId) is not null ? genericTypeId : typeId;

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
            return LineMembers(model, boundary, [.. onDiagram], s, end);
        }

        return [];
    }

    /// <summary>
    /// The members of a line boundary: the elements such that every flow of its diagram crosses the member list
    /// exactly when it crosses the drawn line. A flow that crosses the line puts its two ends on different sides,
    /// one that does not on the same side; each group of elements joined by flows is laid out from its first element,
    /// and the group as a whole is then put on the side of the line most of its elements lie on (so that an element
    /// no flow joins is on its own side, and a line spanning the diagram gives its left-hand side). A short line
    /// that flows pass around is kept exactly: only flows drawn so that no member list can say which cross (an odd
    /// cycle of crossings) fall back to the first answer.
    /// </summary>
    private static List<string> LineMembers(ThreatModel model, TrustBoundary boundary, List<ModelElement> elements, Point start, Point end)
    {
        var byId = elements.ToDictionary(e => e.Id, StringComparer.Ordinal);
        var links = elements.ToDictionary(e => e.Id, _ => new List<(string Other, bool Crosses)>(), StringComparer.Ordinal);
        foreach (var flow in model.Flows.Where(f => string.Equals(f.DiagramId, boundary.DiagramId, StringComparison.Ordinal) && f.SourceId != f.TargetId))
        {
            if (byId.TryGetValue(flow.SourceId, out var source) && byId.TryGetValue(flow.TargetId, out var target))
            {
                var crosses = BoundaryCrossing.Crosses(boundary, flow, source, target);
                links[source.Id].Add((target.Id, crosses));
                links[target.Id].Add((source.Id, crosses));
            }
        }

        var member = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var first in elements)
        {
            if (member.ContainsKey(first.Id))
            {
                continue;
            }

            var group = new List<string> { first.Id };
            member[first.Id] = false;
            for (var i = 0; i < group.Count; i++)
            {
                foreach (var (other, crosses) in links[group[i]])
                {
                    if (member.TryAdd(other, member[group[i]] != crosses))
                    {
                        group.Add(other);
                    }
                }
            }

            var onLeft = group.Count(id => member[id] == Side(start, end, byId[id].Bounds!.Value.Center) > 0);
            if (onLeft * 2 < group.Count)
            {
                group.ForEach(id => member[id] = !member[id]);
            }
        }

        return [.. elements.Where(e => member[e.Id]).Select(e => e.Id)];
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
    private static string Quote(string value) => JsonValue.Create(value).ToJsonString();
}
