using System.Xml;
using System.Xml.Linq;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code;

/// <summary>A package a project references, with the version when the project file or its central props give one.</summary>
internal sealed record PackageReference(string Id, string? Version);

/// <summary>
/// What code analysis needs from an MSBuild project file, read as plain XML (nothing is evaluated or run): the SDK,
/// implicit and explicit global usings, package references and project references. Properties from the nearest
/// <c>Directory.Build.props</c> and versions from the nearest <c>Directory.Packages.props</c> apply the way MSBuild
/// applies them, for the common cases.
/// </summary>
internal sealed record ProjectFile
{
    public required string Path { get; init; }

    /// <summary>e.g. <c>Microsoft.NET.Sdk.Web</c>; null when the project names none.</summary>
    public string? Sdk { get; init; }

    public bool? ImplicitUsings { get; init; }

    public IReadOnlyList<string> Usings { get; init; } = [];

    public IReadOnlyList<string> RemovedUsings { get; init; } = [];

    public IReadOnlyList<PackageReference> Packages { get; init; } = [];

    /// <summary>Central package versions (<c>PackageVersion</c> items), by package id.</summary>
    public IReadOnlyDictionary<string, string> PackageVersions { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Referenced projects, as scan-relative paths with '/'.</summary>
    public IReadOnlyList<string> ProjectReferences { get; init; } = [];

    /// <summary>
    /// Whether this props file imports the next file of its own name further up, as MSBuild's documented chaining does
    /// (<c>&lt;Import Project="$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))" /&gt;</c>,
    /// or a relative <c>../Directory.Build.props</c>): MSBuild stops at the nearest one otherwise.
    /// </summary>
    public bool ImportsOuterPropsOfItsName { get; init; }

    /// <summary>This file's settings over <paramref name="outer"/>'s, as when this file imports it first.</summary>
    public ProjectFile Over(ProjectFile outer)
    {
        ArgumentNullException.ThrowIfNull(outer);
        return this with
        {
            ImplicitUsings = ImplicitUsings ?? outer.ImplicitUsings,
            Usings = [.. outer.Usings, .. Usings],
            RemovedUsings = [.. outer.RemovedUsings, .. RemovedUsings],
            Packages = [.. outer.Packages, .. Packages],
            PackageVersions = outer.PackageVersions.Concat(PackageVersions)
                .GroupBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase),
            ImportsOuterPropsOfItsName = outer.ImportsOuterPropsOfItsName,
        };
    }

