using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Interop;

/// <summary>
/// Writes a model as an OWASP Threat Dragon v2 document (the shape <see cref="ThreatDragonImporter"/> reads):
/// one Threat Dragon diagram per model diagram, external entities as <c>actor</c>, processes as <c>process</c>,
/// data stores as <c>store</c>, flows as <c>flow</c> cells naming their source and target cells, border
/// boundaries as <c>trust-boundary-box</c> and line boundaries as <c>trust-boundary-curve</c>. Elements keep
/// their coordinates when they have them; otherwise they are laid out in columns, one column per set of
/// enclosing boundaries, so that every boundary's box contains exactly its members. Threats are written into
/// the flow cell of their interaction. The output depends only on the input.
/// </summary>
public static class ThreatDragonWriter
{
    public const string Version = "2.2.0";

    private const double Margin = 60;
    private const double ColumnWidth = 240;
    private const double RowHeight = 140;
    private const double BoxWidth = 120;
    private const double BoxHeight = 80;
    private const double Padding = 20;

    /// <summary>Writes <paramref name="model"/> with <paramref name="threats"/> (default: the model's recorded threats).</summary>
    public static string Write(ThreatModel model, IReadOnlyList<Threat>? threats = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        threats ??= model.RecordedThreats;
        var diagrams = model.Diagrams.Count > 0 ? model.Diagrams : [new Diagram("diagram-0", "Main")];
        var first = diagrams[0].Id;
        string DiagramOf(string? id) => id is not null && diagrams.Any(d => d.Id == id) ? id : first;

        var threatsByFlow = threats.GroupBy(t => t.Key.FlowId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WriteStartObject("summary");
            json.WriteString("title", model.Name);
            json.WriteString("owner", string.Empty);
            json.WriteString("description", model.Description ?? string.Empty);
            json.WriteNumber("id", 0);
            json.WriteEndObject();
            json.WriteStartObject("detail");
            json.WriteStartArray("contributors");
            json.WriteEndArray();
            json.WriteStartArray("diagrams");
            var threatNumber = 0;
            for (var d = 0; d < diagrams.Count; d++)
            {
                var diagram = diagrams[d];
                var elements = model.Elements.Where(e => e.Kind != ElementKind.Annotation && DiagramOf(e.DiagramId) == diagram.Id).ToList();
                var flows = model.Flows.Where(f => DiagramOf(f.DiagramId) == diagram.Id).ToList();
                var boundaries = model.Boundaries.Where(b => DiagramOf(b.DiagramId) == diagram.Id).ToList();
                var boxes = Layout(elements, boundaries, model.Boundaries);

                json.WriteStartObject();
                json.WriteNumber("id", d);
                json.WriteString("title", diagram.Name);
                json.WriteString("diagramType", "STRIDE");
                json.WriteString("placeholder", string.Empty);
                json.WriteNumber("thumbnail", 0);
                json.WriteString("version", Version);
                json.WriteStartArray("cells");
                var z = 0;
                foreach (var boundary in boundaries)
                {
                    WriteBoundary(json, boundary, boxes, model.Boundaries, ++z);
                }

                foreach (var element in elements)
                {
                    WriteElement(json, element, boxes[element.Id], ++z);
                }

                foreach (var flow in flows)
                {
                    WriteFlow(json, flow, threatsByFlow.GetValueOrDefault(flow.Id) ?? [], ++z, ref threatNumber);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Boxes for the elements: their own bounds, or columns grouped by enclosing boundaries.</summary>
    internal static Dictionary<string, Rect> Layout(List<ModelElement> elements, List<TrustBoundary> boundaries, IReadOnlyList<TrustBoundary> all)
    {
        var boxes = new Dictionary<string, Rect>(StringComparer.Ordinal);
        var memberSets = boundaries.Where(b => b.Members is not null)
            .Select(b => (b.Id, Members: BoundaryCrossing.FlattenMembers(b, all).ToHashSet(StringComparer.Ordinal)))
            .ToList();
        var unplaced = elements.Where(e => e.Bounds is null).ToList();
        foreach (var element in elements.Where(e => e.Bounds is not null))
        {
            boxes[element.Id] = element.Bounds!.Value;
        }

        if (unplaced.Count == 0)
        {
            return boxes;
        }

        // Place to the right of anything already drawn. One column per set of enclosing boundaries; sets sorted so
        // that a boundary's members occupy adjacent columns when boundaries nest (a prefix order).
        var startX = boxes.Count > 0 ? boxes.Values.Max(r => r.Left + r.Width) + ColumnWidth : Margin;
        var signature = unplaced.ToDictionary(
            e => e.Id,
            e => string.Join('\u0001', memberSets.Where(m => m.Members.Contains(e.Id)).OrderByDescending(m => m.Members.Count).ThenBy(m => m.Id, StringComparer.Ordinal).Select(m => m.Id)),
            StringComparer.Ordinal);
        var columns = unplaced.Select((e, i) => (e, i)).GroupBy(x => signature[x.e.Id], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        for (var c = 0; c < columns.Count; c++)
        {
            var row = 0;
            foreach (var (element, _) in columns[c].OrderBy(x => x.i))
            {
                var width = element.Kind == ElementKind.Process ? 100 : BoxWidth;
                var height = element.Kind == ElementKind.Process ? 100 : BoxHeight;
                boxes[element.Id] = new Rect(startX + (c * ColumnWidth), Margin + (row++ * RowHeight), width, height);
            }
        }

        return boxes;
    }

    private static void WriteBoundary(Utf8JsonWriter json, TrustBoundary boundary, Dictionary<string, Rect> boxes, IReadOnlyList<TrustBoundary> all, int z)
    {
        if (boundary.Shape == BoundaryShape.Line && boundary.Start is { } start && boundary.End is { } end)
        {
            json.WriteStartObject();
            json.WriteString("shape", "trust-boundary-curve");
            json.WriteString("id", boundary.Id);
            json.WriteNumber("zIndex", z);
            json.WriteStartObject("source");
            WritePoint(json, start);
            json.WriteEndObject();
            json.WriteStartObject("target");
            WritePoint(json, end);
            json.WriteEndObject();
            json.WriteStartArray("vertices");
            if (boundary.Handle is { } handle)
            {
                json.WriteStartObject();
                WritePoint(json, handle);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteLabels(json, boundary.Name);
            json.WriteStartObject("data");
            json.WriteString("type", "tm.Boundary");
            json.WriteString("name", boundary.Name);
            json.WriteString("description", string.Empty);
            json.WriteBoolean("isTrustBoundary", true);
            json.WriteBoolean("hasOpenThreats", false);
            json.WriteEndObject();
            json.WriteEndObject();
            return;
        }

        var rect = boundary.Bounds ?? MemberBox(boundary, boxes, all);
        if (rect is not { } box)
        {
            return;
        }

        json.WriteStartObject();
        json.WriteString("shape", "trust-boundary-box");
        json.WriteString("id", boundary.Id);
        json.WriteNumber("zIndex", -z);
        WriteGeometry(json, box);
        json.WriteStartObject("attrs");
        json.WriteStartObject("headerText");
        json.WriteString("text", boundary.Name);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("data");
        json.WriteString("type", "tm.BoundaryBox");
        json.WriteString("name", boundary.Name);
        json.WriteString("description", string.Empty);
        json.WriteBoolean("isTrustBoundary", true);
        json.WriteBoolean("hasOpenThreats", false);
        WriteSfi(json, boundary.TypeId, boundary.Properties);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// What Threat Dragon has no field for, kept under <c>data.sfi</c> (Threat Dragon ignores unknown data members):
    /// the element type and every property, so that re-importing an exported model generates the same threats.
    /// </summary>
    private static void WriteSfi(Utf8JsonWriter json, string typeId, IReadOnlyDictionary<string, string> properties)
    {
        json.WriteStartObject("sfi");
        json.WriteString("type", typeId);
        json.WriteStartObject("properties");
        foreach (var (name, value) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>A box around a member-list boundary's members; boundaries inside others get less padding.</summary>
    internal static Rect? MemberBox(TrustBoundary boundary, Dictionary<string, Rect> boxes, IReadOnlyList<TrustBoundary> all)
    {
        if (boundary.Members is null)
        {
            return null;
        }

        var own = BoundaryCrossing.FlattenMembers(boundary, all);
        var members = own.Where(boxes.ContainsKey).Select(id => boxes[id]).ToList();
        if (members.Count == 0)
        {
            return null;
        }

        var depth = all.Count(b => b.Id != boundary.Id && b.Members is not null && own.All(BoundaryCrossing.FlattenMembers(b, all).Contains));
        var pad = Padding * (4 - Math.Min(depth, 3)) / 2;
        var left = members.Min(r => r.Left) - pad;
        var top = members.Min(r => r.Top) - pad;
        return new Rect(left, top, members.Max(r => r.Left + r.Width) + pad - left, members.Max(r => r.Top + r.Height) + pad - top);
    }

    private static void WriteElement(Utf8JsonWriter json, ModelElement element, Rect box, int z)
    {
        var (shape, type) = element.Kind switch
        {
            ElementKind.Process => ("process", "tm.Process"),
            ElementKind.DataStore => ("store", "tm.Store"),
            _ => ("actor", "tm.Actor"),
        };
        json.WriteStartObject();
        json.WriteString("shape", shape);
        json.WriteString("id", element.Id);
        json.WriteNumber("zIndex", z);
        WriteGeometry(json, box);
        json.WriteStartObject("attrs");
        json.WriteStartObject("text");
        json.WriteString("text", element.Name);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("data");
        json.WriteString("type", type);
        json.WriteString("name", element.Name);
        json.WriteString("description", element.Properties.GetValueOrDefault("description") ?? string.Empty);
        json.WriteBoolean("outOfScope", YesNo(element.Properties, "outOfScope") ?? false);
        json.WriteString("reasonOutOfScope", string.Empty);
        json.WriteBoolean("hasOpenThreats", false);
        void Flag(string property, string field)
        {
            if (YesNo(element.Properties, property) is { } b)
            {
                json.WriteBoolean(field, b);
            }
        }

        switch (element.Kind)
        {
            case ElementKind.Process:
                if (element.Properties.GetValueOrDefault("privilegeLevel") is { Length: > 0 } privilege)
                {
                    json.WriteString("privilegeLevel", privilege);
                }

                Flag("isWebApplication", "isWebApplication");
                Flag("handlesCardPayment", "handlesCardPayment");
                Flag("handlesGoodsOrServices", "handlesGoodsOrServices");
                break;
            case ElementKind.DataStore:
                Flag("encryptionAtRest", "isEncrypted");
                Flag("isALog", "isALog");
                Flag("isSigned", "isSigned");
                Flag("storesCredentials", "storesCredentials");
                break;
            default:
                Flag("providesAuthentication", "providesAuthentication");
                break;
        }

        json.WriteStartArray("threats");
        json.WriteEndArray();
        WriteSfi(json, element.TypeId, element.Properties);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteFlow(Utf8JsonWriter json, DataFlow flow, List<Threat> threats, int z, ref int number)
    {
        json.WriteStartObject();
        json.WriteString("shape", "flow");
        json.WriteString("id", flow.Id);
        json.WriteNumber("zIndex", z);
        json.WriteString("connector", "smooth");
        json.WriteStartObject("source");
        json.WriteString("cell", flow.SourceId);
        json.WriteEndObject();
        json.WriteStartObject("target");
        json.WriteString("cell", flow.TargetId);
        json.WriteEndObject();
        json.WriteStartArray("vertices");
        json.WriteEndArray();
        WriteLabels(json, flow.Name);
        json.WriteStartObject("data");
        json.WriteString("type", "tm.Flow");
        json.WriteString("name", flow.Name);
        json.WriteString("description", string.Empty);
        json.WriteBoolean("outOfScope", YesNo(flow.Properties, "outOfScope") ?? false);
        json.WriteString("reasonOutOfScope", string.Empty);
        json.WriteString("protocol", flow.Properties.GetValueOrDefault("protocol") ?? string.Empty);
        json.WriteBoolean("isBidirectional", false);
        if (YesNo(flow.Properties, "encryptedInTransit") is { } encrypted)
        {
            json.WriteBoolean("isEncrypted", encrypted);
        }

        if (YesNo(flow.Properties, "publicNetwork") is { } isPublic)
        {
            json.WriteBoolean("isPublicNetwork", isPublic);
        }

        WriteSfi(json, flow.TypeId, flow.Properties);
        json.WriteBoolean("hasOpenThreats", threats.Any(t => t.State is ThreatState.NotStarted or ThreatState.NeedsInvestigation));
        json.WriteStartArray("threats");
        foreach (var threat in threats)
        {
            number++;
            json.WriteStartObject();
            json.WriteString("id", ThreatId(threat.Key));
            json.WriteString("title", threat.Title);
            json.WriteString("status", threat.State switch
            {
                ThreatState.Mitigated => "Mitigated",
                ThreatState.NotApplicable => "NA",
                _ => "Open",
            });
            json.WriteString("severity", threat.Severity switch
            {
                Severity.Critical => "Critical",
                Severity.High => "High",
                Severity.Medium => "Medium",
                _ => "Low",
            });
            json.WriteString("type", threat.Category);
            json.WriteString("description", threat.Description);
            json.WriteString("mitigation", threat.Justification ?? string.Join("\n", threat.Mitigations));
            json.WriteString("modelType", "STRIDE");
            json.WriteBoolean("new", false);
            json.WriteNumber("number", number);
            json.WriteString("score", string.Empty);
            json.WriteString("ruleId", threat.RuleId);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>A stable UUID-shaped id for a threat key, so the same threat keeps its id across writes.</summary>
    private static string ThreatId(ThreatKey key)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString()));
        return new Guid(hash.AsSpan(0, 16)).ToString("D", CultureInfo.InvariantCulture);
    }

    private static void WriteLabels(Utf8JsonWriter json, string text)
    {
        json.WriteStartArray("labels");
        json.WriteStartObject();
        json.WriteNumber("position", 0.5);
        json.WriteStartObject("attrs");
        json.WriteStartObject("label");
        json.WriteString("text", text);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private static void WriteGeometry(Utf8JsonWriter json, Rect box)
    {
        json.WriteStartObject("position");
        json.WriteNumber("x", Math.Round(box.Left, 2));
        json.WriteNumber("y", Math.Round(box.Top, 2));
        json.WriteEndObject();
        json.WriteStartObject("size");
        json.WriteNumber("width", Math.Round(box.Width, 2));
        json.WriteNumber("height", Math.Round(box.Height, 2));
        json.WriteEndObject();
    }

    private static void WritePoint(Utf8JsonWriter json, Point point)
    {
        json.WriteNumber("x", Math.Round(point.X, 2));
        json.WriteNumber("y", Math.Round(point.Y, 2));
    }

    private static bool? YesNo(IReadOnlyDictionary<string, string> properties, string name) =>
        properties.GetValueOrDefault(name)?.Trim().ToUpperInvariant() switch
        {
            "YES" or "TRUE" => true,
            "NO" or "FALSE" => false,
            _ => null,
        };
}
