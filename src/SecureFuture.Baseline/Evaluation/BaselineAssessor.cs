using SecureFuture.Baseline.Input;
using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>Counts of one domain's results.</summary>
public sealed record DomainSummary(string Domain, int Pass, int Fail, int NotApplicable, int Unknown, int Error, int Excepted);

/// <summary>The results of one assessment: one result per control and resource.</summary>
public sealed record Assessment
{
    public required IReadOnlyList<ControlResult> Results { get; init; }

    public required DateTimeOffset AssessedAt { get; init; }

    public IReadOnlyList<InputFile> Files { get; init; } = [];

    /// <summary>Exceptions whose expiry date has passed: they no longer apply.</summary>
    public IReadOnlyList<ExceptionEntry> ExpiredExceptions { get; init; } = [];

    public IReadOnlyList<Notification> Notifications { get; init; } = [];

    public IEnumerable<ControlResult> Failures => Results.Where(r => r.Status == ControlStatus.Fail);

    public IReadOnlyList<DomainSummary> SummaryByDomain(ControlCatalogue? catalogue = null)
    {
        catalogue ??= ControlCatalogue.Default;
        return [.. catalogue.Domains.Select(d =>
        {
            var rs = Results.Where(r => catalogue.TryGet(r.ControlId, out var c) && c.Domain == d).ToList();
            return new DomainSummary(d,
                rs.Count(r => r.Status == ControlStatus.Pass),
                rs.Count(r => r.Status == ControlStatus.Fail && !r.IsExcepted),
                rs.Count(r => r.Status == ControlStatus.NotApplicable),
                rs.Count(r => r.Status == ControlStatus.Unknown),
                rs.Count(r => r.Status == ControlStatus.Error),
                rs.Count(r => r.Status == ControlStatus.Fail && r.IsExcepted));
        })];
    }
}

