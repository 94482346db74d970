namespace SecureFuture.ThreatModeling.Model;

/// <summary>
/// Decides which trust boundaries a flow crosses. A boundary that lists its members is crossed when exactly one
/// endpoint is a member. A drawn border boundary is crossed when exactly one endpoint's stencil centre lies
/// inside it; a drawn line boundary is crossed when the two curves intersect. Both drawn cases are per diagram,
/// as in the Threat Modeling Tool, where a boundary on one diagram says nothing about another.
/// </summary>
public static class BoundaryCrossing
{
    /// <summary>Curves are flattened into this many segments; enough for pixel-level accuracy on a diagram.</summary>
    private const int Segments = 64;

    public static IReadOnlyList<TrustBoundary> CrossedBy(ThreatModel model, DataFlow flow)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(flow);
        var source = model.FindElement(flow.SourceId);
        var target = model.FindElement(flow.TargetId);
        var crossed = new List<TrustBoundary>();
        foreach (var boundary in model.Boundaries)
        {
            if (Crosses(boundary, flow, source, target))
            {
                crossed.Add(boundary);
            }
        }

        return crossed;
    }

    /// <summary>
    /// The boundaries each flow of <paramref name="model"/> crosses, with member lists turned into sets once: the same
    /// answer as <see cref="CrossedBy(ThreatModel, DataFlow)"/> without scanning every member list for every flow.
    /// </summary>
    public static Func<DataFlow, ModelElement?, ModelElement?, IReadOnlyList<TrustBoundary>> Index(ThreatModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sets = model.Boundaries.Select(b => (Boundary: b, Members: b.Members is { } m ? new HashSet<string>(m, StringComparer.Ordinal) : null)).ToArray();
        return (flow, source, target) =>
        {
            var crossed = new List<TrustBoundary>();
            foreach (var (boundary, members) in sets)
            {
                if (members is not null ? members.Contains(flow.SourceId) != members.Contains(flow.TargetId) : Crosses(boundary, flow, source, target))
                {
                    crossed.Add(boundary);
                }
            }

            return crossed;
        };
    }

    public static bool Crosses(TrustBoundary boundary, DataFlow flow, ModelElement? source, ModelElement? target)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        ArgumentNullException.ThrowIfNull(flow);
        if (boundary.Members is { } members)
        {
            var inSource = members.Contains(flow.SourceId, StringComparer.Ordinal);
            var inTarget = members.Contains(flow.TargetId, StringComparer.Ordinal);
            return inSource != inTarget;
        }

        if (!string.Equals(boundary.DiagramId, flow.DiagramId, StringComparison.Ordinal))
        {
            return false;
        }

        if (boundary.Shape == BoundaryShape.Border && boundary.Bounds is { } rect)
        {
            var a = source?.Bounds?.Center ?? flow.Start;
            var b = target?.Bounds?.Center ?? flow.End;
            return a is { } pa && b is { } pb && rect.Contains(pa) != rect.Contains(pb);
        }

        if (boundary.Shape == BoundaryShape.Line && boundary.Start is { } bs && boundary.End is { } be
            && flow.Start is { } fs && flow.End is { } fe)
        {
            return Intersect(Flatten(bs, be, boundary.Handle), Flatten(fs, fe, flow.Handle));
        }

        return false;
    }

    /// <summary>
    /// The tool draws a connector as a quadratic Bézier curve through its drag handle at t = ½, so the control
    /// point is 2·H − (S + E)/2.
    /// </summary>
    internal static Point[] Flatten(Point start, Point end, Point? handle)
    {
        if (handle is not { } h)
        {
            return [start, end];
        }

        var control = new Point((2 * h.X) - ((start.X + end.X) / 2), (2 * h.Y) - ((start.Y + end.Y) / 2));
        var points = new Point[Segments + 1];
        for (var i = 0; i <= Segments; i++)
        {
            var t = (double)i / Segments;
            var u = 1 - t;
            points[i] = new Point(
                (u * u * start.X) + (2 * u * t * control.X) + (t * t * end.X),
                (u * u * start.Y) + (2 * u * t * control.Y) + (t * t * end.Y));
        }

        return points;
    }

    /// <summary>
    /// The element ids inside <paramref name="boundary"/>, following nested boundaries named among its members
    /// (a cycle of boundaries is visited once).
    /// </summary>
    public static IReadOnlyList<string> FlattenMembers(TrustBoundary boundary, IReadOnlyList<TrustBoundary> all)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        ArgumentNullException.ThrowIfNull(all);
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { boundary.Id };
        var pending = new Queue<string>(boundary.Members ?? []);
        while (pending.Count > 0)
        {
            var id = pending.Dequeue();
            var nested = all.FirstOrDefault(b => string.Equals(b.Id, id, StringComparison.Ordinal));
            if (nested is null)
            {
                result.Add(id);
            }
            else if (seen.Add(id))
            {
                foreach (var member in nested.Members ?? [])
                {
                    pending.Enqueue(member);
                }
            }
        }

        return result;
    }

    private static bool Intersect(Point[] a, Point[] b)
    {
        for (var i = 0; i < a.Length - 1; i++)
        {
            for (var j = 0; j < b.Length - 1; j++)
            {
                if (SegmentsIntersect(a[i], a[i + 1], b[j], b[j + 1]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool SegmentsIntersect(Point p1, Point p2, Point p3, Point p4)
    {
        var d1 = Cross(p3, p4, p1);
        var d2 = Cross(p3, p4, p2);
        var d3 = Cross(p1, p2, p3);
        var d4 = Cross(p1, p2, p4);
        return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
    }

    private static double Cross(Point a, Point b, Point c) => ((b.X - a.X) * (c.Y - a.Y)) - ((b.Y - a.Y) * (c.X - a.X));
}
