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
