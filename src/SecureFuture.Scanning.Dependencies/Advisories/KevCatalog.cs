using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>
/// CISA's Known Exploited Vulnerabilities catalogue (https://www.cisa.gov/known-exploited-vulnerabilities-catalog,
/// its JSON feed: <c>catalogVersion</c>, <c>dateReleased</c>, <c>vulnerabilities[].cveID</c>): a vulnerability in it
/// is being exploited, which makes it the first to fix.
/// </summary>
public sealed class KevCatalog
{
    private readonly HashSet<string> _cves;

    public KevCatalog(string catalogVersion, IEnumerable<string> cveIds)
    {
        CatalogVersion = catalogVersion;
        _cves = new HashSet<string>(cveIds, StringComparer.OrdinalIgnoreCase);
    }

    public string CatalogVersion { get; }

    public int Count => _cves.Count;

    public IEnumerable<string> CveIds => _cves.Order(StringComparer.Ordinal);

    public bool Contains(string id) => _cves.Contains(id);

    /// <summary>Reads CISA's JSON feed; anything else is an <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static KevCatalog Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("vulnerabilities", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("not a CISA KEV catalogue: no \"vulnerabilities\" array");
            }

            var ids = new List<string>();
            foreach (var v in list.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("cveID", out var id) || id.ValueKind != JsonValueKind.String || !id.GetString()!.StartsWith("CVE-", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException($"not a CISA KEV catalogue: entry {ids.Count + 1} has no \"cveID\" of the form CVE-YYYY-NNNN");
                }

                ids.Add(id.GetString()!);
            }

            var version = root.TryGetProperty("catalogVersion", out var cv) && cv.ValueKind == JsonValueKind.String ? cv.GetString()! : "unknown";
            return new KevCatalog(version, ids);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not JSON at line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: {e.Message}", e);
        }
    }
}
