using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Dependencies.Inventory.PyPI;

/// <summary>PEP 503 name normalisation and the names a <c>pyproject.toml</c> or <c>Pipfile</c> declares.</summary>
internal static partial class PythonNames
{
    /// <summary>PEP 503: lower case, runs of <c>-_.</c> as one '-'.</summary>
    public static string Normalize(string name) => Separators().Replace(name.Trim().ToLowerInvariant(), "-");

    /// <summary>The distribution name at the start of a PEP 508 requirement (<c>requests[socks]>=2; python_version&lt;"3.8"</c>).</summary>
    public static string? RequirementName(string requirement)
    {
        var match = LeadingName().Match(requirement);
        return match.Success ? match.Value : null;
    }

    /// <summary>
    /// The direct dependencies (normalised names) a <c>pyproject.toml</c> declares: PEP 621 <c>[project]</c>
    /// dependencies and optional dependencies, PEP 735 <c>[dependency-groups]</c>, and Poetry's
    /// <c>[tool.poetry.*dependencies]</c>; null when the file is absent or not TOML.
    /// </summary>
    public static HashSet<string>? FromPyproject(string? text)
    {
        if (text is null || TryParse(text) is not { } toml)
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var project = toml.Table("project");
        AddRequirements(names, project?.List<string>("dependencies") ?? []);
        foreach (var extra in project?.Table("optional-dependencies")?.Values.Values ?? Enumerable.Empty<object>())
        {
            AddRequirements(names, extra is List<object> list ? list.OfType<string>() : []);
        }

        foreach (var group in toml.Table("dependency-groups")?.Values.Values ?? Enumerable.Empty<object>())
        {
            AddRequirements(names, group is List<object> list ? list.OfType<string>() : []);
        }

        var poetry = toml.Table("tool")?.Table("poetry");
        AddKeys(names, poetry?.Table("dependencies"));
        AddKeys(names, poetry?.Table("dev-dependencies"));
        foreach (var group in poetry?.Table("group")?.Values.Values.OfType<TomlTable>() ?? [])
        {
            AddKeys(names, group.Table("dependencies"));
        }

        names.Remove("python");
        return names;
    }

    /// <summary>The <c>[packages]</c> and <c>[dev-packages]</c> of a Pipfile (normalised names), or null.</summary>
    public static HashSet<string>? FromPipfile(string? text)
    {
        if (text is null || TryParse(text) is not { } toml)
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        AddKeys(names, toml.Table("packages"));
        AddKeys(names, toml.Table("dev-packages"));
        return names;
    }

    private static TomlTable? TryParse(string text)
    {
        try
        {
            return Toml.Parse(text);
        }
        catch (ManifestFormatException)
        {
            return null; // the lock file is what is inventoried; a broken manifest only loses the direct/transitive split
        }
    }

    private static void AddRequirements(HashSet<string> names, IEnumerable<string> requirements)
    {
        foreach (var requirement in requirements)
        {
            if (RequirementName(requirement) is { } name)
            {
                names.Add(Normalize(name));
            }
        }
    }

    private static void AddKeys(HashSet<string> names, TomlTable? table)
    {
        foreach (var key in table?.Values.Keys ?? Enumerable.Empty<string>())
        {
            names.Add(Normalize(key));
        }
    }

    [GeneratedRegex("[-_.]+")]
    private static partial Regex Separators();

    [GeneratedRegex(@"^\s*[A-Za-z0-9][A-Za-z0-9._-]*")]
    private static partial Regex LeadingName();
}
