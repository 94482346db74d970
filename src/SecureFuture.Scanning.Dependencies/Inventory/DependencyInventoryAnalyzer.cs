using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// The inventory as a project analyzer of <c>sfi scan</c>: it reads the manifests and lock files the walk found and
/// reports how many packages they resolve (run statistics <c>dependency*</c>) and the inventory's notifications
/// (malformed and unknown-version lock files, unpinned declarations). It reports no findings itself:
/// <see cref="SecureFuture.Scanning.Dependencies.Scan.DependencyAnalyzer"/> runs it and matches <see cref="Last"/> against the advisory database.
/// </summary>
public sealed class DependencyInventoryAnalyzer : IProjectAnalyzer
{
    private readonly DependencyInventory _inventory = new();

    public IReadOnlyList<RuleDescriptor> Rules { get; } = [];

    /// <summary>The inventory of the last <see cref="Analyze"/> call.</summary>
    public InventoryResult? Last { get; private set; }

    public bool Wants(string relativePath) => _inventory.Wants(relativePath);

    public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        var result = _inventory.Read(input.Files, cancellationToken);
        Last = result;
        sink.Count("dependencyManifests", result.Manifests.Count);
        sink.Count("dependencyPackages", result.Packages.Count);
        sink.Count("dependencyDirectPackages", result.Packages.Count(p => p.Direct));
        sink.Count("dependencyUnpinned", result.Unpinned.Count);
        foreach (var notification in result.Notifications)
        {
            sink.Notify(notification);
        }
    }
}
