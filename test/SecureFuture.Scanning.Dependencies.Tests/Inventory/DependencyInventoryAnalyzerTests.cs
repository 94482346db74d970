using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Inventory;

namespace SecureFuture.Scanning.Dependencies.Tests.Inventory;

public sealed class DependencyInventoryAnalyzerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-deps-scan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Scan_counts_the_packages_of_the_walked_lock_files_and_reports_a_malformed_one_as_a_notification()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(InventoryTestData.Root, "npm-v1")))
        {
            File.Copy(file, Path.Combine(_root, Path.GetFileName(file)));
        }

        Directory.CreateDirectory(Path.Combine(_root, "svc"));
        File.WriteAllText(Path.Combine(_root, "svc", "Cargo.lock"), "version = 3\n[[package]\n");
        var analyzer = new DependencyInventoryAnalyzer();

        var run = new RepositoryScanner([], [analyzer], TimeProvider.System).Scan(new ScanRequest { Path = _root });

        Assert.Equal(5, run.Statistics["dependencyPackages"]);
        Assert.Equal(1, run.Statistics["dependencyDirectPackages"]);
        Assert.Equal(2, run.Statistics["dependencyManifests"]);
        Assert.Empty(run.Findings);
        var malformed = Assert.Single(run.Notifications, n => n.Id == InventoryNotifications.Malformed);
        Assert.Equal("svc/Cargo.lock", malformed.Path);
        Assert.StartsWith("svc/Cargo.lock:2:", malformed.Message, StringComparison.Ordinal);
        Assert.Equal(NotificationLevel.Error, malformed.Level);
    }
}
