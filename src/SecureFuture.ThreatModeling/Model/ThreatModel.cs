namespace SecureFuture.ThreatModeling.Model;

/// <summary>What a diagram element is, independent of its stencil type.</summary>
public enum ElementKind
{
    ExternalEntity,
    Process,
    DataStore,
    Annotation,
}

/// <summary>How a trust boundary is drawn: a closed border around elements or a line that flows cross.</summary>
public enum BoundaryShape
{
    Border,
    Line,
}

/// <summary>A 1-based line and column in the file an element was read from.</summary>
public sealed record SourcePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>A point on a diagram surface (Threat Modeling Tool coordinates: pixels, y down).</summary>
public readonly record struct Point(double X, double Y);

/// <summary>An axis-aligned rectangle on a diagram surface.</summary>
public readonly record struct Rect(double Left, double Top, double Width, double Height)
{
    public Point Center => new(Left + (Width / 2), Top + (Height / 2));

    public bool Contains(Point p) => p.X >= Left && p.X <= Left + Width && p.Y >= Top && p.Y <= Top + Height;
}

/// <summary>
/// An external entity, process or data store. <see cref="TypeId"/> is the stencil type (for example
/// <c>SE.P.TMCore.WebApp</c> or <c>SF.DS.Database</c>) whose ancestors the template defines.
/// </summary>
public sealed record ModelElement
{
    public required string Id { get; init; }

    public required ElementKind Kind { get; init; }

    public required string TypeId { get; init; }

    /// <summary>The generic type the element was drawn from (<c>GE.P</c>...), used when the template lacks <see cref="TypeId"/>.</summary>
    public string? GenericTypeId { get; init; }

    public required string Name { get; init; }

    /// <summary>Property name (as rules spell it) to selected value.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? DiagramId { get; init; }

    public Rect? Bounds { get; init; }

    public SourcePosition? Position { get; init; }
}

/// <summary>A data flow from <see cref="SourceId"/> to <see cref="TargetId"/>.</summary>
public sealed record DataFlow
{
    public required string Id { get; init; }

    public required string SourceId { get; init; }

    public required string TargetId { get; init; }

    public required string TypeId { get; init; }

    public string? GenericTypeId { get; init; }

    public required string Name { get; init; }

    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? DiagramId { get; init; }

    /// <summary>Drawn geometry: start, end and the drag handle the curve passes through (Threat Modeling Tool models).</summary>
    public Point? Start { get; init; }

    public Point? End { get; init; }

    public Point? Handle { get; init; }

    public SourcePosition? Position { get; init; }
}

/// <summary>
/// A trust boundary. A boundary either lists its <see cref="Members"/> (YAML models: a flow crosses it when
/// exactly one endpoint is a member) or carries drawn geometry (Threat Modeling Tool models).
/// </summary>
public sealed record TrustBoundary
{
    public required string Id { get; init; }

    public required string TypeId { get; init; }

    public string? GenericTypeId { get; init; }

    public required string Name { get; init; }

    public required BoundaryShape Shape { get; init; }

    /// <summary>Element ids inside the boundary, when the model says so explicitly.</summary>
    public IReadOnlyList<string>? Members { get; init; }

    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? DiagramId { get; init; }

    /// <summary>Border boundaries drawn in the Threat Modeling Tool.</summary>
    public Rect? Bounds { get; init; }

    /// <summary>Line boundaries drawn in the Threat Modeling Tool.</summary>
    public Point? Start { get; init; }

    public Point? End { get; init; }

    public Point? Handle { get; init; }

    public SourcePosition? Position { get; init; }
}

/// <summary>One diagram (drawing surface) of a model.</summary>
public sealed record Diagram(string Id, string Name);

/// <summary>
/// A threat model in SecureFuture's own terms, whatever file it came from. Immutable; readers build it, the
/// generator reads it.
/// </summary>
public sealed record ThreatModel
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The file the model was read from, as given to the reader (used in finding locations).</summary>
    public string? SourcePath { get; init; }

    public IReadOnlyList<Diagram> Diagrams { get; init; } = [];

    public required IReadOnlyList<ModelElement> Elements { get; init; }

    public required IReadOnlyList<DataFlow> Flows { get; init; }

    public IReadOnlyList<TrustBoundary> Boundaries { get; init; } = [];

    /// <summary>
    /// Threats as last recorded with the model (a <c>.tm7</c>'s ThreatInstances, a YAML model's <c>threats:</c>
    /// section): what regeneration carries states and justifications over from.
    /// </summary>
    public IReadOnlyList<Engine.Threat> RecordedThreats { get; init; } = [];

    public ModelElement? FindElement(string id) => Elements.FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.Ordinal));

    /// <summary>Finds an element, flow or boundary by id and returns where it was read from.</summary>
    public SourcePosition? PositionOf(string id) =>
        FindElement(id)?.Position
        ?? Flows.FirstOrDefault(f => string.Equals(f.Id, id, StringComparison.Ordinal))?.Position
        ?? Boundaries.FirstOrDefault(b => string.Equals(b.Id, id, StringComparison.Ordinal))?.Position;
}
