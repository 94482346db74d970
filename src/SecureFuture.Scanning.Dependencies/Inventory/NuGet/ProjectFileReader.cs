using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SecureFuture.Scanning.Dependencies.Inventory.NuGet;

/// <summary>
/// <c>PackageReference</c> items of an SDK-style project (.csproj, .fsproj, .vbproj), with central package management:
/// a reference without a version takes the <c>PackageVersion</c> of the nearest <c>Directory.Packages.props</c>
/// (<c>VersionOverride</c> wins). Only direct dependencies are known here; a <c>packages.lock.json</c> or
/// <c>obj/project.assets.json</c> beside the project is read instead when present. A version range or floating version
/// (<c>[1.0,2.0)</c>, <c>1.*</c>) and an MSBuild property that is not defined in the project or the props file are
/// reported as unpinned. A bare version (<c>1.2.3</c>) is NuGet's minimum, which restore resolves to exactly that
/// version when it exists, so it is taken as the version.
/// </summary>
internal sealed partial class ProjectFileReader : IManifestReader
{
    public string Ecosystem => Ecosystems.NuGet;

    public bool Reads(string fileName, string path) =>
        fileName.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase);

    public bool SupersededBy(ManifestFile file) =>
        file.Sibling("packages.lock.json") is not null || file.Sibling("obj/project.assets.json") is not null;

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var project = SafeXml.Load(file.Text);
        var properties = Properties(project);
        Dictionary<string, string> central = new(StringComparer.OrdinalIgnoreCase);
        if (file.Nearest("Directory.Packages.props") is { } props)
        {
            XDocument propsDocument;
            try
            {
                propsDocument = SafeXml.Load(props.Text);
            }
            catch (ManifestFormatException e)
            {
                throw new ManifestFormatException(e.Line, e.Column, $"{props.Path}:{e.Line}:{e.Column}: {e.Message}", e);
            }

            foreach (var (key, value) in Properties(propsDocument))
            {
                properties.TryAdd(key, value);
            }

            foreach (var version in propsDocument.DescendantsNamed("PackageVersion"))
            {
                if (version.Attribute("Include")?.Value is { } id && version.AttributeOrChild("Version") is { } v)
                {
                    central[id] = v;
                }
            }
        }

        var graph = new PackageGraph(Ecosystem, file);
        foreach (var reference in project.DescendantsNamed("PackageReference"))
        {
            if (reference.Attribute("Include")?.Value is not { Length: > 0 } id)
            {
                continue; // an Update= or Remove= item changes another reference; it declares none
            }

            var line = SafeXml.LineOf(reference);
            var declared = reference.AttributeOrChild("VersionOverride") ?? reference.AttributeOrChild("Version") ?? central.GetValueOrDefault(id);
            if (declared is null)
            {
                output.NotPinned(Ecosystem, id, "(no version)", file, line, "has no version here nor in a Directory.Packages.props");
                continue;
            }

            var version = Expand(declared, properties);
            if (version is null || !IsPinned(version))
            {
                output.NotPinned(Ecosystem, id, declared, file, line, version is null ? "uses an MSBuild property sfi cannot resolve" : "is a version range or floating version");
                continue;
            }

            graph.Add(id, version.Trim('[', ']', ' '), line).Direct = true;
        }

        graph.Emit(output);
    }

    /// <summary>A single version: <c>1.2.3</c> (NuGet's minimum, resolved to itself) or <c>[1.2.3]</c> (exact).</summary>
    private static bool IsPinned(string version) =>
        ExactVersion().IsMatch(version.Trim());

    private static string? Expand(string value, Dictionary<string, string> properties)
    {
        var unresolved = false;
        var expanded = PropertyReference().Replace(value, m =>
        {
            if (properties.TryGetValue(m.Groups[1].Value, out var v) && !PropertyReference().IsMatch(v))
            {
                return v;
            }

            unresolved = true;
            return m.Value;
        });
        return unresolved ? null : expanded;
    }

    private static Dictionary<string, string> Properties(XDocument document)
    {
        var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in document.Root?.Children("PropertyGroup") ?? [])
        {
            foreach (var property in group.Elements())
            {
                properties[property.Name.LocalName] = property.Value.Trim();
            }
        }

        return properties;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")]
    private static partial Regex PropertyReference();

    [GeneratedRegex(@"^(\[\s*[0-9][0-9A-Za-z.+-]*\s*\]|[0-9][0-9A-Za-z.+-]*)$")]
    private static partial Regex ExactVersion();
}
