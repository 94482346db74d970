namespace SecureFuture.Scanning.Code.Taint;

/// <summary>
/// What a method summary relied on beyond the method's own syntax and semantic model, so that a summary computed for
/// one project can be reused by every project that references it (a library method called from twenty test projects
/// was otherwise summarised twenty times: four summaries in five were such repeats). A summary is shared only when
/// nothing in it depended on the project that computed it, or only on facts recorded here and checked again where it
/// is reused: it hit no bound, cut no recursion, reported nothing and
/// stored nothing in a field; it read fields only of types holding no request data; each name-level question about the
/// project's methods gets the same answer, and calls to interface methods find the same candidate implementations.
/// </summary>
internal sealed class SummaryDependencies
{
    /// <summary>False once the summary depended on something of its project that is not recorded here.</summary>
    public bool Shareable { get; private set; } = true;

    /// <summary>Types whose fields were read while none of them held request data.</summary>
    public HashSet<string> UntaintedFieldTypes { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers of <see cref="TaintEngine.IsSourceMethodName"/>, by name.</summary>
    public Dictionary<string, bool> SourceMethodNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers of <see cref="TaintEngine.MayReturnSource"/>, by name.</summary>
    public Dictionary<string, bool> SourceReturningNames { get; } = new(StringComparer.Ordinal);

    /// <summary>The methods of each name that a call to an interface or abstract method was dispatched among, in order.</summary>
    public Dictionary<string, IReadOnlyList<TaintEngine.BodyInfo>> Candidates { get; } = new(StringComparer.Ordinal);

    public void NotShareable() => Shareable = false;

    /// <summary>A summary used while computing this one passes its dependencies on.</summary>
    public void Add(SummaryDependencies inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!inner.Shareable)
        {
            Shareable = false;
            return;
        }

        UntaintedFieldTypes.UnionWith(inner.UntaintedFieldTypes);
        foreach (var (name, answer) in inner.SourceMethodNames)
        {
            SourceMethodNames[name] = answer;
        }

        foreach (var (name, answer) in inner.SourceReturningNames)
        {
            SourceReturningNames[name] = answer;
        }

        foreach (var (name, candidates) in inner.Candidates)
        {
            Candidates[name] = candidates;
        }
    }
}

/// <summary>A summary computed by one project's analysis and what it relied on (see <see cref="SummaryDependencies"/>).</summary>
internal sealed record SharedSummary(MethodSummary Summary, SummaryDependencies Dependencies);
