using System.Text;

namespace SecureFuture.Scanning.Dependencies.Sbom;

/// <summary>
/// Package URLs (https://github.com/package-url/purl-spec, PURL-TYPES) for the six ecosystems:
/// <c>pkg:nuget/Newtonsoft.Json@13.0.1</c>, <c>pkg:npm/%40angular/core@17.0.0</c> (a scope is the namespace, its '@'
/// encoded), <c>pkg:pypi/django-rest@1.0</c> (lower case, '_' as '-'), <c>pkg:maven/org.webjars/bootstrap@5.3.8</c>,
/// <c>pkg:golang/github.com/spf13/pflag@v1.0.9</c> (module path lower-cased as the golang type says),
/// <c>pkg:cargo/serde@1.0.0</c>. Every namespace segment, the name and the version are percent-encoded except for the
/// unreserved characters (a '+' in a version is <c>%2B</c>).
/// </summary>
public static class PackageUrl
{
    public static string For(string ecosystem, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(version);
        var (type, segments) = ecosystem switch
        {
            Ecosystems.NuGet => ("nuget", new[] { name }),
            Ecosystems.Npm => ("npm", name.Split('/', 2)),
            Ecosystems.PyPI => ("pypi", [name.ToLowerInvariant().Replace('_', '-')]),
            Ecosystems.Maven => ("maven", name.Split(':', 2)),
            Ecosystems.Go => ("golang", name.ToLowerInvariant().Split('/')),
            Ecosystems.Cargo => ("cargo", [name]),
            _ => throw new ArgumentOutOfRangeException(nameof(ecosystem), ecosystem, "not an ecosystem the inventory reads"),
        };
        var builder = new StringBuilder("pkg:").Append(type);
        foreach (var segment in segments)
        {
            builder.Append('/').Append(Encode(segment));
        }

        return builder.Append('@').Append(Encode(version)).ToString();
    }

    private static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'.' or (byte)'-' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
