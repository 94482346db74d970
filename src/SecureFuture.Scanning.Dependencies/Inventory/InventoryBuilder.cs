using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>Collects what the readers find, for one inventory run.</summary>
internal sealed class InventoryBuilder
{
    public List<ResolvedPackage> Packages { get; } = [];

    public List<DependencyEdge> Edges { get; } = [];

    public List<UnpinnedDependency> Unpinned { get; } = [];

    public List<Notification> Notifications { get; } = [];

    public void Package(ResolvedPackage package) => Packages.Add(package);

    public void Edge(DependencyEdge edge) => Edges.Add(edge);

    /// <summary>A dependency without one pinned version: recorded and reported, never guessed.</summary>
    public void NotPinned(string ecosystem, string name, string requirement, ManifestFile file, int line, string why)
    {
        Unpinned.Add(new UnpinnedDependency(ecosystem, name, requirement, file.Path, line));
        Note(InventoryNotifications.Unpinned, file.Path, line,
            $"{file.Path}:{line}: {name} '{requirement}' {why}; pin it (or commit the lock file) to have it inventoried and matched against advisories",
            NotificationLevel.Warning);
    }

    public void Note(string id, string path, int? line, string message, NotificationLevel level = NotificationLevel.Note, int column = 1) =>
        Notifications.Add(new Notification(id, level, message)
        {
            Path = path,
            Region = line is { } l ? new Region(l, column, l, column) : null,
        });
}
