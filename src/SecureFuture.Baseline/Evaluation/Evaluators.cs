using System.Reflection;

namespace SecureFuture.Baseline;

/// <summary>
/// What an evaluator sees: the inputs, the configuration, and the time (injected, so expiry is testable).
/// <para>
/// While the inputs are being read, resource controls that read nothing but the resource in hand are checked on each
/// resource as it arrives (<see cref="ResourceControl.Joins"/>), and <see cref="Snapshot"/> is not available yet: the
/// snapshot it will become holds only the resources some evaluator declared it reads (<see cref="IControlEvaluator.Reads"/>).
/// </para>
/// </summary>
public sealed class EvaluationContext
{
    private TenantSnapshot? _snapshot;

    public EvaluationContext(TenantSnapshot snapshot, BaselineConfiguration configuration, TimeProvider time)
        : this(configuration, time)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshot = snapshot;
    }

    /// <summary>A context for a streamed assessment: the snapshot is attached once every input has been read.</summary>
    internal EvaluationContext(BaselineConfiguration configuration, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(time);
        Configuration = configuration;
        Now = time.GetUtcNow();
    }

    /// <summary>
    /// The resources kept after reading. Not available while the inputs are still being read: a resource control
    /// that needs other resources must name them in <see cref="ResourceControl.Joins"/>, so that it runs afterwards.
    /// </summary>
    public TenantSnapshot Snapshot => _snapshot ?? throw new InvalidOperationException(
        "the snapshot is not available while the inputs are read: a resource control that reads other resources must declare them in Joins");

    public BaselineConfiguration Configuration { get; }

    public DateTimeOffset Now { get; }

    internal void Attach(TenantSnapshot snapshot) => _snapshot = snapshot;

    private readonly Dictionary<string, object> _memo = new(StringComparer.Ordinal);

    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);

    /// <summary>
    /// One instance of each distinct evidence text: thousands of resources configured alike share
    /// "properties.supportsHttpsTrafficOnly = true" instead of each keeping a copy for the whole run. Bounded, so that
    /// unique texts (ids, names) do not fill it.
    /// </summary>
    internal string Share(string text)
    {
        if (_texts.TryGetValue(text, out var shared))
        {
            return shared;
        }

        if (_texts.Count < 65536)
        {
            _texts[text] = text;
        }

        return text;
    }

    /// <summary>
    /// A value built once per assessment from the snapshot (an index), for evaluators that would otherwise rescan the
    /// whole snapshot for every resource they check. Evaluators run one at a time, so this needs no locking.
    /// </summary>
    internal T Memo<T>(string key, Func<TenantSnapshot, T> build)
        where T : class
    {
        if (!_memo.TryGetValue(key, out var value))
        {
            value = build(Snapshot);
            _memo[key] = value;
        }

        return (T)value;
    }

    /// <summary>Per-assessment state that an <see cref="IResourceObserver"/> fills while the inputs are read.</summary>
    internal T State<T>(string key)
        where T : class, new()
    {
        if (!_memo.TryGetValue(key, out var value))
        {
            value = new T();
            _memo[key] = value;
        }

        return (T)value;
    }
}

/// <summary>
/// Sees every resource as it is read, before the resources no evaluator reads later are dropped: for a
/// cross-resource control that needs one fact from thousands of resources (the regions in use, the subscriptions),
/// not the resources themselves. Observers keep what they collect in <see cref="EvaluationContext.State{T}"/>.
/// One instance may serve several controls (LOG-01 and LOG-02): the assessor calls each distinct instance once.
/// </summary>
internal interface IResourceObserver
{
    void Observe(TenantResource resource, EvaluationContext context);
}

/// <summary>An evaluator that needs an <see cref="IResourceObserver"/> to run while the inputs are read.</summary>
internal interface IObservingEvaluator
{
    IResourceObserver Observer { get; }
}

/// <summary>
/// Evaluates one control (or a small family). Implementations are found by reflection, so adding a control is
/// adding one class: there is no hand-kept list of registrations.
/// </summary>
public interface IControlEvaluator
{
    IReadOnlyList<string> ControlIds { get; }

    /// <summary>
    /// The resource types this evaluator reads from <see cref="EvaluationContext.Snapshot"/>. Resources of other types
    /// are checked as they are read and then dropped, so the snapshot an assessment keeps (and its memory) is only
    /// what some evaluator declared; reading an undeclared type that was dropped throws (an error result, never a
    /// silently empty list).
    /// </summary>
    IReadOnlyList<string> Reads { get; }

    IEnumerable<ControlResult> Evaluate(EvaluationContext context);
}

/// <summary>A control checked on each resource of some types, independently.</summary>
public abstract class ResourceControl : IControlEvaluator
{
    public abstract string ControlId { get; }