/// <summary>
/// Runs the catalogue over a snapshot. Every control yields at least one result: a control without an evaluator
/// yields <see cref="ControlStatus.Unknown"/>, an evaluator that throws yields <see cref="ControlStatus.Error"/>
/// and a notification, and the run goes on.
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

    /// <summary>Reads files or directories and assesses them.</summary>
    public async Task<Assessment> AssessAsync(IEnumerable<string> inputs, IReadOnlySet<string>? controls = null, CancellationToken cancellationToken = default)
    {
        var snapshot = await SnapshotReader.ReadAsync(inputs, cancellationToken);
        return Assess(snapshot, controls);
    }

    /// <param name="controls">Only these control ids (all when null).</param>
    public Assessment Assess(TenantSnapshot snapshot, IReadOnlySet<string>? controls = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var context = new EvaluationContext(snapshot, _configuration, _time);
        var today = DateOnly.FromDateTime(context.Now.UtcDateTime);
        var notifications = new List<Notification>(snapshot.Notifications);
        var selected = _catalogue.Controls.Where(c => controls is null || controls.Contains(c.Id)).ToList();
        var perResource = EvaluatePerResource(snapshot, context,
            [.. selected.Select(c => Evaluators.GetValueOrDefault(c.Id)).OfType<ResourceControl>()]);
        var results = new List<ControlResult>();
        foreach (var control in selected)
        {
            if (!Evaluators.TryGetValue(control.Id, out var evaluator))
            {
                results.Add(new ControlResult
                {
                    ControlId = control.Id,
                    Status = ControlStatus.Unknown,
                    Resource = ResourceRef.Tenant(),
                    Evidence = "not evaluated by this version of sfi (no evaluator yet)",
                });
                continue;
            }

            Exception? failure = null;
            if (evaluator is ResourceControl resourceControl)
            {
                var outcome = perResource[resourceControl];
                if (outcome.Failure is null)
                {
                    results.AddRange(outcome.Results.Count > 0 ? outcome.Results : [ResourceControl.Absent(control.Id, resourceControl.Types, context)]);
                }

                failure = outcome.Failure;
            }
            else
            {
                try
                {
                    // Materialised inside the try: evaluators are lazy iterators and may throw half-way.
                    results.AddRange(evaluator.Evaluate(context).Where(r => r.ControlId == control.Id).ToList());
                }
#pragma warning disable CA1031 // An evaluator bug must not stop the other 98 controls (STYLE.md: a failing rule is reported, the run goes on).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failure = ex;
                }
                finally
                {
                    ReleaseAll(snapshot);
                }
            }

            if (failure is not null)
            {
                results.Add(new ControlResult
                {
                    ControlId = control.Id,
                    Status = ControlStatus.Error,
                    Resource = ResourceRef.Tenant(),
                    Evidence = $"the evaluator failed: {failure.GetType().Name}: {failure.Message}",
                });
                notifications.Add(new Notification("baseline/evaluator-failed", NotificationLevel.Error, $"{control.Id}: {failure.Message}") { RuleId = control.Id });
            }
        }

        var expired = new HashSet<ExceptionEntry>();
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            if (r.Status != ControlStatus.Fail)
            {
                continue;
            }

            var matching = _exceptions.Where(e => e.ControlId == r.ControlId && e.Matches(r.Resource)).ToList();
            var live = matching.FirstOrDefault(e => !e.IsExpired(today));
            var dead = matching.FirstOrDefault(e => e.IsExpired(today));
            if (live is not null)
            {
                results[i] = r with { Exception = live };
            }
            else if (dead is not null)
            {
                expired.Add(dead);
                results[i] = r with { ExpiredException = dead };
            }
        }

        foreach (var e in _exceptions.Where(e => e.IsExpired(today)))
        {
            expired.Add(e);
            notifications.Add(new Notification("baseline/exception-expired", NotificationLevel.Warning,
                $"the exception for {e.ControlId} on '{e.ResourcePattern}' (owner {e.Owner}) expired on {e.Expires:yyyy-MM-dd} and no longer applies")
            {
                Path = e.Source.Path,
                Region = new Region(e.Source.Line, e.Source.Column, e.Source.Line, e.Source.Column),
                RuleId = e.ControlId,
            });
        }

        ReleaseAll(snapshot);
        return new Assessment
        {
            Results = results,
            AssessedAt = context.Now,
            Files = snapshot.Files,
            ExpiredExceptions = [.. expired.OrderBy(e => e.Source.Line)],
            Notifications = notifications,
        };
    }

    /// <summary>The results of one resource control, or the exception that stopped it.</summary>
    private sealed class PerResourceOutcome
    {
        public List<ControlResult> Results { get; } = [];

        public Exception? Failure { get; set; }
    }

    /// <summary>
    /// Runs every resource control in one pass over the snapshot: each resource is materialised once, checked by all
    /// the controls that read its type, and released again, so that at most one resource is a node tree at a time
    /// (plus what other evaluators index). Results keep snapshot order per control, as a control-by-control loop
    /// would give them; a control that throws loses its results and is reported as one error, as before.
    /// </summary>
    private static Dictionary<ResourceControl, PerResourceOutcome> EvaluatePerResource(TenantSnapshot snapshot, EvaluationContext context, IReadOnlyList<ResourceControl> controls)
    {
        var outcomes = controls.Distinct().ToDictionary(c => c, _ => new PerResourceOutcome());
        var byType = new Dictionary<string, List<ResourceControl>>(StringComparer.OrdinalIgnoreCase);
        foreach (var control in outcomes.Keys)
        {
            foreach (var type in control.Types.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (!byType.TryGetValue(type, out var list))
                {
                    byType[type] = list = [];
                }

                list.Add(control);
            }
        }

        foreach (var resource in snapshot.Resources)
        {
            if (!byType.TryGetValue(resource.Type, out var readers))
            {
                continue;
            }

            foreach (var control in readers)
            {
                var outcome = outcomes[control];
                if (outcome.Failure is not null)
                {
                    continue;
                }

                try
                {
                    if (control.AppliesTo(resource, context))
                    {
                        outcome.Results.Add(control.Result(resource, control.Check(resource, context), context));
                    }
                }
#pragma warning disable CA1031 // An evaluator bug must not stop the other controls (STYLE.md: a failing rule is reported, the run goes on).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    outcome.Failure = ex;
                    outcome.Results.Clear();
                }
            }

            resource.Release();
        }

        return outcomes;
    }

    private static void ReleaseAll(TenantSnapshot snapshot)
    {
        foreach (var resource in snapshot.Resources)
        {
            resource.Release();
        }
    }
}
