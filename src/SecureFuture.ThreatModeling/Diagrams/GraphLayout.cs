using System.Globalization;
using System.Text;
using Microsoft.Msagl.Core.Geometry.Curves;
using Microsoft.Msagl.Core.Layout;
using Microsoft.Msagl.Core.Routing;
using Microsoft.Msagl.Layout.Layered;
using Microsoft.Msagl.Miscellaneous;
using SecureFuture.ThreatModeling.Model;
using MsaglPoint = Microsoft.Msagl.Core.Geometry.Point;
using RectangularClusterBoundary = Microsoft.Msagl.Core.Geometry.RectangularClusterBoundary;

namespace SecureFuture.ThreatModeling.Diagrams;

/// <summary>Where everything of a diagram without coordinates goes: boxes, boundary rectangles, flow paths and labels.</summary>
internal sealed record DiagramLayout(
    IReadOnlyDictionary<string, Rect> Boxes,
    IReadOnlyDictionary<string, Rect> Boundaries,
    IReadOnlyDictionary<string, (string Path, Point Label)> Flows);

/// <summary>
/// Lays out a data-flow diagram that has no coordinates with Microsoft's MSAGL (AutomaticGraphLayout): a layered
/// (Sugiyama) layout from left to right, trust boundaries as clusters that hold their members, flows routed as
/// splines around the boxes, and every flow's label given room of its own by the layout (a label is a box the layout
/// keeps clear of boxes and of other labels), so that no label sits on another or on a box.
/// </summary>
/// <remarks>
/// Text is measured with a width per character that errs wide for the sans-serif font the SVG asks for, so a label's
/// reserved room holds it. Models beyond <see cref="MaxElements"/> elements or <see cref="MaxFlows"/> flows are not
/// handed to the layout (its cost grows faster than linearly and a model is attacker-influenced input); the caller
/// falls back to its column layout.
/// </remarks>
internal static class GraphLayout
{
    public const int MaxElements = 200;
    public const int MaxFlows = 600;

    /// <summary>Width reserved per character of 12 px sans-serif text (DejaVu Sans, the usual sans-serif on Linux, averages about 7.4 px).</summary>
    public const double CharWidth = 7.6;

    public const double LabelHeight = 16;
    private const double BoxHeight = 56;
    private const double MinBoxWidth = 120;
    private const double BoundaryLabelRoom = 24;
    private const double BoundaryPadding = 16;

    public static double TextWidth(string text) => text.Length * CharWidth;

    public static DiagramLayout? TryLayout(IReadOnlyList<ModelElement> elements, IReadOnlyList<DataFlow> flows, IReadOnlyList<TrustBoundary> boundaries)
    {
        if (elements.Count == 0 || elements.Count > MaxElements || flows.Count > MaxFlows)
        {
            return null;
        }

        var graph = new GeometryGraph();
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var element in elements)
        {
            // An ellipse's text needs more width than a rectangle's: the widest chord is at the centre only.
            var text = TextWidth(element.Name) + 24;
            var width = Math.Max(MinBoxWidth, element.Kind == ElementKind.Process ? text * 1.2 : text);
            var node = new Node(CurveFactory.CreateRectangle(width, BoxHeight, new MsaglPoint()), element.Id);
            nodes[element.Id] = node;
            graph.Nodes.Add(node);
        }

        var clusters = Clusters(elements, boundaries, nodes, graph);

        var edges = new Dictionary<string, Edge>(StringComparer.Ordinal);
        foreach (var flow in flows)
        {
            var edge = new Edge(nodes[flow.SourceId], nodes[flow.TargetId]) { UserData = flow.Id };
            edge.Source.AddOutEdge(edge);
            edge.Target.AddInEdge(edge);
            graph.Edges.Add(edge);
            edges[flow.Id] = edge;
        }

        var settings = new SugiyamaLayoutSettings
        {
            LayerSeparation = 110,
            NodeSeparation = 36,
            ClusterMargin = BoundaryPadding,
            // Layers run top to bottom; a quarter turn makes them run left to right, as data-flow diagrams read.
            Transformation = PlaneTransformation.Rotation(Math.PI / 2),
        };
        settings.EdgeRoutingSettings.EdgeRoutingMode = EdgeRoutingMode.Spline;
        settings.EdgeRoutingSettings.Padding = 4;
        LayoutHelpers.CalculateLayout(graph, settings, null);

