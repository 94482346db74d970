using System.Globalization;
using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Interop;

/// <summary>
/// Imports an OWASP Threat Dragon v2 model (JSON). Actors, processes and stores become elements of the generic
/// types (<c>GE.EI</c>, <c>GE.P</c>, <c>GE.DS</c>); flows keep their protocol and encryption; a boundary box
/// becomes a boundary whose members are the elements drawn inside it; a boundary curve becomes a line boundary.
/// Threat Dragon's own hand-written threats are not imported: SecureFuture's rules generate threats.
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
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
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
                throw new InputException(displayPath, null, null, "not a Threat Dragon v2 model: expected detail.diagrams");
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

    private sealed class Builder(string path)
    {
        private readonly List<Diagram> _diagrams = [];
        private readonly List<ModelElement> _elements = [];
        private readonly List<(JsonElement Cell, string Diagram)> _flows = [];
        private readonly List<TrustBoundary> _boundaries = [];
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

        public void AddDiagram(JsonElement diagram, int index)
        {
            var diagramId = string.Create(CultureInfo.InvariantCulture, $"diagram-{index}");
            _diagrams.Add(new Diagram(diagramId, Text(diagram, "title") ?? diagramId));
            if (!diagram.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var cell in cells.EnumerateArray())
            {
                var shape = Text(cell, "shape") ?? string.Empty;
                var id = Text(cell, "id") ?? throw new InputException(path, null, null, $"a cell of diagram '{diagramId}' has no id");
                if (!_ids.Add(id))
                {
                    throw new InputException(path, null, null, $"duplicate cell id '{id}'");
                }

                var data = cell.TryGetProperty("data", out var d) ? d : default;
                var name = Text(data, "name") ?? Text(cell, "label") ?? id;
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
                            Properties = WithSfiProperties(ElementProperties(data), data),
                            DiagramId = diagramId,
                            Bounds = bounds,
                        });
                        break;
                    case "flow":
                        _flows.Add((cell, diagramId));
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
            foreach (var (cell, diagramId) in _flows)
            {
                var id = Text(cell, "id")!;
                var data = cell.TryGetProperty("data", out var d) ? d : default;
                var sourceId = cell.TryGetProperty("source", out var s) ? Text(s, "cell") : null;
                var targetId = cell.TryGetProperty("target", out var t) ? Text(t, "cell") : null;
                var source = _elements.FirstOrDefault(e => e.Id == sourceId);
                var target = _elements.FirstOrDefault(e => e.Id == targetId);
                if (source is null || target is null)
                {
                    throw new InputException(path, null, null, $"flow '{Text(data, "name") ?? id}' ({id}) does not connect two elements (source '{sourceId}', target '{targetId}')");
                }

                var properties = new Dictionary<string, string>(StringComparer.Ordinal);
                if (Text(data, "protocol") is { Length: > 0 } protocol)
                {
                    properties["protocol"] = protocol;
                }

                if (Bool(data, "isEncrypted") is { } encrypted)
                {
                    properties["encryptedInTransit"] = encrypted ? "Yes" : "No";
                }

                if (Bool(data, "isPublicNetwork") is { } isPublic)
                {
                    properties["publicNetwork"] = isPublic ? "Yes" : "No";
                }

                flows.Add(new DataFlow
                {
                    Id = id,
                    SourceId = source.Id,
                    TargetId = target.Id,
                    TypeId = SfiType(data) ?? "GE.DF",
                    Name = Text(data, "name") ?? id,
                    Properties = WithSfiProperties(properties, data),
                    DiagramId = diagramId,
                    Start = source.Bounds?.Center,
                    End = target.Bounds?.Center,
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

        private static Dictionary<string, string> ElementProperties(JsonElement data)
        {
            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            void YesNo(string from, string to)
            {
                if (Bool(data, from) is { } b)
                {
                    properties[to] = b ? "Yes" : "No";
                }
            }

            YesNo("isEncrypted", "encryptionAtRest");
            YesNo("providesAuthentication", "providesAuthentication");
            YesNo("storesCredentials", "storesCredentials");
            YesNo("isALog", "isALog");
            YesNo("isSigned", "isSigned");
            YesNo("isWebApplication", "isWebApplication");
            YesNo("handlesCardPayment", "handlesCardPayment");
            YesNo("handlesGoodsOrServices", "handlesGoodsOrServices");
            YesNo("outOfScope", "outOfScope");
            if (Text(data, "privilegeLevel") is { Length: > 0 } privilege)
            {
                properties["privilegeLevel"] = privilege;
            }

            return properties;
        }
    }
}
