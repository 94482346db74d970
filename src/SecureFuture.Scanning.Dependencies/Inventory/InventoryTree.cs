using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// The inventory of a directory (or of one manifest) on disk, for <c>sfi sbom</c> and the benchmark: the scan's own
/// walker (ignore files honoured, symbolic links not followed) hands <see cref="DependencyInventory"/> the files it
/// wants. A wanted file that cannot be read or is over the size limit is an error: an SBOM that silently lacks a lock
/// file would be wrong.
/// </summary>
public static class InventoryTree
{
    public const long DefaultMaxFileSize = 256L * 1024 * 1024;

    /// <exception cref="InputException">The path does not exist.</exception>
    public static InventoryResult Read(string path, bool useIgnoreFiles = true, long maxFileSize = DefaultMaxFileSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var inventory = new DependencyInventory();
        var full = Path.GetFullPath(path);
        var problems = new List<Notification>();
        var files = new List<ScanTarget>();
        if (File.Exists(full))
        {
            // One manifest: it and the files beside it that it may consult (a package.json, a go.sum).
            var directory = Path.GetDirectoryName(full)!;
            foreach (var candidate in Directory.EnumerateFiles(directory).Where(f => f == full || inventory.Wants(Path.GetFileName(f)) && !IsManifest(inventory, f)))
            {
                Add(candidate, Path.GetFileName(candidate));
            }
        }
        else if (Directory.Exists(full))
        {
            var walker = new FileWalker(full, useIgnoreFiles, maxFileSize, n =>
            {
                if (n.Path is { } p && inventory.Wants(p))
                {
                    problems.Add(n with { Id = InventoryNotifications.Unreadable, Level = NotificationLevel.Error, Message = $"{p}: not read: {n.Message}" });
                }
            });
            foreach (var file in walker.Enumerate(cancellationToken).Where(f => inventory.Wants(f.RelativePath)))
            {
                Add(file.FullPath, file.RelativePath);
            }
        }
        else
        {
            throw new InputException(path, null, null, "no such file or directory");
        }

        var result = inventory.Read(files, cancellationToken);
        return result with { Notifications = [.. problems, .. result.Notifications] };

        void Add(string fullPath, string relative)
        {
            try
            {
                if (TextDecoder.Decode(File.ReadAllBytes(fullPath)) is { } text)
                {
                    files.Add(new ScanTarget(relative, text));
                }
                else
                {
                    problems.Add(new Notification(InventoryNotifications.Unreadable, NotificationLevel.Error, $"{relative}: not read: the file is binary") { Path = relative });
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new Notification(InventoryNotifications.Unreadable, NotificationLevel.Error, $"{relative}: not read: {e.Message}") { Path = relative });
            }
        }
    }

    /// <summary>Whether the file is itself inventoried (as opposed to only consulted), so that naming one manifest reads only that one.</summary>
    private static bool IsManifest(DependencyInventory inventory, string path) => inventory.IsManifest(Path.GetFileName(path));
}
