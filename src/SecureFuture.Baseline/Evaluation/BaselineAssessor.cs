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
        var results = new List<ControlResult>();
        foreach (var control in _catalogue.Controls)
        {
            if (controls is not null && !controls.Contains(control.Id))
            {
                continue;
            }

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

            try
            {
                // Materialised inside the try: evaluators are lazy iterators and may throw half-way.
                results.AddRange(evaluator.Evaluate(context).Where(r => r.ControlId == control.Id).ToList());
            }
#pragma warning disable CA1031 // An evaluator bug must not stop the other 98 controls (STYLE.md: a failing rule is reported, the run goes on).
            catch (Exception ex)
#pragma warning restore CA1031
            {
                results.Add(new ControlResult
                {
                    ControlId = control.Id,
                    Status = ControlStatus.Error,
                    Resource = ResourceRef.Tenant(),
                    Evidence = $"the evaluator failed: {ex.GetType().Name}: {ex.Message}",
                });
                notifications.Add(new Notification("baseline/evaluator-failed", NotificationLevel.Error, $"{control.Id}: {ex.Message}") { RuleId = control.Id });
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

        return new Assessment
        {
            Results = results,
            AssessedAt = context.Now,
            Files = snapshot.Files,
            ExpiredExceptions = [.. expired.OrderBy(e => e.Source.Line)],
            Notifications = notifications,
        };
    }
}
