using SecureFuture.Baseline.Input;
using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>Counts of one domain's results.</summary>
public sealed record DomainSummary(string Domain, int Pass, int Fail, int NotApplicable, int Unknown, int Error, int Excepted);

/// <summary>The results of one assessment: one result per control and resource.</summary>
public sealed record Assessment
{
    private readonly AssessmentTally? _tally;

    /// <summary>
    /// The results, in catalogue order (each control's in input order). When the assessment streamed its results
    /// to a writer, only the ones the caller chose to keep (the failures, say); <see cref="Tally"/> counts them all.
    /// </summary>
    public required IReadOnlyList<ControlResult> Results { get; init; }

    /// <summary>Counts of every result by control and status, including those not kept in <see cref="Results"/>.</summary>
    public AssessmentTally Tally
    {
        get => _tally ?? AssessmentTally.Of(Results);
        init => _tally = value;
    }

    public required DateTimeOffset AssessedAt { get; init; }

    public IReadOnlyList<InputFile> Files { get; init; } = [];

    /// <summary>Exceptions whose expiry date has passed: they no longer apply.</summary>
    public IReadOnlyList<ExceptionEntry> ExpiredExceptions { get; init; } = [];

    public IReadOnlyList<Notification> Notifications { get; init; } = [];

    public IEnumerable<ControlResult> Failures => Results.Where(r => r.Status == ControlStatus.Fail);

    /// <summary>
    /// Whether a failure not covered by a live exception belongs to a control at or above <paramref name="threshold"/>
    /// (the <c>--fail-on</c> gate), from the counts, so it holds for results that were streamed and not kept.
    /// </summary>
    public bool HasFailureAtOrAbove(Severity threshold, ControlCatalogue? catalogue = null)
    {
        catalogue ??= ControlCatalogue.Default;
        var tally = Tally;
        return catalogue.Controls.Any(c => c.Severity >= threshold && tally.Count(c.Id, ControlStatus.Fail) > tally.Excepted(c.Id));
    }

    public IReadOnlyList<DomainSummary> SummaryByDomain(ControlCatalogue? catalogue = null)
    {
        catalogue ??= ControlCatalogue.Default;
        var tally = Tally;
        return [.. catalogue.Domains.Select(d =>
        {
            var ids = catalogue.Controls.Where(c => c.Domain == d).Select(c => c.Id).ToList();
            int Sum(Func<string, int> count) => ids.Sum(count);
            return new DomainSummary(d,
                Sum(id => tally.Count(id, ControlStatus.Pass)),
                Sum(id => tally.Count(id, ControlStatus.Fail) - tally.Excepted(id)),
                Sum(id => tally.Count(id, ControlStatus.NotApplicable)),
                Sum(id => tally.Count(id, ControlStatus.Unknown)),
                Sum(id => tally.Count(id, ControlStatus.Error)),
                Sum(tally.Excepted));
        })];
    }
}

/// <summary>Counts of results by control and status, kept while results stream past.</summary>
public sealed class AssessmentTally
{
    private readonly Dictionary<string, Entry> _byControl = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public readonly int[] ByStatus = new int[5];
        public int Excepted;
        public string? FirstUnknownEvidence;
    }

    /// <summary>Every result counted.</summary>
    public int Total { get; private set; }

    /// <summary>The controls with at least one result, in the order their first result came.</summary>
    public IEnumerable<string> ControlIds => _byControl.Keys;

    public int Count(string controlId, ControlStatus status) =>
        _byControl.TryGetValue(controlId, out var e) ? e.ByStatus[(int)status] : 0;

    public int Count(ControlStatus status) => _byControl.Values.Sum(e => e.ByStatus[(int)status]);

    /// <summary>Failures covered by a live exception.</summary>
    public int Excepted(string controlId) => _byControl.TryGetValue(controlId, out var e) ? e.Excepted : 0;

    /// <summary>The evidence of a control's first unknown result (why it could not be evaluated).</summary>
    public string? FirstUnknownEvidence(string controlId) => _byControl.TryGetValue(controlId, out var e) ? e.FirstUnknownEvidence : null;

    internal void Add(ControlResult result)
    {
        if (!_byControl.TryGetValue(result.ControlId, out var e))
        {
            _byControl[result.ControlId] = e = new Entry();
        }

        e.ByStatus[(int)result.Status]++;
        if (result.Status == ControlStatus.Fail && result.IsExcepted)
        {
            e.Excepted++;
        }

        if (result.Status == ControlStatus.Unknown)
        {
            e.FirstUnknownEvidence ??= result.Evidence;
        }

        Total++;
    }

    public static AssessmentTally Of(IEnumerable<ControlResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var tally = new AssessmentTally();
        foreach (var r in results)
        {
            tally.Add(r);
        }

        return tally;
    }
}

