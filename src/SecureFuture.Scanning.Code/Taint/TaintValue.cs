using Microsoft.CodeAnalysis;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>One step of a data-flow path; paths are built backwards (each step knows the one before it) and shared.</summary>
internal sealed class FlowStepNode(Location location, string message, FlowStepNode? previous)
{
    /// <summary>Paths longer than this keep their first steps and their sink; the middle is not worth a reader's time.</summary>
    private const int MaxLength = 48;

    public Location Location { get; } = location;

    public string Message { get; } = message;

    public FlowStepNode? Previous { get; } = previous;

    public int Length { get; } = (previous?.Length ?? 0) + 1;

    public static FlowStepNode? Append(FlowStepNode? path, Location location, string message) =>
        path is not null && path.Length >= MaxLength ? path : new FlowStepNode(location, message, path);

    /// <summary><paramref name="tail"/> (a callee's path, from its parameter) appended after <paramref name="head"/>.</summary>
    public static FlowStepNode? Concat(FlowStepNode? head, FlowStepNode? tail)
    {
        if (tail is null)
        {
            return head;
        }

        var steps = new List<FlowStepNode>();
        for (var s = tail; s is not null; s = s.Previous)
        {
            steps.Add(s);
        }

        for (var i = steps.Count - 1; i >= 0; i--)
        {
            head = Append(head, steps[i].Location, steps[i].Message);
        }

        return head;
    }

    public List<(Location Location, string Message)> ToList()
    {
        var list = new List<(Location, string)>(Length);
        for (var s = this; s is not null; s = s.Previous)
        {
            list.Add((s.Location, s.Message));
        }

        list.Reverse();
        return list;
    }
}

/// <summary>
/// Where a tainted value came from: a source (with its label, e.g. "request query 'id'") or, while a method's summary
/// is computed, one of its parameters. <see cref="Sanitized"/> holds the sink kinds it has been made safe for.
/// <see cref="Via"/>, on a parameter origin only, is the type the parameter's object must be for the taint to be real:
/// the path ran through the receiver of one implementation of an interface or abstract member the parameter was
/// dispatched on (see docs/adding-a-taint-rule.md, "A tainted receiver").
/// </summary>
internal sealed record Origin(string? Source, int Parameter, FlowStepNode? Path, ulong Sanitized, ImplementationType? Via = null)
{
    /// <summary>The <see cref="Parameter"/> of the receiver (<c>this</c>) while an instance method is summarised.</summary>
    public const int Receiver = -2;

    public bool IsSource => Source is not null;

    /// <summary>Identity for de-duplication: the same source (or parameter) and sanitisation, whatever the path.</summary>
    public bool SameAs(Origin other) =>
        Source == other.Source && Parameter == other.Parameter && Sanitized == other.Sanitized
        && (Source is null || FirstLocation(this) == FirstLocation(other));

    public static Location? FirstLocation(Origin o)
    {
        var s = o.Path;
        while (s?.Previous is not null)
        {
            s = s.Previous;
        }

        return s?.Location;
    }
}

/// <summary>The origins of a value: empty when the value is not tainted. Immutable; at most <see cref="MaxOrigins"/> origins.</summary>
internal sealed class TaintSet
{
    public const int MaxOrigins = 8;

    public static readonly TaintSet Empty = new([]);

    private TaintSet(Origin[] origins, ObjectMembers? members = null)
    {
        Origins = origins;
        Members = members;
    }

    public IReadOnlyList<Origin> Origins { get; }

    /// <summary>
    /// What each member of the object this value is can carry, when a call's summary knows it more precisely than the
    /// whole (see <see cref="ReturnedMembers"/>); null otherwise. Any other operation on the value forgets it.
    /// </summary>
    public ObjectMembers? Members { get; }

    /// <summary>The same origins, with what each member carries; a tainted value only (an untainted one has clean members).</summary>
    public TaintSet WithMembers(ObjectMembers? members) => IsEmpty || members is null ? this : new TaintSet([.. Origins], members);

    public bool IsEmpty => Origins.Count == 0;

    public static TaintSet Of(Origin origin) => new([origin]);

    public static TaintSet Union(TaintSet a, TaintSet b)
    {
        if (b.IsEmpty || ReferenceEquals(a, b))
        {
            return a;
        }

        if (a.IsEmpty)
        {
            return b;
        }

        var list = new List<Origin>(a.Origins);
        var changed = false;
        foreach (var o in b.Origins)
        {
            if (list.Count >= MaxOrigins)
            {
                break;
            }

            var same = list.FindIndex(x => x.SameAs(o));
            if (same < 0)
            {
                list.Add(o);
                changed = true;
            }
            else if (list[same].Via is { } via && via.Name != o.Via?.Name)
            {
                // The same parameter's taint under two conditions on its type: kept under neither.
                list[same] = list[same] with { Via = null };
                changed = true;
            }
        }

        return changed ? new TaintSet([.. list]) : a;
    }

    public TaintSet WithStep(Location location, string message) =>
        IsEmpty ? this : new TaintSet([.. Origins.Select(o => o with { Path = FlowStepNode.Append(o.Path, location, message) })]);

    public TaintSet Sanitize(ulong kinds) =>
        IsEmpty || kinds == 0 ? this : new TaintSet([.. Origins.Select(o => o with { Sanitized = o.Sanitized | kinds })]);

    /// <summary>Whether any origin still carries taint for a sink of <paramref name="kindBit"/>.</summary>
    public bool Reaches(ulong kindBit) => Origins.Any(o => (o.Sanitized & kindBit) == 0);
}

/// <summary>
/// The class (or struct) of an implementation a call through an interface or abstract member was dispatched to, by
/// name, so a summary that holds it can be shared between projects: its own name, every base type and interface it
/// has, and whether a subclass could add more.
/// </summary>
internal sealed class ImplementationType
{
    private readonly HashSet<string> _supertypes;

    private ImplementationType(string name, HashSet<string> supertypes, bool isSealed)
    {
        Name = name;
        _supertypes = supertypes;
        IsSealed = isSealed;
    }

    public string Name { get; }

    public bool IsSealed { get; }

    public static ImplementationType Of(INamedTypeSymbol type)
    {
        var supertypes = new HashSet<string>(StringComparer.Ordinal) { NameOf(type) };
        for (var b = type.BaseType; b is not null; b = b.BaseType)
        {
            supertypes.Add(NameOf(b));
        }

        foreach (var i in type.AllInterfaces)
        {
            supertypes.Add(NameOf(i));
        }

        return new ImplementationType(NameOf(type), supertypes, type.IsSealed || type.IsValueType);
    }

    /// <summary>
    /// Whether a value whose static type is <paramref name="staticType"/> can be an instance of this type: it is this
    /// type, a base or interface of it (or an interface a subclass of it could add), or a subclass of it. Unknown,
    /// <c>object</c>, <c>dynamic</c> and type parameters can be anything.
    /// </summary>
    public bool MayBe(ITypeSymbol? staticType)
    {
        if (staticType is null or IErrorTypeSymbol or ITypeParameterSymbol or IDynamicTypeSymbol || staticType.SpecialType == SpecialType.System_Object)
        {
            return true;
        }

        if (_supertypes.Contains(NameOf(staticType)) || staticType.TypeKind == TypeKind.Interface && !IsSealed)
        {
            return true;
        }

        for (var b = staticType.BaseType; b is not null; b = b.BaseType)
        {
            if (NameOf(b) == Name)
            {
                return true;
            }
        }

        return false;
    }

    private static string NameOf(ITypeSymbol type) => type.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
}
