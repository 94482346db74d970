using System.Globalization;
using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Interop;

/// <summary>
/// Imports an OWASP Threat Dragon model (JSON), version 2 (X6 cells under <c>diagrams[].cells</c>) or version 1
/// (JointJS cells under <c>diagrams[].diagramJson.cells</c>, typed <c>tm.Actor</c>, <c>tm.Process</c>,
/// <c>tm.Store</c>, <c>tm.Flow</c>, <c>tm.Boundary</c>, with their properties on the cell itself). Actors,
/// processes and stores become elements of the generic types (<c>GE.EI</c>, <c>GE.P</c>, <c>GE.DS</c>); flows keep
/// their protocol and encryption; a boundary box becomes a boundary whose members are the elements drawn inside
/// it; a boundary curve (every v1 boundary) becomes a line boundary. A flow with a loose end (Threat Dragon lets one
/// be saved, its own demo has one) is kept with the missing end empty, so that the model's validation reports it
/// and generation skips it, as the Threat Modeling Tool does. Threat Dragon's own hand-written threats are not
/// imported: SecureFuture's rules generate threats.
/// </summary>
public static class ThreatDragonImporter
{
    public const long MaxFileBytes = 16L * 1024 * 1024;

    public static ThreatModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new InputException(path, null, null, "file not found");
        }

        if (info.Length > MaxFileBytes)
        {
            throw new InputException(path, null, null, $"file is larger than {MaxFileBytes} bytes");
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static ThreatModel Read(Stream stream, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayPath);
        JsonDocument document;
        try
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            document = StrictJson.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new InputException(displayPath, e.LineNumber + 1, e.BytePositionInLine + 1, "malformed JSON: " + e.Message, e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("detail", out var detail) || !detail.TryGetProperty("diagrams", out var diagrams) || diagrams.ValueKind != JsonValueKind.Array)
            {
                throw new InputException(displayPath, null, null, "not a Threat Dragon model: expected detail.diagrams");
            }

            var model = new Builder(displayPath);
            var index = 0;
            foreach (var diagram in diagrams.EnumerateArray())
            {
                model.AddDiagram(diagram, index++);
            }

            var summary = root.TryGetProperty("summary", out var s) ? s : default;
            return model.Build(Text(summary, "title") ?? Path.GetFileNameWithoutExtension(displayPath), Text(summary, "description"));
        }
    }

    /// <summary>The element type sfi's own export keeps under <c>data.sfi.type</c>, when the file has one.</summary>
    private static string? SfiType(JsonElement data)
        => data.ValueKind == JsonValueKind.Object && data.TryGetProperty("sfi", out var sfi) && sfi.ValueKind == JsonValueKind.Object ? Text(sfi, "type") : null;

    /// <summary>Properties sfi's export keeps under <c>data.sfi.properties</c> complete the ones Threat Dragon's own fields give.</summary>
    private static Dictionary<string, string> WithSfiProperties(Dictionary<string, string> properties, JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("sfi", out var sfi) && sfi.ValueKind == JsonValueKind.Object
            && sfi.TryGetProperty("properties", out var extra) && extra.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in extra.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
            {
                properties[property.Name] = property.Value.GetString()!;
            }
        }

        return properties;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static double Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    /// <summary>Version 1 cell types, as Threat Dragon 1.x saved them, mapped to the version 2 shape names.</summary>
    private static string V1Shape(string? type) => type switch
    {
        "tm.Actor" => "actor",
        "tm.Process" => "process",
        "tm.Store" => "store",
        "tm.Flow" => "flow",
        "tm.Boundary" => "trust-boundary-curve",
        _ => string.Empty,
    };

    /// <summary>A version 1 element's name is its drawn text (<c>attrs.text.text</c>); a flow's or boundary's is its first label.</summary>
    private static string? V1Label(JsonElement cell)
    {
        static string? TextOf(JsonElement attrs) =>
            attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty("text", out var text) ? Text(text, "text") : null;

        if (cell.TryGetProperty("attrs", out var attrs) && TextOf(attrs) is { Length: > 0 } name)
        {
            return name;
        }

        return cell.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Array && labels.GetArrayLength() > 0
            && labels[0].TryGetProperty("attrs", out var labelAttrs) && TextOf(labelAttrs) is { Length: > 0 } label ? label : null;
    }

    /// <summary>
    /// Threat Dragon's check boxes (field, sfi property, the cell shapes that have the box), the same in version 1
    /// and 2 (Threat Dragon's <c>default-properties.js</c> and its v1 migration <c>tdV1/diagrams/data.js</c>).
    /// A flow's <c>isEncrypted</c> is encryption in transit, a store's is encryption at rest.
    /// </summary>
    private static readonly (string Field, string Property, string[] Shapes)[] CheckBoxes =
    [
        ("isEncrypted", "encryptedInTransit", ["flow"]),
        ("isPublicNetwork", "publicNetwork", ["flow"]),
        ("isEncrypted", "encryptionAtRest", ["store"]),
        ("isALog", "isALog", ["store"]),
        ("isSigned", "isSigned", ["store"]),
        ("storesCredentials", "storesCredentials", ["store"]),
        ("providesAuthentication", "providesAuthentication", ["actor"]),
        ("isWebApplication", "isWebApplication", ["process"]),
        ("handlesCardPayment", "handlesCardPayment", ["process"]),
        ("handlesGoodsOrServices", "handlesGoodsOrServices", ["process"]),
        ("outOfScope", "outOfScope", ["actor", "process", "store"]),
    ];

    private sealed record FlowCell(string Id, string Name, JsonElement Data, string? SourceId, string? TargetId, string DiagramId);

    private sealed class Builder(string path)
    {
        private readonly List<Diagram> _diagrams = [];
        private readonly List<ModelElement> _elements = [];
        private readonly List<FlowCell> _flows = [];
        private readonly List<TrustBoundary> _boundaries = [];
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

        public void AddDiagram(JsonElement diagram, int index)
        {
            var diagramId = string.Create(CultureInfo.InvariantCulture, $"diagram-{index}");
            _diagrams.Add(new Diagram(diagramId, Text(diagram, "title") ?? diagramId));
            // Version 2 keeps X6 cells under "cells"; version 1 keeps JointJS cells under "diagramJson.cells".
            var v1 = !diagram.TryGetProperty("cells", out var cells) && diagram.TryGetProperty("diagramJson", out var joint) && joint.ValueKind == JsonValueKind.Object
                && joint.TryGetProperty("cells", out cells);
            if (cells.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var cell in cells.EnumerateArray())
            {
                var shape = v1 ? V1Shape(Text(cell, "type")) : Text(cell, "shape") ?? string.Empty;
                var id = Text(cell, "id") ?? throw new InputException(path, null, null, $"a cell of diagram '{diagramId}' has no id");
                if (!_ids.Add(id))
                {
                    throw new InputException(path, null, null, $"duplicate cell id '{id}'");
                }

                // Version 1 keeps an element's properties on the cell and its name in the drawn text.
                var data = v1 ? cell : cell.TryGetProperty("data", out var d) ? d : default;
                var name = (v1 ? V1Label(cell) : Text(data, "name") ?? Text(cell, "label")) ?? id;
                var position = cell.TryGetProperty("position", out var p) ? p : default;
                var size = cell.TryGetProperty("size", out var sz) ? sz : default;
                var bounds = new Rect(Number(position, "x"), Number(position, "y"), Number(size, "width"), Number(size, "height"));
                switch (shape)
                {
                    case "actor" or "process" or "store":
                        _elements.Add(new ModelElement
                        {
                            Id = id,
                            Name = name,
                            Kind = shape == "actor" ? ElementKind.ExternalEntity : shape == "process" ? ElementKind.Process : ElementKind.DataStore,
                            TypeId = SfiType(data) ?? (shape == "actor" ? "GE.EI" : shape == "process" ? "GE.P" : "GE.DS"),
                            Properties = WithSfiProperties(ElementProperties(data, shape), data),
                            DiagramId = diagramId,
                            Bounds = bounds,
                        });
                        break;
                    case "flow":
                        _flows.Add(new FlowCell(id, name, data, EndId(cell, "source", v1), EndId(cell, "target", v1), diagramId));
                        break;
                    case "trust-boundary-box":
                        _boundaries.Add(new TrustBoundary { Id = id, Name = name, TypeId = SfiType(data) ?? "GE.TB.B", Shape = BoundaryShape.Border, DiagramId = diagramId, Bounds = bounds, Properties = WithSfiProperties(new Dictionary<string, string>(StringComparer.Ordinal), data) });
                        break;
                    case "trust-boundary-curve" or "trust-broundary-curve":
                        var source = cell.TryGetProperty("source", out var src) ? src : default;
                        var target = cell.TryGetProperty("target", out var tgt) ? tgt : default;
                        Point? handle = cell.TryGetProperty("vertices", out var vertices) && vertices.ValueKind == JsonValueKind.Array && vertices.GetArrayLength() > 0
                            ? new Point(Number(vertices[vertices.GetArrayLength() / 2], "x"), Number(vertices[vertices.GetArrayLength() / 2], "y"))
                            : null;
                        _boundaries.Add(new TrustBoundary
                        {
                            Id = id,
                            Name = name,
                            TypeId = "GE.TB.L",
                            Shape = BoundaryShape.Line,
                            DiagramId = diagramId,
                            Start = new Point(Number(source, "x"), Number(source, "y")),
                            End = new Point(Number(target, "x"), Number(target, "y")),
                            Handle = handle,
                        });
                        break;
                    default:
                        break;
                }
            }
        }

        public ThreatModel Build(string name, string? description)
        {
            var flows = new List<DataFlow>();
            foreach (var (id, flowName, data, sourceId, targetId, diagramId) in _flows)
            {
                // A loose end stays empty: ModelValidator reports the flow and the generator skips it.
                var source = _elements.FirstOrDefault(e => e.Id == sourceId);
                var target = _elements.FirstOrDefault(e => e.Id == targetId);
                var properties = Flags(data, "flow");
                if (Text(data, "protocol") is { Length: > 0 } protocol)
                {
                    properties["protocol"] = protocol;
                }

                flows.Add(new DataFlow
                {
                    Id = id,
                    SourceId = source?.Id ?? string.Empty,
                    TargetId = target?.Id ?? string.Empty,
                    TypeId = SfiType(data) ?? "GE.DF",
                    Name = flowName,
                    Properties = WithSfiProperties(properties, data),
                    DiagramId = diagramId,
                    Start = source?.Bounds?.Center,
                    End = target?.Bounds?.Center,
                });
            }

            return new ThreatModel
            {
                Name = name,
                Description = description,
                SourcePath = path,
                Diagrams = _diagrams,
                Elements = _elements,
                Flows = flows,
                Boundaries = _boundaries,
            };
        }

        /// <summary>The id of the element a flow end is attached to: <c>cell</c> in version 2, <c>id</c> in version 1 (a loose end has x and y instead).</summary>
        private static string? EndId(JsonElement cell, string end, bool v1) =>
            cell.TryGetProperty(end, out var e) ? Text(e, v1 ? "id" : "cell") : null;

        private static Dictionary<string, string> ElementProperties(JsonElement data, string shape)
        {
            var properties = Flags(data, shape);
            if (Text(data, "privilegeLevel") is { Length: > 0 } privilege)
            {
                properties["privilegeLevel"] = privilege;
            }

            return properties;
        }

        /// <summary>
        /// The check boxes a cell carries, as sfi properties. A value the file gives is kept on whatever cell it is;
        /// one the file leaves out is false (an unchecked box) when the cell's type has that box: Threat Dragon 1.x
        /// saves only the boxes that are checked, and 2.x reads an absent one as unchecked (its v1 migration maps
        /// each with <c>!!cell.x</c>). A cell of sfi's own export (<c>data.sfi</c>) keeps an absent value unknown, as
        /// its <c>data.sfi.properties</c> are complete.
        /// </summary>
        private static Dictionary<string, string> Flags(JsonElement data, string shape)
        {
            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            var fromSfi = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("sfi", out var sfi) && sfi.ValueKind == JsonValueKind.Object;
            foreach (var (field, property, shapes) in CheckBoxes)
            {
                var value = Bool(data, field) ?? (!fromSfi && shapes.Contains(shape, StringComparer.Ordinal) ? false : null);
                if (value is { } b && (shape == "flow") == shapes.Contains("flow", StringComparer.Ordinal))
                {
                    properties[property] = b ? "Yes" : "No";
                }
            }

            return properties;
        }
    }
}
