using System.Globalization;
using System.Xml.Linq;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Tm7;

/// <summary>Builds the typed <see cref="ThreatModel"/> view of a <c>.tm7</c>'s drawing surfaces.</summary>
internal static class Tm7ModelReader
{
    public static ThreatModel Read(XElement root, KnowledgeBase? template, string path)
    {
        var diagrams = new List<Diagram>();
        var elements = new List<ModelElement>();
        var flows = new List<DataFlow>();
        var boundaries = new List<TrustBoundary>();
        foreach (var surface in root.Child("DrawingSurfaceList").Children("DrawingSurfaceModel"))
        {
            var diagramId = surface.ChildText("Guid") ?? string.Empty;
            diagrams.Add(new Diagram(diagramId, surface.ChildText("Header") ?? diagramId));
            foreach (var value in surface.Child("Borders").Children("KeyValueOfguidanyType").Select(kv => kv.Child("Value")).OfType<XElement>())
            {
                var stencil = StencilOf(value, path);
                var type = value.Attribute(Tm7Document.Xsi + "type")?.Value ?? string.Empty;
                var bounds = new Rect(Number(value, "Left"), Number(value, "Top"), Number(value, "Width"), Number(value, "Height"));
                if (type == "BorderBoundary" || Is(template, stencil, "GE.TB.B") || Representation(template, stencil) == "BorderBoundary")
                {
                    boundaries.Add(new TrustBoundary
                    {
                        Id = stencil.Id,
                        TypeId = stencil.TypeId,
                        GenericTypeId = stencil.GenericTypeId,
                        Name = stencil.Name,
                        Shape = BoundaryShape.Border,
                        Properties = stencil.Properties,
                        DiagramId = diagramId,
                        Bounds = bounds,
                        Position = stencil.Position,
                    });
                    continue;
                }

                elements.Add(new ModelElement
                {
                    Id = stencil.Id,
                    TypeId = stencil.TypeId,
                    GenericTypeId = stencil.GenericTypeId,
                    Name = stencil.Name,
                    Kind = KindOf(template, stencil, type),
                    Properties = stencil.Properties,
                    DiagramId = diagramId,
                    Bounds = bounds,
                    Position = stencil.Position,
                });
            }

            foreach (var value in surface.Child("Lines").Children("KeyValueOfguidanyType").Select(kv => kv.Child("Value")).OfType<XElement>())
            {
                var stencil = StencilOf(value, path);
                var type = value.Attribute(Tm7Document.Xsi + "type")?.Value ?? string.Empty;
                var start = new Point(Number(value, "SourceX"), Number(value, "SourceY"));
                var end = new Point(Number(value, "TargetX"), Number(value, "TargetY"));
                var handle = new Point(Number(value, "HandleX"), Number(value, "HandleY"));
                if (type == "LineBoundary" || Is(template, stencil, "GE.TB.L"))
                {
                    boundaries.Add(new TrustBoundary
                    {
                        Id = stencil.Id,
                        TypeId = stencil.TypeId,
                        GenericTypeId = stencil.GenericTypeId,
                        Name = stencil.Name,
                        Shape = BoundaryShape.Line,
                        Properties = stencil.Properties,
                        DiagramId = diagramId,
                        Start = start,
                        End = end,
                        Handle = handle,
                        Position = stencil.Position,
                    });
                    continue;
                }

                flows.Add(new DataFlow
                {
                    Id = stencil.Id,
                    TypeId = stencil.TypeId,
                    GenericTypeId = stencil.GenericTypeId,
                    Name = stencil.Name,
                    SourceId = Guid(value, "SourceGuid"),
                    TargetId = Guid(value, "TargetGuid"),
                    Properties = stencil.Properties,
                    DiagramId = diagramId,
                    Start = start,
                    End = end,
                    Handle = handle,
                    Position = stencil.Position,
                });
            }
        }

        var meta = root.Child("MetaInformation");
        return new ThreatModel
        {
            Name = NonEmpty(meta?.ChildText("ThreatModelName")) ?? Path.GetFileNameWithoutExtension(path),
            Description = NonEmpty(meta?.ChildText("HighLevelSystemDescription")),
            SourcePath = path,
            Diagrams = diagrams,
            Elements = elements,
            Flows = flows,
            Boundaries = boundaries,
        };
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private sealed record Stencil(string Id, string TypeId, string? GenericTypeId, string Name, Dictionary<string, string> Properties, SourcePosition? Position);

    private static Stencil StencilOf(XElement value, string path)
    {
        var id = Guid(value, "Guid");
        if (id.Length == 0)
        {
            var p = SafeXml.PositionOf(value);
            throw new InputException(path, p?.Line, p?.Column, "diagram element without a Guid");
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        foreach (var attribute in value.Child("Properties")?.Elements() ?? [])
        {
            var key = attribute.ChildText("Name");
            var display = attribute.ChildText("DisplayName");
            var raw = attribute.Child("Value");
            string? selected;
            if (attribute.Child("SelectedIndex") is { } index && raw is not null)
            {
                var options = raw.Elements().Select(e => e.Value).ToList();
                selected = int.TryParse(index.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < options.Count ? options[i] : null;
            }
            else
            {
                selected = raw is null || SafeXml.IsNil(raw) ? null : raw.Value;
            }

            if (string.IsNullOrEmpty(key))
            {
                if (display == "Name" && selected is not null)
                {
                    name = selected;
                }

                continue;
            }

            if (selected is not null)
            {
                properties.TryAdd(key, selected);
            }
        }

        return new Stencil(id, value.ChildText("TypeId")?.Trim() ?? string.Empty, value.ChildText("GenericTypeId")?.Trim(), name ?? string.Empty, properties, SafeXml.PositionOf(value));
    }

    /// <summary>
    /// A Guid-typed child. The tool reads these as <c>System.Guid</c>, which ignores surrounding whitespace, and the
    /// template's type ids are trimmed when read, so ids and type references are trimmed to match them.
    /// </summary>
    internal static string Guid(XElement value, string name) => value.ChildText(name)?.Trim() ?? string.Empty;

    private static bool Is(KnowledgeBase? template, Stencil stencil, string ancestor) =>
        template is not null && (template.IsA(stencil.TypeId, ancestor) || (stencil.GenericTypeId is { } g && template.IsA(g, ancestor)));

    private static string? Representation(KnowledgeBase? template, Stencil stencil) =>
        template?.FindType(stencil.TypeId)?.Representation ?? (stencil.GenericTypeId is { } g ? template?.FindType(g)?.Representation : null);

    private static ElementKind KindOf(KnowledgeBase? template, Stencil stencil, string xsiType)
    {
        if (Is(template, stencil, "GE.P") || xsiType == "StencilEllipse")
        {
            return ElementKind.Process;
        }

        if (Is(template, stencil, "GE.DS") || xsiType == "StencilParallelLines")
        {
            return ElementKind.DataStore;
        }

        if (Is(template, stencil, "GE.A") || stencil.GenericTypeId == "GE.A")
        {
            return ElementKind.Annotation;
        }

        return ElementKind.ExternalEntity;
    }

    private static double Number(XElement value, string name) =>
        double.TryParse(value.ChildText(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;
}