/// <summary>What to do with results as an assessment produces them.</summary>
public sealed record ResultSink
{
    /// <summary>Called once, before the first result, with the time of the assessment (<see cref="Assessment.AssessedAt"/>).</summary>
    public Action<DateTimeOffset>? OnStart { get; init; }

    /// <summary>Called once per result, in production order (see <see cref="BaselineAssessor"/>), before any is kept.</summary>
    public Action<ControlResult>? OnResult { get; init; }

    /// <summary>Which results <see cref="Assessment.Results"/> keeps (all when null).</summary>
    public Func<ControlResult, bool>? Keep { get; init; }

    /// <summary>Keeps every result.</summary>
    public static ResultSink All { get; } = new();

    /// <summary>Keeps the failures only: enough for the text, SARIF and HTML reports, the gate and the remediation plan.</summary>
    public static ResultSink FailuresOnly { get; } = new() { Keep = r => r.Status == ControlStatus.Fail };
}

/// <summary>
/// Runs the catalogue over a snapshot. Every control yields at least one result: a control without an evaluator
/// yields <see cref="ControlStatus.Unknown"/>, an evaluator that throws yields <see cref="ControlStatus.Error"/>
/// and a notification, and the run goes on.
/// <para>
/// Reading and evaluation are one pass. Each resource is checked by the resource controls that read nothing else
/// as soon as its file has been read, and dropped unless an evaluator declared its type
/// (<see cref="IControlEvaluator.Reads"/>); the controls that join resources run once every input has been read,
/// over what was kept. Results go to <see cref="ResultSink.OnResult"/> as they are produced (the per-resource
/// results in input order, then the others control by control), so a report can be written while a 2 GB export is
/// read, and <see cref="Assessment.Results"/> keeps only what the caller asks for, in catalogue order.
/// </para>
/// </summary>
public sealed class BaselineAssessor(
    BaselineConfiguration? configuration = null,
    IReadOnlyList<ExceptionEntry>? exceptions = null,
    TimeProvider? timeProvider = null,
    ControlCatalogue? catalogue = null)
{
    private readonly BaselineConfiguration _configuration = configuration ?? BaselineConfiguration.Default;
    private readonly IReadOnlyList<ExceptionEntry> _exceptions = exceptions ?? [];
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ControlCatalogue _catalogue = catalogue ?? ControlCatalogue.Default;

    /// <summary>The evaluators by control id; the ones found in this assembly unless a test replaces them.</summary>
    internal IReadOnlyDictionary<string, IControlEvaluator> Evaluators { get; init; } = EvaluatorRegistry.ByControlId;

    /// <summary>
    /// A deployment parameters file for the ARM templates among the inputs (<c>--parameters</c>); when null, each
    /// template's <c>NAME.parameters.json</c> beside it, if any.
    /// </summary>
    public string? TemplateParameters { get; init; }

    /// <summary>Reads files or directories and assesses them, keeping every result.</summary>
    public Task<Assessment> AssessAsync(IEnumerable<string> inputs, IReadOnlySet<string>? controls = null, CancellationToken cancellationToken = default) =>
        AssessAsync(inputs, ResultSink.All, controls, cancellationToken);

    /// <summary>Reads files or directories and assesses them as they are read (see the class remarks).</summary>
    /// <param name="controls">Only these control ids (all when null).</param>
    public async Task<Assessment> AssessAsync(IEnumerable<string> inputs, ResultSink stream, IReadOnlySet<string>? controls = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var run = new Run(this, stream, controls);
        var snapshot = await SnapshotReader.ReadAsync(inputs, resource => run.Accept(resource, dropUnkept: true), TemplateParameters, cancellationToken);
        return run.Finish(snapshot);
    }

    /// <param name="controls">Only these control ids (all when null).</param>
    public Assessment Assess(TenantSnapshot snapshot, IReadOnlySet<string>? controls = null) => Assess(snapshot, ResultSink.All, controls);

    /// <summary>Assesses a snapshot already in memory, through the same pass as <see cref="AssessAsync(IEnumerable{string}, ResultSink, IReadOnlySet{string}?, CancellationToken)"/>.</summary>
    public Assessment Assess(TenantSnapshot snapshot, ResultSink stream, IReadOnlySet<string>? controls = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(stream);
        var run = new Run(this, stream, controls);
        foreach (var resource in snapshot.Kept)
        {
            // The caller's snapshot: its resources keep their JSON.
            run.Accept(resource, dropUnkept: false);
        }

        return run.Finish(snapshot);
    }

    /// <summary>One assessment: the resource controls by type, what they have produced, and the results so far.</summary>
    private sealed class Run
    {
        private readonly BaselineAssessor _owner;
        private readonly ResultSink _stream;
        private readonly EvaluationContext _context;
        private readonly DateOnly _today;
        private readonly List<ControlDefinition> _selected;
        private readonly Dictionary<string, List<ResourceControl>> _streamedByType = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<ResourceControl, StreamedState> _streamed = [];
        private readonly HashSet<string> _kept = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<IResourceObserver> _observers = [];

        /// <summary>Observers that threw: they see no more resources, and the controls they serve report an error.</summary>
        private readonly Dictionary<IResourceObserver, Exception> _failedObservers = [];
        private readonly List<ControlResult> _results = [];
        private readonly AssessmentTally _tally = new();
        private readonly HashSet<ExceptionEntry> _expired = [];

        /// <summary>Whether a streamed control has seen a resource in scope, and the exception that stopped it.</summary>
        private sealed class StreamedState
        {
            public bool Any { get; set; }

            /// <summary>Whether a resource of its types was read, in scope or not.</summary>
            public bool SawTypes { get; set; }

            public Exception? Failure { get; set; }
        }

        public Run(BaselineAssessor owner, ResultSink stream, IReadOnlySet<string>? controls)
        {
            _owner = owner;
            _stream = stream;
            _context = new EvaluationContext(owner._configuration, owner._time);
            _today = DateOnly.FromDateTime(_context.Now.UtcDateTime);
            stream.OnStart?.Invoke(_context.Now);
            _selected = [.. owner._catalogue.Controls.Where(c => controls is null || controls.Contains(c.Id))];
            foreach (var evaluator in _selected.Select(c => owner.Evaluators.GetValueOrDefault(c.Id)).OfType<IControlEvaluator>().Distinct())
            {
                _kept.UnionWith(evaluator.Reads);
                if (evaluator is IObservingEvaluator observing && !_observers.Contains(observing.Observer))
                {
                    _observers.Add(observing.Observer);
                }

                if (evaluator is ResourceControl { Joins.Count: 0 } streamed)
                {
                    _streamed[streamed] = new StreamedState();
                    foreach (var type in streamed.Types.Distinct(StringComparer.OrdinalIgnoreCase))
                    {
                        if (!_streamedByType.TryGetValue(type, out var list))
                        {
                            _streamedByType[type] = list = [];
                        }

                        list.Add(streamed);
                    }
                }
            }
        }

        /// <summary>Checks one resource with the controls that read only it; true when an evaluator reads its type later.</summary>
        /// <param name="dropUnkept">Drop the JSON of a resource no evaluator reads later (one the assessment read itself).</param>
        public bool Accept(TenantResource resource, bool dropUnkept)
        {
            for (var i = 0; i < _observers.Count; i++)
            {
                try
                {
                    _observers[i].Observe(resource, _context);
                }
#pragma warning disable CA1031 // An observer bug must not stop the reading (STYLE.md: a failing rule is reported, the run goes on).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _failedObservers[_observers[i]] = ex;
                    _observers.RemoveAt(i--);
                }
            }

            if (_streamedByType.TryGetValue(resource.Type, out var readers))
            {
                foreach (var control in readers)
                {
                    var state = _streamed[control];
                    state.SawTypes = true;
                    if (state.Failure is not null)
                    {
                        continue;
                    }

                    try
                    {
                        if (control.AppliesTo(resource, _context))
                        {
                            state.Any = true;
                            Emit(control.Result(resource, control.Check(resource, _context), _context));
                        }
                    }
#pragma warning disable CA1031 // An evaluator bug must not stop the other controls (STYLE.md: a failing rule is reported, the run goes on).
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        state.Failure = ex;
                    }
                }
            }

            resource.Release();
            var kept = _kept.Contains(resource.Type);
            if (!kept && dropUnkept)
            {
                resource.DropJson();
            }

            return kept;
        }

        /// <summary>Runs what needs the whole snapshot, then the bookkeeping of exceptions; returns the assessment.</summary>
        public Assessment Finish(TenantSnapshot snapshot)
        {
            _context.Attach(snapshot);
            var notifications = new List<Notification>(snapshot.Notifications);
            foreach (var control in _selected)
            {
                if (!_owner.Evaluators.TryGetValue(control.Id, out var evaluator))
                {
                    Emit(new ControlResult
                    {
                        ControlId = control.Id,
                        Status = ControlStatus.Unknown,
                        Resource = ResourceRef.Tenant(),
                        Evidence = "not evaluated by this version of sfi (no evaluator yet)",
                    });
                    continue;
                }

                Exception? failure;
                if (evaluator is ResourceControl resourceControl && _streamed.TryGetValue(resourceControl, out var state))
                {
                    failure = state.Failure;
                    if (failure is null && !state.Any)
                    {
                        Emit(resourceControl.Absent(_context, state.SawTypes));
                    }
                }
                else if (evaluator is IObservingEvaluator observing && _failedObservers.TryGetValue(observing.Observer, out var observerFailure))
                {
                    failure = observerFailure;
                }
                else
                {
                    failure = null;
                    try
                    {
                        // Materialised inside the try: evaluators are lazy iterators and may throw half-way, and a
                        // control that fails reports one error, not half of its results.
                        foreach (var result in evaluator.Evaluate(_context).Where(r => r.ControlId == control.Id).ToList())
                        {
                            Emit(result);
                        }
                    }
#pragma warning disable CA1031 // An evaluator bug must not stop the other 98 controls (STYLE.md: a failing rule is reported, the run goes on).
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        failure = ex;
                    }
                    finally
                    {
                        foreach (var resource in snapshot.Kept)
                        {
                            resource.Release();
                        }
                    }
                }

                if (failure is not null)
                {
                    Emit(new ControlResult
                    {
                        ControlId = control.Id,
                        Status = ControlStatus.Error,
                        Resource = ResourceRef.Tenant(),
                        Evidence = $"the evaluator failed: {failure.GetType().Name}: {failure.Message}",
                    });
                    notifications.Add(new Notification("baseline/evaluator-failed", NotificationLevel.Error, $"{control.Id}: {failure.Message}") { RuleId = control.Id });
                }
            }

            foreach (var e in _owner._exceptions.Where(e => e.IsExpired(_today)))
            {
                _expired.Add(e);
                notifications.Add(new Notification("baseline/exception-expired", NotificationLevel.Warning,
                    $"the exception for {e.ControlId} on '{e.ResourcePattern}' (owner {e.Owner}) expired on {e.Expires:yyyy-MM-dd} and no longer applies")
                {
                    Path = e.Source.Path,
                    Region = new Region(e.Source.Line, e.Source.Column, e.Source.Line, e.Source.Column),
                    RuleId = e.ControlId,
                });
            }

            // Catalogue order, each control's results in the order they came (a stable sort).
            var order = _selected.Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
            var results = _results.Count == 0 ? [] : _results.OrderBy(r => order.GetValueOrDefault(r.ControlId, int.MaxValue)).ToList();
            return new Assessment
            {
                Results = results,
                Tally = _tally,
                AssessedAt = _context.Now,
                Files = snapshot.Files,
                ExpiredExceptions = [.. _expired.OrderBy(e => e.Source.Line)],
                Notifications = notifications,
            };
        }

        /// <summary>Applies the exceptions to a result, counts it, hands it on and keeps it if asked.</summary>
        private void Emit(ControlResult result)
        {
            if (result.Status == ControlStatus.Fail && _owner._exceptions.Count > 0)
            {
                ExceptionEntry? live = null;
                ExceptionEntry? dead = null;
                foreach (var e in _owner._exceptions)
                {
                    if (e.ControlId == result.ControlId && e.Matches(result.Resource))
                    {
                        if (e.IsExpired(_today))
                        {
                            dead ??= e;
                        }
                        else
                        {
                            live ??= e;
                        }
                    }
                }

                if (live is not null)
                {
                    result = result with { Exception = live };
                }
                else if (dead is not null)
                {
                    _expired.Add(dead);
                    result = result with { ExpiredException = dead };
                }
            }

            _tally.Add(result);
            _stream.OnResult?.Invoke(result);
            if (_stream.Keep?.Invoke(result) ?? true)
            {
                _results.Add(result);
            }
        }
    }
}
