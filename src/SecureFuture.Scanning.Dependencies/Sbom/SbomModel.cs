using System.Globalization;
using SecureFuture.Scanning.Dependencies.Inventory;

namespace SecureFuture.Scanning.Dependencies.Sbom;

/// <summary>One component of the bill of materials: a package, wherever in the tree it is resolved.</summary>
/// <param name="Purl">Its package URL, which is also its reference in the document (unique).</param>
/// <param name="Hashes">Digests as (algorithm, lower-case hex): only those the lock files agree on, one per algorithm.</param>
/// <param name="Manifests">The manifests and lock files that resolve it.</param>
public sealed record SbomComponent(PackageId Id, string Purl, bool Direct, IReadOnlyList<(string Algorithm, string Hex)> Hashes, IReadOnlyList<string> Manifests);

/// <summary>What an SBOM says: the product, its components and who depends on whom (by purl).</summary>
public sealed record SbomDocument(
    string Name,
    DateTimeOffset Created,
    Guid Serial,
    string ToolVersion,
    IReadOnlyList<SbomComponent> Components,
    IReadOnlyList<string> DirectDependencies,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Dependencies)
{
    /// <summary>
    /// The document for an inventory: components by purl (sorted, so the output is stable), the product depending on
    /// every direct package, and each package on what its lock file says it depends on.
    /// </summary>
    public static SbomDocument From(InventoryResult inventory, string name, DateTimeOffset created, Guid serial, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        string PurlOf(PackageId id) => PackageUrl.For(id.Ecosystem, id.Name, id.Version);
        var components = inventory.Packages
            .GroupBy(p => PurlOf(new PackageId(p.Ecosystem, p.Name, p.Version)), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SbomComponent(
                new PackageId(g.First().Ecosystem, g.First().Name, g.First().Version),
                g.Key,
                g.Any(p => p.Direct),
                AgreedHashes(g.SelectMany(p => p.Hashes)),
                [.. g.Select(p => p.Manifest).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))
            .ToList();
        var dependencies = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var component in components)
        {
            dependencies[component.Purl] = new SortedSet<string>(StringComparer.Ordinal);
        }

        foreach (var edge in inventory.Edges)
        {
            var (from, to) = (PurlOf(edge.From), PurlOf(edge.To));
            if (dependencies.TryGetValue(from, out var set) && dependencies.ContainsKey(to))
            {
                set.Add(to);
            }
        }

        return new SbomDocument(name, created, serial, toolVersion, components,
            [.. components.Where(c => c.Direct).Select(c => c.Purl)],
            dependencies.ToDictionary(d => d.Key, d => (IReadOnlyList<string>)[.. d.Value], StringComparer.Ordinal));
    }

    /// <summary>
    /// Lock file hashes as digests: <c>sha512-base64</c> (npm, NuGet) and <c>sha256-hex</c> (Cargo, PyPI) alike. An
    /// algorithm with several values (a PyPI package's wheels and sdist each have one) describes no single artifact
    /// of the component and is left out; so are hashes that are not file digests (Go's <c>h1:</c> directory hash).
    /// </summary>
    internal static IReadOnlyList<(string Algorithm, string Hex)> AgreedHashes(IEnumerable<string> hashes)
    {
        var byAlgorithm = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var hash in hashes)
        {
            var dash = hash.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0)
            {
                continue;
            }

            var algorithm = hash[..dash].ToLowerInvariant();
            if (DigestLength(algorithm) is not { } length || ToHex(hash[(dash + 1)..], length) is not { } hex)
            {
                continue;
            }

            if (!byAlgorithm.TryGetValue(algorithm, out var values))
            {
                byAlgorithm[algorithm] = values = new HashSet<string>(StringComparer.Ordinal);
            }

            values.Add(hex);
        }

        return [.. byAlgorithm.Where(a => a.Value.Count == 1).OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, a.Value.Single()))];
    }

    private static int? DigestLength(string algorithm) => algorithm switch
    {
        "md5" => 16,
        "sha1" => 20,
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => null,
    };

    private static string? ToHex(string value, int length)
    {
        if (value.Length == length * 2 && value.All(char.IsAsciiHexDigit))
        {
            return value.ToLowerInvariant();
        }

        var bytes = new byte[length + 3];
        return Convert.TryFromBase64String(value, bytes, out var written) && written == length
            ? Convert.ToHexStringLower(bytes.AsSpan(0, written))
            : null;
    }

    internal string Timestamp => Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