    /// <summary>
    /// Reads a project or props file. A file that is not well-formed XML (or declares a DTD) gives a notification naming
    /// file:line:column and null: the sources still form a compilation, with the defaults.
    /// </summary>
    public static ProjectFile? Parse(string path, string text, Action<Notification> notify)
    {
        XDocument document;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 16 * 1024 * 1024 };
            using var reader = XmlReader.Create(new StringReader(text), settings);
            document = XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            notify(new Notification("code-project-unreadable", NotificationLevel.Warning,
                $"Project file ignored (analysed with default settings): {e.Message}")
            { Path = path, Region = new Region(Math.Max(1, e.LineNumber), Math.Max(1, e.LinePosition), Math.Max(1, e.LineNumber), Math.Max(1, e.LinePosition)) });
            return null;
        }

        var root = document.Root;
        if (root is null)
        {
            return null;
        }

        var directory = DirectoryOf(path);
        string? Property(string name) => root.Descendants().LastOrDefault(e => e.Name.LocalName == name && e.Parent?.Name.LocalName == "PropertyGroup")?.Value.Trim();
        IEnumerable<XElement> Items(string name) => root.Descendants().Where(e => e.Name.LocalName == name && e.Parent?.Name.LocalName == "ItemGroup");
        string? Attribute(XElement e, string name) => e.Attributes().FirstOrDefault(a => a.Name.LocalName == name)?.Value.Trim();

        var implicitUsings = Property("ImplicitUsings");
        return new ProjectFile
        {
            Path = path,
            Sdk = Attribute(root, "Sdk")?.Split('/')[0]
                ?? (root.Elements().FirstOrDefault(e => e.Name.LocalName == "Sdk") is { } sdk ? Attribute(sdk, "Name") : null),
            ImplicitUsings = implicitUsings is null ? null : implicitUsings.Equals("enable", StringComparison.OrdinalIgnoreCase) || implicitUsings.Equals("true", StringComparison.OrdinalIgnoreCase),
            Usings = [.. Items("Using").Select(e => Attribute(e, "Include")).OfType<string>().Where(u => u.Length > 0)],
            RemovedUsings = [.. Items("Using").Select(e => Attribute(e, "Remove")).OfType<string>().Where(u => u.Length > 0)],
            Packages = [.. Items("PackageReference")
                .Select(e => (Id: Attribute(e, "Include") ?? Attribute(e, "Update"), Version: Attribute(e, "Version") ?? Attribute(e, "VersionOverride") ?? e.Elements().FirstOrDefault(c => c.Name.LocalName == "Version")?.Value.Trim()))
                .Where(p => !string.IsNullOrEmpty(p.Id) && !p.Id.Contains('$', StringComparison.Ordinal))
                .Select(p => new PackageReference(p.Id!, p.Version is { Length: > 0 } v && !v.Contains('$', StringComparison.Ordinal) ? v : null))],
            PackageVersions = Items("PackageVersion")
                .Select(e => (Id: Attribute(e, "Include"), Version: Attribute(e, "Version")))
                .Where(p => !string.IsNullOrEmpty(p.Id) && !string.IsNullOrEmpty(p.Version))
                .GroupBy(p => p.Id!, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last().Version!, StringComparer.OrdinalIgnoreCase),
            ImportsOuterPropsOfItsName = root.Elements().Where(e => e.Name.LocalName == "Import").Select(e => Attribute(e, "Project")).OfType<string>()
                .Any(project => ImportsAbove(project, System.IO.Path.GetFileName(path))),
            ProjectReferences = [.. Items("ProjectReference")
                .Select(e => Attribute(e, "Include"))
                .OfType<string>()
                .Where(p => p.Length > 0 && !p.Contains('$', StringComparison.Ordinal))
                .Select(p => Normalize(directory, p.Replace('\\', '/')))
                .OfType<string>()],
        };
    }

    /// <summary>Whether an <c>Import</c>'s <c>Project</c> is the next <paramref name="fileName"/> further up.</summary>
    private static bool ImportsAbove(string project, string fileName)
    {
        var normalized = project.Replace('\\', '/').Trim();
        if (normalized.Contains("GetPathOfFileAbove(", StringComparison.OrdinalIgnoreCase))
        {
            return normalized.Contains(fileName, StringComparison.OrdinalIgnoreCase);
        }

        const string ThisDirectory = "$(MSBuildThisFileDirectory)";
        var relative = normalized.StartsWith(ThisDirectory, StringComparison.OrdinalIgnoreCase) ? normalized[ThisDirectory.Length..].TrimStart('/') : normalized;
        return relative.StartsWith("../", StringComparison.Ordinal)
            && relative.EndsWith("/" + fileName, StringComparison.OrdinalIgnoreCase)
            && !relative.Contains('$', StringComparison.Ordinal);
    }

    /// <summary>Joins a relative path to a directory of the scan and removes <c>.</c>/<c>..</c>; null if it leaves the scan root.</summary>
    internal static string? Normalize(string directory, string relative)
    {
        var parts = new List<string>(directory.Length == 0 ? [] : directory.Split('/'));
        foreach (var part in relative.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }

    /// <summary>The directory and each directory above it, up to the scan root (<c>""</c>), nearest first.</summary>
    internal static IEnumerable<string> DirectoryAndAncestors(string directory)
    {
        for (var dir = directory; ; dir = DirectoryOf(dir))
        {
            yield return dir;
            if (dir.Length == 0)
            {
                yield break;
            }
        }
    }

    internal static string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }
}