        // MSAGL's y axis points up; SVG's points down.
        Rect Flip(Microsoft.Msagl.Core.Geometry.Rectangle r) => new(r.Left, -r.Top, r.Width, r.Height);
        var boxes = nodes.ToDictionary(n => n.Key, n => Flip(n.Value.BoundingBox), StringComparer.Ordinal);
        var rects = clusters.ToDictionary(c => c.Key, c => Flip(c.Value.BoundingBox), StringComparer.Ordinal);
        // Labels go on their flow, each where it covers no box, no boundary's name and no label placed before it.
        var taken = boxes.Values.Select(b => Inflate(b, 2))
            .Concat(boundaries.Where(b => rects.ContainsKey(b.Id)).Select(b => BoundaryLabel(rects[b.Id], b.Name)))
            .ToList();
        var routed = new Dictionary<string, (string, Point)>(StringComparer.Ordinal);
        foreach (var flow in flows)
        {
            var edge = edges[flow.Id];
            if (edge.Curve is not { } curve)
            {
                routed[flow.Id] = (string.Empty, default);
                continue;
            }

            var label = PlaceLabel(curve, TextWidth(flow.Name), taken);
            if (flow.Name.Length > 0)
            {
                taken.Add(LabelRect(label, TextWidth(flow.Name)));
            }

            routed[flow.Id] = (SvgPath(curve), label);
        }

