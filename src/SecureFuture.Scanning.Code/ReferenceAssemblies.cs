using Microsoft.CodeAnalysis;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// The reference assemblies compilations bind against, found without a build or a restore: the .NET and ASP.NET Core
/// reference packs of the installed SDK (newest version of each). Loaded once per process.
/// </summary>
internal static class ReferenceAssemblies
{
    private static readonly Lazy<IReadOnlyList<MetadataReference>> Framework = new(LoadFramework);

    /// <summary>The framework references; empty (and <see cref="Missing"/> says why) when no reference pack was found.</summary>
    public static IReadOnlyList<MetadataReference> FrameworkReferences => Framework.Value;

    /// <summary>File names of the framework reference assemblies; a package assembly of the same name is not added.</summary>
    public static ISet<string> FileNames => FileNamesOnce.Value;

    private static readonly Lazy<ISet<string>> FileNamesOnce = new(() =>
        new HashSet<string>(FrameworkReferences.OfType<PortableExecutableReference>().Select(r => Path.GetFileName(r.FilePath!)), StringComparer.OrdinalIgnoreCase));

    /// <summary>Why references are missing, for the run's notifications; null when every pack was found.</summary>
    public static string? Missing { get; private set; }

    private static List<MetadataReference> LoadFramework()
    {
        var references = new List<MetadataReference>();
        var missing = new List<string>();
        foreach (var pack in (string[])["Microsoft.NETCore.App.Ref", "Microsoft.AspNetCore.App.Ref"])
        {
            var dir = FindPack(pack);
            if (dir is null)
            {
                missing.Add(pack);
                continue;
            }

            references.AddRange(Directory.EnumerateFiles(dir, "*.dll").Order(StringComparer.Ordinal).Select(f => MetadataReference.CreateFromFile(f)));
        }

        Missing = missing.Count == 0 ? null : $"reference pack(s) not found: {string.Join(", ", missing)} (looked under {string.Join(", ", DotnetRoots())})";
        return references;
    }

    /// <summary>The <c>ref/netX.Y</c> directory of the newest installed version of a pack.</summary>
    private static string? FindPack(string pack)
    {
        foreach (var root in DotnetRoots())
        {
            var packDir = Path.Combine(root, "packs", pack);
            if (!Directory.Exists(packDir))
            {
                continue;
            }

            var newest = NewestVersionDirectory(packDir);
            var refDir = newest is null ? null : Directory.EnumerateDirectories(Path.Combine(newest, "ref")).Order(StringComparer.Ordinal).LastOrDefault();
            if (refDir is not null)
            {
                return refDir;
            }
        }

        return null;
    }

    /// <summary>
    /// The subdirectory named by the highest version (<c>10.0.12</c>, <c>8.23.0-preview.1</c>: compared on the numeric
    /// part), as SDK packs and the NuGet cache lay them out; null when none is named by a version.
    /// </summary>
    internal static string? NewestVersionDirectory(string directory) =>
        Directory.EnumerateDirectories(directory)
            .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Split('-', '+')[0], out var v) ? v : null))
            .Where(x => x.Version is not null)
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir)
            .FirstOrDefault();

    private static IEnumerable<string> DotnetRoots()
    {
        var fromEnv = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            yield return fromEnv;
        }

        // The running runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/ (RuntimeEnvironment rather than
        // typeof(object).Assembly.Location, which is empty in a single-file build; there the root found is the app's own
        // directory, holding no reference packs, and the fixed roots below are tried).
        var runtimeDir = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        if (runtimeDir.Length > 0)
        {
            var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
            yield return root;
        }

        yield return "/usr/share/dotnet";
        yield return "/usr/lib/dotnet";
    }
}
