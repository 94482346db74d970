using System.Globalization;
using System.Security;
using System.Text;
using SecureFuture.ThreatModeling.Model;

namespace SecureFuture.ThreatModeling.Diagrams;

/// <summary>
/// Draws a data-flow diagram as SVG: external entities as rectangles, processes as ellipses, data stores as
/// parallel lines, flows as arrows with their names, trust boundaries as dashed red borders or lines. Elements
/// that carry coordinates (a <c>.tm7</c>, Threat Dragon) keep them; others are laid out by <see cref="GraphLayout"/>
/// (MSAGL: boundaries as clusters, flows routed around boxes, labels clear of each other), or, for models too large
/// to hand it, in columns by their distance from the model's entry points. The output depends only on the model, so
/// the same model always gives the same bytes.
/// </summary>
public static class SvgDiagramWriter
{
    private const double BoxWidth = 140;
    private const double BoxHeight = 60;
    private const double ColumnGap = 120;
    private const double RowGap = 50;
    private const double Margin = 40;
    private const double BoundaryPadding = 18;

    /// <summary>Draws one diagram: <paramref name="diagramId"/>, or the first diagram, or the whole model when it has none.</summary>
    public static string Write(ThreatModel model, string? diagramId = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        diagramId ??= model.Diagrams.Count > 0 ? model.Diagrams[0].Id : null;
        var elements = model.Elements.Where(e => e.Kind != ElementKind.Annotation && (diagramId is null || e.DiagramId == diagramId || e.DiagramId is null)).ToList();
        var ids = elements.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var flows = model.Flows.Where(f => ids.Contains(f.SourceId) && ids.Contains(f.TargetId)).ToList();
        var boundaries = model.Boundaries.Where(b => diagramId is null || b.DiagramId == diagramId || b.DiagramId is null).ToList();
        var drawn = elements.All(e => e.Bounds is not null);
        var laid = drawn ? null : GraphLayout.TryLayout(elements, flows, boundaries);
        var boxes = drawn ? elements.ToDictionary(e => e.Id, e => e.Bounds!.Value, StringComparer.Ordinal)
            : laid?.Boxes ?? Layout(elements, flows, boundaries);

        var borderRects = new Dictionary<string, Rect>(StringComparer.Ordinal);
        foreach (var boundary in boundaries.Where(b => b.Shape == BoundaryShape.Border))
        {
            if (laid is not null && laid.Boundaries.TryGetValue(boundary.Id, out var cluster))
            {
                borderRects[boundary.Id] = cluster;
            }
            else if (boundary.Bounds is { } bounds)
            {
                borderRects[boundary.Id] = bounds;
            }
            else if (boundary.Members is { Count: > 0 } members && members.Where(boxes.ContainsKey).Select(m => boxes[m]).ToList() is { Count: > 0 } inside)
            {
                var depth = Depth(boundary, boundaries);
                var pad = BoundaryPadding * (1 + depth);
                var left = inside.Min(r => r.Left) - pad;
                var top = inside.Min(r => r.Top) - pad - 14;
                borderRects[boundary.Id] = new Rect(left, top, inside.Max(r => r.Left + r.Width) + pad - left, inside.Max(r => r.Top + r.Height) + pad - top);
            }
        }

        var all = boxes.Values.Concat(borderRects.Values).ToList();
        foreach (var line in boundaries.Where(b => b.Shape == BoundaryShape.Line && b.Start is not null && b.End is not null))
        {
            all.Add(new Rect(Math.Min(line.Start!.Value.X, line.End!.Value.X), Math.Min(line.Start.Value.Y, line.End.Value.Y), Math.Abs(line.End.Value.X - line.Start.Value.X), Math.Abs(line.End.Value.Y - line.Start.Value.Y)));
        }

        var minX = all.Count == 0 ? 0 : all.Min(r => r.Left);
        var minY = all.Count == 0 ? 0 : all.Min(r => r.Top);
        var maxX = all.Count == 0 ? 0 : all.Max(r => r.Left + r.Width);
        var maxY = all.Count == 0 ? 0 : all.Max(r => r.Top + r.Height);
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{N(minX - Margin)} {N(minY - Margin)} {N(maxX - minX + (2 * Margin))} {N(maxY - minY + (2 * Margin))}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append("<title>").Append(Escape(model.Name)).Append("</title>\n");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>\n");
        foreach (var boundary in boundaries)
        {
            if (borderRects.TryGetValue(boundary.Id, out var r))
            {
                svg.Append(Invariant($"<g class=\"boundary\" id=\"{Escape(boundary.Id)}\"><rect x=\"{N(r.Left)}\" y=\"{N(r.Top)}\" width=\"{N(r.Width)}\" height=\"{N(r.Height)}\" fill=\"none\" stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"));
                svg.Append(Invariant($"<text x=\"{N(r.Left + 6)}\" y=\"{N(r.Top + 14)}\" fill=\"#c00\">{Escape(boundary.Name)}</text></g>\n"));
            }
            else if (boundary.Shape == BoundaryShape.Line && boundary.Start is { } s && boundary.End is { } e)
            {
                var path = boundary.Handle is { } h ? Curve(s, e, h) : Invariant($"M{N(s.X)},{N(s.Y)} L{N(e.X)},{N(e.Y)}");
                svg.Append(Invariant($"<g class=\"boundary\" id=\"{Escape(boundary.Id)}\"><path d=\"{path}\" fill=\"none\" stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"));
                svg.Append(Invariant($"<text x=\"{N(s.X + 4)}\" y=\"{N(s.Y + 14)}\" fill=\"#c00\">{Escape(boundary.Name)}</text></g>\n"));
            }
        }

        foreach (var element in elements)
        {
            var r = boxes[element.Id];
            svg.Append(Invariant($"<g class=\"{KindClass(element.Kind)}\" id=\"{Escape(element.Id)}\">"));
            switch (element.Kind)
            {
                case ElementKind.Process:
                    svg.Append(Invariant($"<ellipse cx=\"{N(r.Center.X)}\" cy=\"{N(r.Center.Y)}\" rx=\"{N(r.Width / 2)}\" ry=\"{N(r.Height / 2)}\" fill=\"#eef5ff\" stroke=\"#1f4e8c\"/>"));
                    break;
                case ElementKind.DataStore:
                    svg.Append(Invariant($"<rect x=\"{N(r.Left)}\" y=\"{N(r.Top)}\" width=\"{N(r.Width)}\" height=\"{N(r.Height)}\" fill=\"#f3fbf3\" stroke=\"none\"/><path d=\"M{N(r.Left)},{N(r.Top)} H{N(r.Left + r.Width)} M{N(r.Left)},{N(r.Top + r.Height)} H{N(r.Left + r.Width)}\" stroke=\"#2e6b2e\"/>"));
                    break;
                default:
                    svg.Append(Invariant($"<rect x=\"{N(r.Left)}\" y=\"{N(r.Top)}\" width=\"{N(r.Width)}\" height=\"{N(r.Height)}\" fill=\"#fafafa\" stroke=\"#333\"/>"));
                    break;
            }

            svg.Append(Invariant($"<text x=\"{N(r.Center.X)}\" y=\"{N(r.Center.Y + 4)}\" text-anchor=\"middle\">{Escape(element.Name)}</text></g>\n"));
        }

        foreach (var flow in flows)
        {
            if (laid is not null && laid.Flows.TryGetValue(flow.Id, out var routed) && routed.Path.Length > 0)
            {
                svg.Append(Invariant($"<g class=\"flow\" id=\"{Escape(flow.Id)}\"><path d=\"{routed.Path}\" fill=\"none\" stroke=\"#333\" marker-end=\"url(#arrow)\"/>"));
                svg.Append(Invariant($"<text x=\"{N(routed.Label.X)}\" y=\"{N(routed.Label.Y + 4)}\" text-anchor=\"middle\" fill=\"#333\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{Escape(flow.Name)}</text></g>\n"));
                continue;
            }

            var a = boxes[flow.SourceId];
            var b = boxes[flow.TargetId];
            var start = flow.Start ?? Edge(a, b.Center);
            var end = flow.End ?? Edge(b, a.Center);
            // Flows in both directions between the same pair are bent apart so that neither hides the other.
            var handle = flow.Handle ?? Bend(start, end, flows.Any(o => o.SourceId == flow.TargetId && o.TargetId == flow.SourceId) ? 18 : 0);
            var mid = new Point((start.X + (2 * handle.X) + end.X) / 4, (start.Y + (2 * handle.Y) + end.Y) / 4);
            svg.Append(Invariant($"<g class=\"flow\" id=\"{Escape(flow.Id)}\"><path d=\"{Curve(start, end, handle)}\" fill=\"none\" stroke=\"#333\" marker-end=\"url(#arrow)\"/>"));
            svg.Append(Invariant($"<text x=\"{N(mid.X)}\" y=\"{N(mid.Y - 4)}\" text-anchor=\"middle\" fill=\"#333\">{Escape(flow.Name)}</text></g>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static Dictionary<string, Rect> Layout(List<ModelElement> elements, List<DataFlow> flows, List<TrustBoundary> boundaries)
    {
        // Column = longest path from an element without incoming flows; cycles are cut by visiting each element once per pass.
        var column = elements.ToDictionary(e => e.Id, _ => 0, StringComparer.Ordinal);
        for (var pass = 0; pass < elements.Count; pass++)
        {
            var changed = false;
            foreach (var flow in flows)
            {
                if (flow.SourceId != flow.TargetId && column[flow.TargetId] < column[flow.SourceId] + 1 && column[flow.SourceId] + 1 < elements.Count)
                {
                    column[flow.TargetId] = column[flow.SourceId] + 1;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        int Group(ModelElement e)
        {
            var index = boundaries.FindIndex(b => b.Members?.Contains(e.Id, StringComparer.Ordinal) == true);
            return index < 0 ? int.MaxValue : index;
        }

        var order = elements.Select((e, i) => (Element: e, Index: i)).ToList();
        var boxes = new Dictionary<string, Rect>(StringComparer.Ordinal);
        foreach (var group in order.GroupBy(x => column[x.Element.Id]).OrderBy(g => g.Key))
        {
            var row = 0;
            foreach (var (element, _) in group.OrderBy(x => Group(x.Element)).ThenBy(x => x.Index))
            {
                boxes[element.Id] = new Rect(group.Key * (BoxWidth + ColumnGap), row * (BoxHeight + RowGap), BoxWidth, BoxHeight);
                row++;
            }
        }

        return boxes;
    }

    private static int Depth(TrustBoundary boundary, List<TrustBoundary> all) =>
        all.Count(o => o.Id != boundary.Id && o.Members is not null && boundary.Members is not null && o.Members.Count < boundary.Members.Count && o.Members.All(boundary.Members.Contains));

    private static Point Edge(Rect box, Point toward)
    {
        var c = box.Center;
        var dx = toward.X - c.X;
        var dy = toward.Y - c.Y;
        if (dx == 0 && dy == 0)
        {
            return c;
        }

        var scale = Math.Min(dx == 0 ? double.MaxValue : box.Width / 2 / Math.Abs(dx), dy == 0 ? double.MaxValue : box.Height / 2 / Math.Abs(dy));
        return new Point(c.X + (dx * scale), c.Y + (dy * scale));
    }

    private static Point Bend(Point s, Point e, double offset)
    {
        var mx = (s.X + e.X) / 2;
        var my = (s.Y + e.Y) / 2;
        var length = Math.Sqrt(((e.X - s.X) * (e.X - s.X)) + ((e.Y - s.Y) * (e.Y - s.Y)));
        return length == 0 ? new Point(mx, my) : new Point(mx + (offset * (e.Y - s.Y) / length), my - (offset * (e.X - s.X) / length));
    }

    /// <summary>A quadratic Bézier through <paramref name="handle"/> at t = ½, as the tool draws connectors.</summary>
    private static string Curve(Point s, Point e, Point handle)
    {
        var control = new Point((2 * handle.X) - ((s.X + e.X) / 2), (2 * handle.Y) - ((s.Y + e.Y) / 2));
        return Invariant($"M{N(s.X)},{N(s.Y)} Q{N(control.X)},{N(control.Y)} {N(e.X)},{N(e.Y)}");
    }

    private static string KindClass(ElementKind kind) => kind switch
    {
        ElementKind.Process => "process",
        ElementKind.DataStore => "data-store",
        _ => "external-entity",
    };

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;
}