        return new DiagramLayout(boxes, rects, routed);
    }

    /// <summary>Where the SVG writer puts a boundary's name: inside its top-left corner, in the band kept for it.</summary>
    public static Rect BoundaryLabel(Rect boundary, string name) => new(boundary.Left + 6, boundary.Top + 2, TextWidth(name), LabelHeight);

    /// <summary>The room a label centred on <paramref name="centre"/> takes.</summary>
    public static Rect LabelRect(Point centre, double width) => new(centre.X - (width / 2), centre.Y - (LabelHeight / 2), width, LabelHeight);

    /// <summary>
    /// The centre of a flow's label (SVG coordinates): the first of a series of spots along the curve, from its middle
    /// outwards, just above, just below or on the curve, that overlaps nothing taken; else, further off the curve; else
    /// the spot that overlaps least.
    /// </summary>
    private static Point PlaceLabel(ICurve curve, double width, List<Rect> taken)
    {
        Point At(double t)
        {
            var p = curve[curve.ParStart + ((curve.ParEnd - curve.ParStart) * t)];
            return new Point(p.X, -p.Y);
        }

        var candidates = new List<Point>();
        foreach (var t in new[] { 0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88 })
        {
            var p = At(t);
            candidates.Add(p with { Y = p.Y - (LabelHeight / 2) - 2 });
            candidates.Add(p with { Y = p.Y + (LabelHeight / 2) + 2 });
        }

        foreach (var t in new[] { 0.5, 0.35, 0.65 })
        {
            var p = At(t);
            for (var step = 2; step <= 8; step++)
            {
                candidates.Add(p with { Y = p.Y - (step * LabelHeight) });
                candidates.Add(p with { Y = p.Y + (step * LabelHeight) });
            }
        }

        double Overlap(Point c)
        {
            var r = LabelRect(c, width);
            return taken.Sum(o => Math.Max(0, Math.Min(r.Left + r.Width, o.Left + o.Width) - Math.Max(r.Left, o.Left))
                * Math.Max(0, Math.Min(r.Top + r.Height, o.Top + o.Height) - Math.Max(r.Top, o.Top)));
        }

        foreach (var c in candidates)
        {
            if (Overlap(c) == 0)
            {
                return c;
            }
        }

        return candidates.MinBy(Overlap);
    }

    private static Rect Inflate(Rect r, double by) => new(r.Left - by, r.Top - by, r.Width + (2 * by), r.Height + (2 * by));

    /// <summary>
    /// Trust boundaries as a tree of clusters: a boundary's parent is the smallest boundary holding all its members, and
    /// an element belongs to the smallest boundary that lists it (MSAGL's clusters nest; they do not overlap).
    /// </summary>
    private static Dictionary<string, Cluster> Clusters(IReadOnlyList<ModelElement> elements, IReadOnlyList<TrustBoundary> boundaries, Dictionary<string, Node> nodes, GeometryGraph graph)
    {
        var present = boundaries
            .Where(b => b.Shape == BoundaryShape.Border && b.Members is { Count: > 0 })
            .Select(b => (Boundary: b, Members: b.Members!.Where(nodes.ContainsKey).ToHashSet(StringComparer.Ordinal)))
            .Where(b => b.Members.Count > 0)
            .OrderByDescending(b => b.Members.Count)
            .ToList();
        // Larger boundaries come first, so a boundary's parent (the smallest earlier one holding all its members) and an
        // element's home (the smallest boundary listing it) are the last matches.
        var parentOf = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < present.Count; i++)
        {
            parentOf[present[i].Boundary.Id] = present.Take(i).LastOrDefault(p => present[i].Members.IsSubsetOf(p.Members)).Boundary?.Id;
        }

        var home = elements.ToDictionary(e => e.Id, e => present.LastOrDefault(p => p.Members.Contains(e.Id)).Boundary?.Id, StringComparer.Ordinal);

        // A boundary none of whose members lives in it or in a boundary inside it (they all went to a smaller boundary
        // elsewhere) would be an empty cluster: it is drawn from its members' boxes instead.
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in home.Values.OfType<string>())
        {
            for (var b = id; b is not null && used.Add(b); b = parentOf[b])
            {
            }
        }

        var clusters = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var (boundary, _) in present.Where(p => used.Contains(p.Boundary.Id)))
        {
            var minWidth = TextWidth(boundary.Name) + (2 * BoundaryPadding);
            var minHeight = BoxHeight + BoundaryLabelRoom + (2 * BoundaryPadding);
            var cluster = new Cluster
            {
                UserData = boundary.Id,
                // The boundary's name gets a band of its own at the top, which nothing else is placed in.
                RectangularBoundary = new RectangularClusterBoundary
                {
                    LeftMargin = BoundaryPadding,
                    RightMargin = BoundaryPadding,
                    TopMargin = BoundaryPadding + BoundaryLabelRoom,
                    BottomMargin = BoundaryPadding,
                    MinWidth = minWidth,
                    MinHeight = minHeight,
                },
                BoundaryCurve = CurveFactory.CreateRectangle(minWidth, minHeight, new MsaglPoint()),
            };
            (parentOf[boundary.Id] is { } parent ? clusters[parent] : graph.RootCluster).AddChild(cluster);
            clusters[boundary.Id] = cluster;
        }

        foreach (var (element, boundary) in home)
        {
            if (boundary is not null)
            {
                clusters[boundary].AddChild(nodes[element]);
            }
        }

        return clusters;
    }

    /// <summary>An MSAGL curve as SVG path data (y flipped): lines and cubic Béziers exactly, anything else sampled.</summary>
    private static string SvgPath(ICurve curve)
    {
        var sb = new StringBuilder();
        var start = curve.Start;
        sb.Append(CultureInfo.InvariantCulture, $"M{N(start.X)},{N(-start.Y)}");
        foreach (var segment in curve is Curve c ? c.Segments : [curve])
        {
            switch (segment)
            {
                case LineSegment line:
                    sb.Append(CultureInfo.InvariantCulture, $" L{N(line.End.X)},{N(-line.End.Y)}");
                    break;
                case CubicBezierSegment bezier:
                    var (b1, b2, b3) = (bezier.B(1), bezier.B(2), bezier.B(3));
                    sb.Append(CultureInfo.InvariantCulture, $" C{N(b1.X)},{N(-b1.Y)} {N(b2.X)},{N(-b2.Y)} {N(b3.X)},{N(-b3.Y)}");
                    break;
                default:
                    for (var i = 1; i <= 12; i++)
                    {
                        var p = segment[segment.ParStart + ((segment.ParEnd - segment.ParStart) * i / 12)];
                        sb.Append(CultureInfo.InvariantCulture, $" L{N(p.X)},{N(-p.Y)}");
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
