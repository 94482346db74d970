using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Cli.Scan;

/// <summary>
/// The advisory database of one <c>sfi scan</c> with <c>deps</c>: opened before the walk, and what every report says
/// about it (its import date in the run properties, a warning when it is stale or missing).
/// </summary>
internal sealed class AdvisorySource
{
    /// <summary>The run property with the database's import date (ISO 8601), in every report of a scan that matched advisories.</summary>
    public const string ImportedAtProperty = "advisoryDatabaseImportedAt";

    /// <summary>The inventory's count of manifests and lock files read (see <c>DependencyInventoryAnalyzer</c>).</summary>
    private const string DependencyManifestsStatistic = "dependencyManifests";

    private readonly Notification? _warning;

    private AdvisorySource(AdvisoryDatabase? database, Notification? warning)
    {
        Database = database;
        _warning = warning;
    }

    /// <summary>The database, or null when there is none and the scan goes on with the inventory only.</summary>
    public AdvisoryDatabase? Database { get; }

    /// <summary>
    /// Opens the database in <paramref name="dataDirectory"/>. Without one, <c>deps</c> asked for by name is refused
    /// (an <see cref="InputException"/>, exit 2: a security decision that cannot be made is not a pass); as part of the
    /// default set the scan goes on with the inventory and a warning. A damaged database is refused either way.
    /// </summary>
    public static AdvisorySource Open(string dataDirectory, bool explicitly, TimeProvider clock)
    {
        if (!explicitly && !File.Exists(AdvisoryDatabase.IndexPath(dataDirectory)))
        {
            return new AdvisorySource(null, new Notification("deps-no-advisory-database", NotificationLevel.Warning,
                $"no advisory database in {dataDirectory}: dependencies were inventoried but not checked for known vulnerabilities; run 'sfi advisories update' (or pass --data-dir)"));
        }

        var database = AdvisoryDatabase.Open(dataDirectory);
        var stale = database.Index.Info.StalenessWarning(clock.GetUtcNow());
        return new AdvisorySource(database, stale is null ? null : new Notification("deps-advisory-database-stale", NotificationLevel.Warning, stale));
    }

    /// <summary>
    /// The run with the database's import date among its properties and, when the tree had manifests or lock files,
    /// the database warning (missing or stale) first among its notifications.
    /// </summary>
    public AnalysisRun Annotate(AnalysisRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (Database is { } database)
        {
            var properties = new Dictionary<string, string>(run.Properties, StringComparer.Ordinal)
            {
                [ImportedAtProperty] = database.Index.Info.ImportedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            };
            run = run with { Properties = properties };
        }

        // A tree without manifests or lock files had nothing to check: no warning about the database it did not need.
        var checkedDependencies = run.Statistics.GetValueOrDefault(DependencyManifestsStatistic) > 0;
        return _warning is null || !checkedDependencies ? run : run with { Notifications = [_warning, .. run.Notifications] };
    }
}