    /// <summary>Resource types (ARM, <c>graph:*</c>, <c>azurerm_*</c>) this control reads.</summary>
    public abstract IReadOnlyList<string> Types { get; }

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlId];

    /// <summary>
    /// Other resource types <see cref="Check"/> reads through the snapshot (a key vault's diagnostic settings). A
    /// control with none is checked on each resource while the inputs are read, and the resource can then be dropped;
    /// a control with some runs after reading, over its own types and these, which the snapshot keeps.
    /// </summary>
    public virtual IReadOnlyList<string> Joins => [];

    IReadOnlyList<string> IControlEvaluator.Reads => Joins.Count == 0 ? [] : [.. Types, .. Joins];

    public abstract Verdict Check(TenantResource resource, EvaluationContext context);

    /// <summary>Whether a resource of one of <see cref="Types"/> is in scope (a Linux VM only, say).</summary>
    public virtual bool AppliesTo(TenantResource resource, EvaluationContext context) => true;

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var any = false;
        foreach (var resource in context.Snapshot.OfTypes(Types))
        {
            if (!AppliesTo(resource, context))
            {
                continue;
            }

            any = true;
            yield return Result(resource, Check(resource, context));
        }

        if (!any)
        {
            yield return Absent(context, context.Snapshot.OfTypes(Types).Any());
        }
    }

    internal ControlResult Result(TenantResource resource, Verdict verdict, EvaluationContext? context = null) => new()
    {
        ControlId = ControlId,
        Status = verdict.Status,
        Resource = resource.Ref,
        Evidence = context?.Share(verdict.Evidence) ?? verdict.Evidence,
        PropertyPath = verdict.PropertyPath,
        // A deferred fix stays deferred; reading verdict.Remediation here would build it.
        DeferredRemediation = verdict.DeferredRemediation,
        Remediation = verdict.DeferredRemediation is null ? verdict.Remediation : null,
    };

    /// <summary>
    /// Whether the resource is of one of <see cref="Types"/>. A loop, not <c>Types.Any(resource.Is)</c>: that allocated
    /// a delegate and an enumerator for every resource and every control (bench/baseline-assess.sh).
    /// </summary>
    internal bool IsOneOfTypes(TenantResource resource)
    {
        var types = Types;
        for (var i = 0; i < types.Count; i++)
        {
            if (resource.Is(types[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The result when no resource was in scope; <paramref name="sawTypes"/>: resources of <see cref="Types"/> were read, none applied.</summary>
    internal virtual ControlResult Absent(EvaluationContext context, bool sawTypes) => Absent(ControlId, Types, context);

    /// <summary>
    /// No resource to check: not applicable when an input of the control's family was given (there simply is no
    /// such resource), unknown when none was (the data was never provided; never a pass).
    /// </summary>
    internal static ControlResult Absent(string controlId, IReadOnlyList<string> types, EvaluationContext context)
    {
        var wantsGraph = types.Any(t => t.StartsWith(GraphTypes.Prefix, StringComparison.Ordinal));
        var wantsAzure = types.Any(t => !t.StartsWith(GraphTypes.Prefix, StringComparison.Ordinal));
        var files = context.Snapshot.Files;
        var family = (wantsGraph && files.Any(f => f.Format is InputFormat.Graph or InputFormat.ScubaGear))
            || (wantsAzure && files.Any(f => f.Format is InputFormat.ArmResources or InputFormat.ArmTemplate or InputFormat.TerraformPlan));
        var declared = files.Any(f => f.DeclaredTypes.Intersect(types, StringComparer.OrdinalIgnoreCase).Any());
        return new ControlResult
        {
            ControlId = controlId,
            Status = family && (!wantsGraph || declared) ? ControlStatus.NotApplicable : ControlStatus.Unknown,
            Resource = ResourceRef.Tenant(),
            Evidence = family && (!wantsGraph || declared)
                ? $"no {string.Join(" / ", types)} in the inputs"
                : $"the inputs hold no {string.Join(" / ", types)} data; export it to evaluate this control",
        };
    }
}

/// <summary>
/// A control that reduces every resource of one type to a small fact set as the inputs are read (the operations
/// the activity-log alerts cover, say) and judges the facts at the end, so that none of those resources is kept.
/// </summary>
internal abstract class AggregateControl<TFacts> : IControlEvaluator, IObservingEvaluator, IResourceObserver
    where TFacts : class, new()
{
    public abstract string ControlId { get; }

    /// <summary>The resource type the facts come from.</summary>
    protected abstract string ObservedType { get; }

    IReadOnlyList<string> IControlEvaluator.ControlIds => [ControlId];

    IReadOnlyList<string> IControlEvaluator.Reads => [];

    IResourceObserver IObservingEvaluator.Observer => this;

    private string StateKey => $"{ControlId}/facts";

    void IResourceObserver.Observe(TenantResource resource, EvaluationContext context)
    {
        if (resource.Is(ObservedType))
        {
            Observe(resource, context.State<TFacts>(StateKey));
        }
    }

    public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Evaluate(context.State<TFacts>(StateKey), context);
    }

    /// <summary>Adds one resource of <see cref="ObservedType"/> (in input order) to the facts.</summary>
    private protected abstract void Observe(TenantResource resource, TFacts facts);

    private protected abstract IEnumerable<ControlResult> Evaluate(TFacts facts, EvaluationContext context);
}

/// <summary>The evaluators in this assembly, by control id.</summary>
public static class EvaluatorRegistry
{
    private static readonly Lazy<IReadOnlyDictionary<string, IControlEvaluator>> All = new(Discover);

    public static IReadOnlyDictionary<string, IControlEvaluator> ByControlId => All.Value;

    /// <summary>Control ids that have an evaluator; the others always report <see cref="ControlStatus.Unknown"/>.</summary>
    public static bool IsEvaluated(string controlId) => All.Value.ContainsKey(controlId);

    private static Dictionary<string, IControlEvaluator> Discover()
    {
        var map = new Dictionary<string, IControlEvaluator>(StringComparer.Ordinal);
        foreach (var type in typeof(IControlEvaluator).Assembly.GetTypes()
                     .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IControlEvaluator).IsAssignableFrom(t))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var evaluator = (IControlEvaluator)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, null, null)!;
            foreach (var id in evaluator.ControlIds)
            {
                if (!ControlCatalogue.Default.Contains(id))
                {
                    throw new InvalidOperationException($"{type.Name} evaluates '{id}', which is not in the catalogue.");
                }

                if (!map.TryAdd(id, evaluator))
                {
                    throw new InvalidOperationException($"Two evaluators for control {id}: {map[id].GetType().Name} and {type.Name}.");
                }
            }
        }

        return map;
    }
}
