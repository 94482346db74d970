using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Inventory.Cargo;
using SecureFuture.Scanning.Dependencies.Inventory.Go;
using SecureFuture.Scanning.Dependencies.Inventory.Maven;
using SecureFuture.Scanning.Dependencies.Inventory.Npm;
using SecureFuture.Scanning.Dependencies.Inventory.NuGet;
using SecureFuture.Scanning.Dependencies.Inventory.PyPI;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// The package inventory of a tree: which walked files it reads (<see cref="Wants"/>) and what they resolve
/// (<see cref="Read"/>): packages with direct/transitive and path, the dependency graph, unpinned declarations, and a
/// notification for each file that is malformed (file:line:column) or of an unknown lock file version. A lock file
/// beside its manifest is read instead of the manifest (NuGet: <c>packages.lock.json</c>, then
/// <c>obj/project.assets.json</c>, then the project file). One file's fault never stops the others.
/// </summary>
public sealed class DependencyInventory
{
    /// <summary>Files read only to tell direct dependencies or central versions, never inventoried themselves.</summary>
    private static readonly string[] HelperFiles = ["package.json", "pyproject.toml", "Pipfile", "Directory.Packages.props", "go.sum"];

    private readonly IReadOnlyList<IManifestReader> _readers =
    [
        new NuGetLockFileReader(),
        new ProjectAssetsReader(),
        new ProjectFileReader(),
        new PackagesConfigReader(),
        new PackageLockReader(),
        new YarnLockReader(),
        new PnpmLockReader(),
        new RequirementsReader(),
        new PoetryLockReader(),
        new PipfileLockReader(),
        new UvLockReader(),
        new PomReader(),
        new GoModReader(),
        new CargoLockReader(),
    ];

    /// <summary>Whether the scan should hand this file (relative to the scan root, with '/') to <see cref="Read"/>.</summary>
    public bool Wants(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.StartsWith("node_modules/", StringComparison.Ordinal) || relativePath.Contains("/node_modules/", StringComparison.Ordinal))
        {
            return false; // an installed tree: its packages are the lock file's, and its thousands of package.json are not manifests
        }

        var fileName = FileName(relativePath);
        return HelperFiles.Contains(fileName, StringComparer.Ordinal) || _readers.Any(r => r.Reads(fileName, relativePath));
    }

    /// <summary>Whether files of this name are inventoried themselves (not only consulted beside another).</summary>
    public bool IsManifest(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        return _readers.Any(r => r.Reads(FileName(relativePath), relativePath));
    }

    /// <summary>Inventories the files (path relative to the scan root with '/', and text) a scan walked.</summary>
    public InventoryResult Read(IEnumerable<ScanTarget> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var walked = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            walked.TryAdd(file.Path, file.Text);
        }

        var output = new InventoryBuilder();
        var manifests = new List<string>();
        foreach (var (path, text) in walked.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fileName = FileName(path);
            foreach (var reader in _readers.Where(r => r.Reads(fileName, path)))
            {
                var manifest = new ManifestFile(path, text, walked);
                if (reader.SupersededBy(manifest))
                {
                    continue;
                }

                manifests.Add(path);
                ReadOne(reader, manifest, output);
            }
        }

        return new InventoryResult(output.Packages, output.Edges, output.Unpinned, manifests, output.Notifications);
    }

    private static void ReadOne(IManifestReader reader, ManifestFile file, InventoryBuilder output)
    {
        // A reader's packages reach the output only when the whole file was read: half a lock file is not an inventory.
        var own = new InventoryBuilder();
        try
        {
            reader.Read(file, own);
        }
        catch (ManifestFormatException e)
        {
            output.Note(InventoryNotifications.Malformed, file.Path, e.Line, $"{file.Path}:{e.Line}:{e.Column}: {e.Message}", NotificationLevel.Error, e.Column);
            return;
        }
        catch (UnknownLockFileVersionException e)
        {
            output.Note(InventoryNotifications.UnknownVersion, file.Path, null, $"{file.Path}: {e.Message}", NotificationLevel.Error);
            return;
        }

        output.Packages.AddRange(own.Packages);
        output.Edges.AddRange(own.Edges);
        output.Unpinned.AddRange(own.Unpinned);
        output.Notifications.AddRange(own.Notifications);
    }

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];
}
