using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// The versions of the NuGet packages a project uses, as far as its files tell, best first: what NuGet resolved
/// (<c>packages.lock.json</c> beside the project, <c>obj/project.assets.json</c> after a restore), then what the project
/// and its props files ask for (<c>PackageReference</c>, <c>Directory.Packages.props</c>), then the same for the
/// projects it references (NuGet passes their packages on). Nothing is restored: a package no file gives a version of
/// has none. Some rules depend on it: EF Core 2.0's <c>FromSql</c> runs an interpolated string as raw SQL, 2.1's
/// makes parameters of its holes.
/// </summary>
internal sealed class PackageVersions
{
    public const string LockFileName = "packages.lock.json";
    public const string AssetsFileName = "project.assets.json";

    public static readonly PackageVersions None = new(new Dictionary<string, Version>(StringComparer.OrdinalIgnoreCase));

    private readonly Dictionary<string, Version> _versions;

    private PackageVersions(Dictionary<string, Version> versions) => _versions = versions;

    /// <summary>The version of a package (by id, case-insensitive), or null when no file says.</summary>
    public Version? Of(string id) => _versions.GetValueOrDefault(id);

    /// <summary>These versions, then those of <paramref name="others"/> for packages these do not know.</summary>
    public PackageVersions Then(IEnumerable<PackageVersions> others)
    {
        var merged = new Dictionary<string, Version>(_versions, StringComparer.OrdinalIgnoreCase);
        foreach (var other in others)
        {
            foreach (var (id, version) in other._versions)
            {
                merged.TryAdd(id, version);
            }
        }

        return merged.Count == _versions.Count ? this : new PackageVersions(merged);
    }

    /// <summary>
    /// A project's versions: resolved ones from its lock or assets file (either may be null) over the declared ones.
    /// A lock or assets file that is not valid JSON is a notification naming it, and is left out.
    /// </summary>
    public static PackageVersions From(IEnumerable<PackageReference> declared, (string Path, string Text)? lockFile, (string Path, string Text)? assetsFile, Action<Notification> notify)
    {
        var versions = new Dictionary<string, Version>(StringComparer.OrdinalIgnoreCase);
        foreach (var (file, read) in new[] { (lockFile, (Func<JsonElement, IEnumerable<(string, string?)>>)LockFileVersions), (assetsFile, AssetsFileVersions) })
        {
            if (file is not { } f)
            {
                continue;
            }

            foreach (var (id, text) in Read(f.Path, f.Text, read, notify))
            {
                if (Parse(text) is { } version)
                {
                    versions.TryAdd(id, version);
                }
            }
        }

        foreach (var package in declared)
        {
            if (Parse(package.Version) is { } version)
            {
                versions.TryAdd(package.Id, version);
            }
        }

        return versions.Count == 0 ? None : new PackageVersions(versions);
    }

    /// <summary>
    /// The lowest version a NuGet version or range admits: <c>2.0.2</c>, <c>[2.0.0, )</c>, <c>2.0.*</c>,
    /// <c>2.1.0-preview1-final</c> (as 2.1.0); null for what names no lower bound (<c>(, 3.0)</c>, <c>*</c>, a property).
    /// </summary>
    internal static Version? Parse(string? text)
    {
        var lower = text?.Trim().TrimStart('[', '(').Split(',')[0].Trim().TrimEnd(']', ')').Split('-', '+')[0];
        if (string.IsNullOrEmpty(lower) || lower[0] == '*')
        {
            lower = null;
        }
        else
        {
            lower = lower.Replace(".*", ".0", StringComparison.Ordinal);
            lower = lower.Contains('.', StringComparison.Ordinal) ? lower : lower + ".0";
        }

        return lower is not null && Version.TryParse(lower, out var version) ? version : null;
    }

    private static IEnumerable<(string Id, string? Version)> Read(string path, string text, Func<JsonElement, IEnumerable<(string, string?)>> read, Action<Notification> notify)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return document.RootElement.ValueKind == JsonValueKind.Object ? [.. read(document.RootElement)] : [];
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var column = (int)(e.BytePositionInLine ?? 0) + 1;
            notify(new Notification("code-project-unreadable", NotificationLevel.Warning, $"Package versions not read from this file: {e.Message}")
            { Path = path, Region = new Region(line, column, line, column) });
            return [];
        }
    }

    /// <summary><c>packages.lock.json</c>: <c>{"dependencies": {"net8.0": {"Id": {"resolved": "8.0.1", ...}}}}</c>.</summary>
    private static IEnumerable<(string, string?)> LockFileVersions(JsonElement root)
    {
        if (!root.TryGetProperty("dependencies", out var frameworks) || frameworks.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var framework in frameworks.EnumerateObject().Where(f => f.Value.ValueKind == JsonValueKind.Object))
        {
            foreach (var package in framework.Value.EnumerateObject())
            {
                if (package.Value.ValueKind == JsonValueKind.Object && package.Value.TryGetProperty("resolved", out var resolved) && resolved.ValueKind == JsonValueKind.String)
                {
                    yield return (package.Name, resolved.GetString());
                }
            }
        }
    }

    /// <summary><c>obj/project.assets.json</c>: <c>{"libraries": {"Id/8.0.1": {"type": "package", ...}}}</c>.</summary>
    private static IEnumerable<(string, string?)> AssetsFileVersions(JsonElement root)
    {
        if (!root.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var library in libraries.EnumerateObject())
        {
            var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
            var isPackage = library.Value.ValueKind == JsonValueKind.Object && library.Value.TryGetProperty("type", out var type)
                && type.ValueKind == JsonValueKind.String && type.ValueEquals("package");
            if (slash > 0 && isPackage)
            {
                yield return (library.Name[..slash], library.Name[(slash + 1)..]);
            }
        }
    }
}
