using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Metrics;
using SecureFuture.Findings.Sla;

namespace SecureFuture.Findings.Store;

/// <summary>
/// The hub's state: projects, analyses, findings with their lifecycle and deadlines, and each project's hash-chained
/// history of state changes. Implemented once over SQLite and PostgreSQL (<see cref="SqlFindingStore"/>).
/// </summary>
public interface IFindingStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers a project or updates it; deadlines of its unresolved findings follow a changed criticality.</summary>
    Task UpsertProjectAsync(Project project, CancellationToken cancellationToken = default);

    Task<Project?> GetProjectAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Project>> ListProjectsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores one analysis whole or not at all, and applies the lifecycle to the findings of its project, ref, tool and category.
    /// A push whose content is the same as the latest analysis of that scope is the same analysis: nothing changes and
    /// no history is written. Pushes for one project are serialised.
    /// </summary>
    /// <exception cref="UnknownProjectException">The project is not registered.</exception>
    /// <exception cref="StoreUnavailableException">The database failed mid-way: nothing was stored; retry.</exception>
    Task<IngestOutcome> IngestAsync(AnalysisUpload upload, IEnumerable<IngestedResult> results, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the analyses of one pushed log (one per tool and category, all of one project) in one transaction: all of
    /// them or none, so a database failing after the first leaves nothing of the log. Each is applied as
    /// <see cref="IngestAsync(AnalysisUpload, IEnumerable{IngestedResult}, CancellationToken)"/> would, in order; a
    /// duplicate among them changes nothing while the others are stored. Outcomes are in the order of
    /// <paramref name="analyses"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The analyses are of several projects, or two are of the same ref, tool and category.</exception>
    /// <exception cref="UnknownProjectException">The project is not registered.</exception>
    /// <exception cref="StoreUnavailableException">The database failed mid-way: nothing of the log was stored; retry.</exception>
    Task<IReadOnlyList<IngestOutcome>> IngestAsync(IReadOnlyList<PushedAnalysis> analyses, CancellationToken cancellationToken = default);

    Task<FindingPage> ListFindingsAsync(FindingQuery query, CancellationToken cancellationToken = default);

    /// <summary>One finding with its code flow and its history, or null.</summary>
    Task<FindingDetail?> GetFindingAsync(string id, CancellationToken cancellationToken = default);

    Task<StateChange> DismissAsync(string id, DismissReason reason, string by, string? comment, CancellationToken cancellationToken = default);

    /// <summary>Accepts the risk of a finding until <paramref name="until"/>, owned by <paramref name="riskOwner"/>.</summary>
    Task<StateChange> AcceptAsync(string id, string riskOwner, DateTimeOffset until, string by, string? comment, CancellationToken cancellationToken = default);

    /// <summary>Undoes a dismissal or an acceptance.</summary>
    Task<StateChange> ReopenAsync(string id, string by, string? comment, CancellationToken cancellationToken = default);

    /// <summary>Records every acceptance that has expired (it already reads as open) as open in the history; returns how many.</summary>
    Task<int> ExpireAcceptancesAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the SLA policy and KEV catalogue and recomputes the deadline and KEV flag of every unresolved finding.</summary>
    Task ApplySlaAsync(SlaPolicy policy, KevCatalog kev, CancellationToken cancellationToken = default);

    /// <summary>A project's history in order (every project's when <paramref name="project"/> is null).</summary>
    Task<IReadOnlyList<HistoryRecord>> ReadHistoryAsync(string? project, CancellationToken cancellationToken = default);

    /// <summary>Verifies every project's history chain.</summary>
    Task<HistoryVerification> VerifyHistoryAsync(CancellationToken cancellationToken = default);

    /// <summary>Metrics over the findings (of one project, or all) and coverage over all projects, at the store's clock.</summary>
    Task<MetricsReport> ComputeMetricsAsync(MetricsRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The store is registered with no such project.</summary>
public sealed class UnknownProjectException(string project) : Exception($"project '{project}' is not registered")
{
    public string Project { get; } = project;
}

/// <summary>
/// The database failed during a write (connection lost, disk full, timeout): the transaction was rolled back, nothing
/// of the operation was stored, and the same request can be retried as it is.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
