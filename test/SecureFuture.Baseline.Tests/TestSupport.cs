using Microsoft.Extensions.Time.Testing;
using SecureFuture.Baseline.Input;

namespace SecureFuture.Baseline.Tests;

internal static class TestSupport
{
    /// <summary>The golden files are written for this date (credential ages, expiries, sign-in activity).</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static string TestData => Path.Combine(AppContext.BaseDirectory, "TestData");

    public static FakeTimeProvider Clock() => new(Now);

    /// <summary>The repository's samples/tenant, found from the test binaries upwards.</summary>
    public static string SampleDir
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "samples", "tenant");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("samples/tenant");
        }
    }

    public static TenantSnapshot Snapshot(params string[] files)
    {
        var resources = new List<TenantResource>();
        var inputs = new List<InputFile>();
        foreach (var file in files)
        {
            var (r, f) = SnapshotReader.ReadFile(file, Path.GetFileName(file));
            resources.AddRange(r);
            inputs.Add(f);
        }

        return new TenantSnapshot { Resources = resources, Files = inputs };
    }

    public static TenantSnapshot FromJson(string json, string name = "input.json")
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var (r, f) = SnapshotReader.Read(stream, name);
        return new TenantSnapshot { Resources = r, Files = [f] };
    }

    public static Assessment Assess(TenantSnapshot snapshot, BaselineConfiguration? configuration = null, IReadOnlyList<ExceptionEntry>? exceptions = null, params string[] controls) =>
        new BaselineAssessor(configuration, exceptions, Clock()).Assess(snapshot, controls.Length == 0 ? null : controls.ToHashSet(StringComparer.Ordinal));
}

/// <summary>A temporary directory, deleted with its contents.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sfi-baseline-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
