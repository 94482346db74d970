using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>A package by ecosystem, name and version: a node of the dependency graph.</summary>
public sealed record PackageId(string Ecosystem, string Name, string Version)
{
    public override string ToString() => $"{Ecosystem}:{Name}@{Version}";
}

/// <summary><paramref name="From"/> depends on <paramref name="To"/>, as <paramref name="Manifest"/> records it.</summary>
public sealed record DependencyEdge(string Manifest, PackageId From, PackageId To);

/// <summary>
/// A dependency a manifest declares without pinning one version (a range, a wildcard, an unresolved property): it is
/// reported as such and never turned into a guessed version.
/// </summary>
public sealed record UnpinnedDependency(string Ecosystem, string Name, string Requirement, string Manifest, int Line);

/// <summary>What the inventory found in the files of one scan.</summary>
/// <param name="Packages">Every resolved package, per manifest, in manifest then line order.</param>
/// <param name="Edges">The dependency graph between resolved packages (direct dependencies are <see cref="ResolvedPackage.Direct"/>).</param>
/// <param name="Unpinned">Dependencies declared without a single version.</param>
/// <param name="Manifests">The manifests and lock files that were read (relative, with '/'), whether or not they held packages.</param>
/// <param name="Notifications">Malformed files (with file:line:column), unknown lock file versions, unpinned dependencies.</param>
public sealed record InventoryResult(
    IReadOnlyList<ResolvedPackage> Packages,
    IReadOnlyList<DependencyEdge> Edges,
    IReadOnlyList<UnpinnedDependency> Unpinned,
    IReadOnlyList<string> Manifests,
    IReadOnlyList<Notification> Notifications)
{
    /// <summary>Whether a manifest could not be read at all (malformed or of an unknown version).</summary>
    public bool HasErrors => Notifications.Any(n => n.Level == NotificationLevel.Error);
}

/// <summary>The ids of the inventory's notifications.</summary>
public static class InventoryNotifications
{
    /// <summary>A manifest or lock file that does not parse; the message names file:line:column.</summary>
    public const string Malformed = "deps-malformed";

    /// <summary>A manifest or lock file that could not be read at all (too large, binary, unreadable).</summary>
    public const string Unreadable = "deps-unreadable";

    /// <summary>A lock file of a format version this inventory does not know: not read rather than misread.</summary>
    public const string UnknownVersion = "deps-unknown-lockfile-version";

    /// <summary>A dependency declared with a range or an unresolved property instead of one version.</summary>
    public const string Unpinned = "deps-unpinned";

    /// <summary>A lock file that records no direct dependencies and has no manifest beside it to tell them.</summary>
    public const string NoRoots = "deps-no-direct-dependencies";
}
