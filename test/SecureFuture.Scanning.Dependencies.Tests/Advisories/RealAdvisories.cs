using Microsoft.Extensions.Time.Testing;
using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Scanning.Dependencies.Tests.Advisories;

/// <summary>The committed GHSA and PyPA records, imported once through <see cref="AdvisoryImporter"/> into a temporary data directory.</summary>
public sealed class RealAdvisories : IDisposable
{
    public static readonly DateTimeOffset ImportedAt = new(2024, 10, 12, 8, 0, 0, TimeSpan.Zero);

    public RealAdvisories()
    {
        DataDirectory = Directory.CreateTempSubdirectory("sfi-advisories-").FullName;
        Import = AdvisoryImporter.ImportAsync([TestData.Ghsa, TestData.Pypa], DataDirectory, new FakeTimeProvider(ImportedAt)).GetAwaiter().GetResult();
        Database = AdvisoryDatabase.Open(DataDirectory);
    }

    public string DataDirectory { get; }

    public ImportResult Import { get; }

    public AdvisoryDatabase Database { get; }

    public void Dispose() => Directory.Delete(DataDirectory, recursive: true);
}
