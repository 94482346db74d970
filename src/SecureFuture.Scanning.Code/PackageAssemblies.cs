using System.Collections.Concurrent;
using System.Xml;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// Reference assemblies of NuGet packages, taken from the local package cache when it holds them (nothing is
/// downloaded or restored): the package's <c>ref/</c> or <c>lib/</c> folder for the best target framework, and its
/// dependencies from the <c>.nuspec</c>, transitively. Assemblies the framework packs already provide are skipped, so
/// that a package never shadows the framework.
/// </summary>
internal static class PackageAssemblies
{
    /// <summary>At most this many packages per project, dependencies included.</summary>
    internal const int MaxPackages = 400;

    private static readonly string[] FrameworkPreference =
    [
        "net10.0", "net9.0", "net8.0", "net7.0", "net6.0", "net5.0", "netcoreapp3.1", "netcoreapp3.0",
        "netstandard2.1", "netstandard2.0", "netstandard1.6", "netstandard1.3", "netstandard1.1", "netstandard1.0",
    ];

    private static readonly ConcurrentDictionary<string, MetadataReference> ByPath = new(StringComparer.Ordinal);

    /// <summary>The package cache: <c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>.</summary>
    public static string? CacheRoot { get; } = FindCacheRoot();

    /// <summary>
    /// Resolves packages and their dependencies. Packages the project names that are not in the cache are added to
    /// <paramref name="missing"/>; a dependency that is not there is not (a restore may well not need it for this
    /// framework), nor is a package whose assembly the framework already provides (<c>System.Memory</c>).
    /// </summary>
    public static IReadOnlyList<MetadataReference> Resolve(IEnumerable<PackageReference> packages, ISet<string> frameworkAssemblyNames, ICollection<string> missing)
    {
        var references = new List<MetadataReference>();
        if (CacheRoot is null)
        {
            foreach (var p in packages)
            {
                missing.Add(p.Id);
            }

            return references;
        }

        var direct = new HashSet<string>(packages.Select(p => p.Id), StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<PackageReference>(packages);
        while (queue.Count > 0 && seen.Count < MaxPackages)
        {
            var package = queue.Dequeue();
            if (!seen.Add(package.Id) || frameworkAssemblyNames.Contains(package.Id + ".dll"))
            {
                continue;
            }

            var versionDir = FindVersion(package);
            if (versionDir is null)
            {
                if (direct.Contains(package.Id))
                {
                    missing.Add(package.Id);
                }

                continue;
            }

            foreach (var dll in AssetsOf(versionDir))
            {
                var name = Path.GetFileName(dll);
                if (!frameworkAssemblyNames.Contains(name) && files.Add(name))
                {
                    references.Add(ByPath.GetOrAdd(dll, p => MetadataReference.CreateFromFile(p)));
                }
            }

            foreach (var dependency in DependenciesOf(versionDir, package.Id))
            {
                queue.Enqueue(dependency);
            }
        }

        return references;
    }

    private static string? FindVersion(PackageReference package)
    {
        var packageDir = Path.Combine(CacheRoot!, package.Id.ToLowerInvariant());
        if (!IsSafeId(package.Id) || !Directory.Exists(packageDir))
        {
            return null;
        }

        // An exact or bracketed version ("[1.2.3]", "1.2.3") when present in the cache, else the newest there.
        var wanted = package.Version?.Trim('[', ']', '(', ')', ' ').Split(',')[0].ToLowerInvariant();
        if (!string.IsNullOrEmpty(wanted) && IsSafeId(wanted) && Directory.Exists(Path.Combine(packageDir, wanted)))
        {
            return Path.Combine(packageDir, wanted);
        }

        return ReferenceAssemblies.NewestVersionDirectory(packageDir);
    }

    /// <summary>Package ids and versions name directories: nothing that could climb out of the cache.</summary>
    private static bool IsSafeId(string s) => s.Length > 0 && !s.Contains("..", StringComparison.Ordinal) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+');

    private static List<string> AssetsOf(string versionDir)
    {
        foreach (var kind in (string[])["ref", "lib"])
        {
            var dir = Path.Combine(versionDir, kind);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            var tfm = FrameworkPreference.FirstOrDefault(f => Directory.Exists(Path.Combine(dir, f)));
            if (tfm is not null)
            {
                return Directory.EnumerateFiles(Path.Combine(dir, tfm), "*.dll").Order(StringComparer.Ordinal).ToList();
            }
        }

        return [];
    }

    private static IEnumerable<PackageReference> DependenciesOf(string versionDir, string id)
    {
        var nuspec = Path.Combine(versionDir, id.ToLowerInvariant() + ".nuspec");
        if (!File.Exists(nuspec))
        {
            return [];
        }

        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(nuspec, settings);
            var dependencies = XDocument.Load(reader).Descendants().FirstOrDefault(e => e.Name.LocalName == "dependencies");
            if (dependencies is null)
            {
                return [];
            }

            var groups = dependencies.Elements().Where(e => e.Name.LocalName == "group").ToList();
            var chosen = groups.Count == 0
                ? dependencies
                : FrameworkPreference
                    .Select(f => groups.FirstOrDefault(g => NormalizeTfm(g.Attribute("targetFramework")?.Value) == f))
                    .FirstOrDefault(g => g is not null);
            return chosen is null
                ? []
                : [.. chosen.Elements().Where(e => e.Name.LocalName == "dependency")
                    .Select(e => (Id: e.Attribute("id")?.Value, Version: e.Attribute("version")?.Value))
                    .Where(d => !string.IsNullOrEmpty(d.Id))
                    .Select(d => new PackageReference(d.Id!, d.Version))];
        }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>".NETStandard2.0" → "netstandard2.0", "net8.0" → "net8.0", ".NETCoreApp3.1" → "netcoreapp3.1".</summary>
    private static string? NormalizeTfm(string? tfm) => tfm?.ToLowerInvariant() switch
    {
        null => null,
        var t when t.StartsWith(".netstandard", StringComparison.Ordinal) => "netstandard" + t[".netstandard".Length..],
        var t when t.StartsWith(".netcoreapp", StringComparison.Ordinal) => "netcoreapp" + t[".netcoreapp".Length..],
        var t when t.StartsWith("net", StringComparison.Ordinal) && t.Contains('.', StringComparison.Ordinal) => t.Split('-')[0],
        _ => null,
    };

    private static string? FindCacheRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv))
        {
            return fromEnv;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var dir = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages");
        return dir is not null && Directory.Exists(dir) ? dir : null;
    }
}
