using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SecureFuture.Scanning.Dependencies.Inventory.Maven;

/// <summary>
/// <c>pom.xml</c>: the project's <c>&lt;dependencies&gt;</c> (direct; Maven resolves the transitive ones at build time,
/// which a pom does not record), each version written out, taken from <c>&lt;dependencyManagement&gt;</c>, or built from
/// <c>${properties}</c> of the pom (<c>&lt;properties&gt;</c>, <c>project.version</c>, <c>project.parent.version</c>).
/// A version range (<c>[1.0,2.0)</c>), a property defined elsewhere (a parent or BOM) or no version at all is reported
/// as unpinned rather than guessed.
/// </summary>
internal sealed partial class PomReader : IManifestReader
{
    public string Ecosystem => Ecosystems.Maven;

    public bool Reads(string fileName, string path) => fileName == "pom.xml";

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var project = SafeXml.Load(file.Text).Root ?? throw new ManifestFormatException(1, 1, "empty pom");
        if (project.Name.LocalName != "project")
        {
            throw new ManifestFormatException(SafeXml.LineOf(project), 1, $"the root element is <{project.Name.LocalName}>, not <project>");
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in project.Children("properties").Elements())
        {
            properties[property.Name.LocalName] = property.Value.Trim();
        }

        var parent = project.Children("parent").FirstOrDefault();
        AddIfPresent(properties, "project.parent.version", parent?.Children("version").FirstOrDefault()?.Value);
        AddIfPresent(properties, "project.parent.groupId", parent?.Children("groupId").FirstOrDefault()?.Value);
        AddIfPresent(properties, "project.version", project.Children("version").FirstOrDefault()?.Value ?? parent?.Children("version").FirstOrDefault()?.Value);
        AddIfPresent(properties, "project.groupId", project.Children("groupId").FirstOrDefault()?.Value ?? parent?.Children("groupId").FirstOrDefault()?.Value);
        AddIfPresent(properties, "version", properties.GetValueOrDefault("project.version"));
        AddIfPresent(properties, "pom.version", properties.GetValueOrDefault("project.version"));

        var managed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dependency in project.Children("dependencyManagement").SelectMany(m => m.Children("dependencies")).SelectMany(d => d.Children("dependency")))
        {
            if (Coordinates(dependency, properties) is { } key && dependency.Children("version").FirstOrDefault()?.Value is { } version)
            {
                managed.TryAdd(key, version.Trim());
            }
        }

        var graph = new PackageGraph(Ecosystem, file);
        foreach (var dependency in project.Children("dependencies").SelectMany(d => d.Children("dependency")))
        {
            var line = SafeXml.LineOf(dependency);
            if (Coordinates(dependency, properties) is not { } name)
            {
                throw new ManifestFormatException(line, 1, "a <dependency> needs a groupId and an artifactId");
            }

            var declared = dependency.Children("version").FirstOrDefault()?.Value.Trim() ?? managed.GetValueOrDefault(name);
            if (declared is null)
            {
                output.NotPinned(Ecosystem, name, "(no version)", file, line, "has no version in this pom (a parent or BOM manages it)");
                continue;
            }

            var version = Expand(declared, properties);
            if (version is null)
            {
                output.NotPinned(Ecosystem, name, declared, file, line, "uses a property this pom does not define");
                continue;
            }

            if (version.Length == 0 || version[0] is '[' or '(' || version.Contains(',', StringComparison.Ordinal))
            {
                output.NotPinned(Ecosystem, name, version, file, line, "is a version range");
                continue;
            }

            graph.Add(name, version, line).Direct = true;
        }

        graph.Emit(output);
    }

    private static string? Coordinates(XElement dependency, Dictionary<string, string> properties)
    {
        var group = dependency.Children("groupId").FirstOrDefault()?.Value.Trim();
        var artifact = dependency.Children("artifactId").FirstOrDefault()?.Value.Trim();
        return string.IsNullOrEmpty(group) || string.IsNullOrEmpty(artifact) ? null : $"{Expand(group, properties) ?? group}:{Expand(artifact, properties) ?? artifact}";
    }

    private static void AddIfPresent(Dictionary<string, string> properties, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            properties.TryAdd(key, value.Trim());
        }
    }

    /// <summary>Expands <c>${name}</c> (properties may refer to properties, to a depth of 10); null when one is undefined.</summary>
    private static string? Expand(string value, Dictionary<string, string> properties)
    {
        for (var depth = 0; depth < 10 && value.Contains("${", StringComparison.Ordinal); depth++)
        {
            var unresolved = false;
            value = PropertyReference().Replace(value, m =>
            {
                if (properties.TryGetValue(m.Groups[1].Value, out var v))
                {
                    return v;
                }

                unresolved = true;
                return m.Value;
            });
            if (unresolved)
            {
                return null;
            }
        }

        return value.Contains("${", StringComparison.Ordinal) ? null : value;
    }

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex PropertyReference();
}
