using System.Text;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>How each ecosystem compares package names: the one rule shared by the index and the matcher.</summary>
public static class PackageNames
{
    /// <summary>
    /// PyPI: PEP 503 normalisation (case-insensitive; runs of <c>-</c>, <c>_</c>, <c>.</c> are one <c>-</c>), so
    /// <c>Django</c>, <c>django</c> and <c>zope.interface</c>/<c>zope-interface</c> meet. NuGet ids are
    /// case-insensitive. npm, Maven, Go and crates.io names are compared as written.
    /// </summary>
    public static string Normalize(string ecosystem, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ecosystem switch
        {
            Ecosystems.PyPI => Pep503(name),
            Ecosystems.NuGet => name.ToLowerInvariant(),
            _ => name,
        };
    }

    /// <summary>
    /// Whether an advisory that names <paramref name="advisoryName"/> concerns the package <paramref name="packageName"/>:
    /// the same name after normalisation, or, for Go, a package inside the module (GitHub's records name packages such
    /// as <c>golang.org/x/text/language</c>, go.mod lists the module <c>golang.org/x/text</c>). A path whose next
    /// element is a major version (<c>/v2</c>) is another module, not a package of this one.
    /// </summary>
    public static bool Covers(string ecosystem, string packageName, string advisoryName)
    {
        ArgumentNullException.ThrowIfNull(packageName);
        ArgumentNullException.ThrowIfNull(advisoryName);
        if (ecosystem != Ecosystems.Go)
        {
            return Normalize(ecosystem, packageName) == Normalize(ecosystem, advisoryName);
        }

        return advisoryName == packageName || (advisoryName.Length > packageName.Length + 1 && advisoryName.StartsWith(packageName, StringComparison.Ordinal)
            && advisoryName[packageName.Length] == '/' && !IsMajorVersionElement(advisoryName.AsSpan(packageName.Length + 1)));
    }

    private static bool IsMajorVersionElement(ReadOnlySpan<char> rest)
    {
        var element = rest.IndexOf('/') is var slash && slash >= 0 ? rest[..slash] : rest;
        return element.Length >= 2 && element[0] == 'v' && element[1..].IndexOfAnyExceptInRange('0', '9') < 0;
    }

    /// <summary>The index key of a package: its ecosystem and normalised name.</summary>
    public static string Key(string ecosystem, string name) => string.Concat(ecosystem, "\n", Normalize(ecosystem, name));

    private static string Pep503(string name)
    {
        var s = new StringBuilder(name.Length);
        var separator = false;
        foreach (var c in name.Trim())
        {
            if (c is '-' or '_' or '.')
            {
                separator = true;
                continue;
            }

            if (separator && s.Length > 0)
            {
                s.Append('-');
            }

            separator = false;
            s.Append(char.ToLowerInvariant(c));
        }

        return s.ToString();
    }
}
