using SecureFuture.Core;
using SecureFuture.ThreatModeling.Rules;

namespace SecureFuture.ThreatModeling.Templates;

/// <summary>A property an element type offers, with the values a user can pick.</summary>
public sealed record ElementProperty(string Name, string DisplayName, IReadOnlyList<string> Values);

/// <summary>
/// A stencil type of a template. Types form a tree through <see cref="ParentId"/> (the tool's ParentId /
/// ParentElement); generic types (<c>GE.P</c>, <c>GE.EI</c>, <c>GE.DS</c>, <c>GE.DF</c>, <c>GE.TB.L</c>,
/// <c>GE.TB.B</c>) hang off <c>ROOT</c>.
/// </summary>
public sealed record ElementType
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string? ParentId { get; init; }

    /// <summary>Ellipse, Rectangle, ParallelLines, Line, LineBoundary, BorderBoundary, Annotation.</summary>
    public string? Representation { get; init; }

    public IReadOnlyList<ElementProperty> Attributes { get; init; } = [];
}

/// <summary>A threat category (STRIDE in the tool's own template).</summary>
public sealed record ThreatCategory(string Id, string Name, string? ShortDescription, string? LongDescription);

/// <summary>
/// A threat rule: when <see cref="Include"/> holds for an interaction (source, flow, target) and
/// <see cref="Exclude"/> does not, a threat of this type exists there. Titles and descriptions may contain
/// placeholders such as <c>{source.Name}</c>.
/// </summary>
public sealed record ThreatType
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    public string Description { get; init; } = string.Empty;

    public required string CategoryId { get; init; }

    public required string Include { get; init; }

    public string? Exclude { get; init; }

    /// <summary>The tool's priority (High, Medium, Low) or the catalogue's severity.</summary>
    public Severity Severity { get; init; } = Severity.High;

    public IReadOnlyList<string> Mitigations { get; init; } = [];

    /// <summary>CWE and CAPEC references (<c>CWE-89</c>, <c>CAPEC-66</c>).</summary>
    public IReadOnlyList<string> References { get; init; } = [];
}

/// <summary>
/// A template (the tool's "knowledge base"): element types, categories and threat rules. Built by
/// <see cref="KnowledgeBaseReader"/> from a <c>.tb7</c>, from the copy embedded in a <c>.tm7</c>, or from the
/// default catalogue.
/// </summary>
public sealed class KnowledgeBase
{
    /// <summary>The id of the invisible root every generic type hangs off. It is not a type: nothing "is" ROOT.</summary>
    public const string Root = "ROOT";

    private readonly Dictionary<string, ElementType> _types;
    private readonly Dictionary<string, ThreatCategory> _categories;

    public KnowledgeBase(string name, string? id, string? version, IEnumerable<ElementType> elementTypes, IEnumerable<ThreatCategory> categories, IEnumerable<ThreatType> threatTypes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(elementTypes);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(threatTypes);
        Name = name;
        Id = id;
        Version = version;
        ElementTypes = [.. elementTypes];
        Categories = [.. categories];
        ThreatTypes = [.. threatTypes];
        _types = new Dictionary<string, ElementType>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in ElementTypes)
        {
            _types.TryAdd(type.Id, type);
        }

        _categories = new Dictionary<string, ThreatCategory>(StringComparer.OrdinalIgnoreCase);
        foreach (var category in Categories)
        {
            _categories.TryAdd(category.Id, category);
        }
    }

    public string Name { get; }

    public string? Id { get; }

    public string? Version { get; }

    public IReadOnlyList<ElementType> ElementTypes { get; }

    public IReadOnlyList<ThreatCategory> Categories { get; }

    public IReadOnlyList<ThreatType> ThreatTypes { get; }

    public ElementType? FindType(string id) => _types.GetValueOrDefault(id);

    public ThreatCategory? FindCategory(string id) => _categories.GetValueOrDefault(id);

    /// <summary>
    /// True when <paramref name="typeId"/> is <paramref name="ancestorId"/> or descends from it through the
    /// ParentId chain. The chain is followed at most as many steps as there are types, so a cyclic template
    /// cannot loop.
    /// </summary>
    public bool IsA(string typeId, string ancestorId)
    {
        ArgumentNullException.ThrowIfNull(typeId);
        ArgumentNullException.ThrowIfNull(ancestorId);
        var current = typeId;
        for (var steps = 0; steps <= _types.Count && current is not null; steps++)
        {
            if (string.Equals(current, Root, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            if (string.Equals(current, ancestorId, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            current = FindType(current)?.ParentId;
        }

        return false;
    }

    /// <summary>
    /// How a type is drawn (Ellipse, Rectangle, ParallelLines, Line, BorderBoundary, LineBoundary), taken from the
    /// type or its nearest ancestor that says. Custom generic types (a template's own "General Network" border,
    /// for instance) hang off ROOT, not off <c>GE.TB.B</c>, so their kind is known only from this.
    /// </summary>
    public string? RepresentationOf(string typeId)
    {
        ArgumentNullException.ThrowIfNull(typeId);
        var current = FindType(typeId);
        for (var steps = 0; steps <= _types.Count && current is not null; steps++)
        {
            if (!string.IsNullOrEmpty(current.Representation))
            {
                return current.Representation;
            }

            current = current.ParentId is { } parent ? FindType(parent) : null;
        }

        return null;
    }

    /// <summary>Parses every rule's expressions. A rule that does not parse is an <see cref="InputException"/> naming the rule and position.</summary>
    public IReadOnlyList<CompiledRule> Compile(string? sourcePath = null)
    {
        var rules = new List<CompiledRule>(ThreatTypes.Count);
        foreach (var type in ThreatTypes)
        {
            rules.Add(CompiledRule.Compile(type, sourcePath));
        }

        return rules;
    }
}
