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
/// </summary>
internal sealed record Origin(string? Source, int Parameter, FlowStepNode? Path, ulong Sanitized)
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
        foreach (var o in b.Origins)
        {
            if (list.Count >= MaxOrigins)
            {
                break;
            }

            if (!list.Exists(x => x.SameAs(o)))
            {
                list.Add(o);
            }
        }

        return list.Count == a.Origins.Count ? a : new TaintSet([.. list]);
    }

    public TaintSet WithStep(Location location, string message) =>
        IsEmpty ? this : new TaintSet([.. Origins.Select(o => o with { Path = FlowStepNode.Append(o.Path, location, message) })]);

    public TaintSet Sanitize(ulong kinds) =>
        IsEmpty || kinds == 0 ? this : new TaintSet([.. Origins.Select(o => o with { Sanitized = o.Sanitized | kinds })]);

    /// <summary>Whether any origin still carries taint for a sink of <paramref name="kindBit"/>.</summary>
    public bool Reaches(ulong kindBit) => Origins.Any(o => (o.Sanitized & kindBit) == 0);
}
