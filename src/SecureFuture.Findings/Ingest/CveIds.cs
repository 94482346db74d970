using System.Text.Json;
using System.Text.RegularExpressions;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// CVE ids (for the KEV flag) named by a rule id, a rule's tags and properties, or a result's properties: dependency
/// scanners name the CVE as the rule id (Trivy, Grype) or as a tag or property (<c>cve</c>, <c>cwe</c>-style tags).
/// Ids are upper-cased; the sequence number has at least four digits (CVE numbering scheme since 2014).
/// </summary>
internal static partial class CveIds
{
    // Property bags are scanned this deep: tags and small objects such as {"cve": {"id": ...}}, not whole documents.
    private const int MaxDepth = 3;

    public static void AddFrom(string? text, ref SortedSet<string>? into)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains("CVE-", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        foreach (Match match in Pattern().Matches(text))
        {
            (into ??= new SortedSet<string>(StringComparer.Ordinal)).Add(match.Value.ToUpperInvariant());
        }
    }

    public static void AddFrom(JsonElement element, ref SortedSet<string>? into, int depth = 0)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                AddFrom(element.GetString(), ref into);
                break;
            case JsonValueKind.Array when depth < MaxDepth:
                foreach (var item in element.EnumerateArray())
                {
                    AddFrom(item, ref into, depth + 1);
                }

                break;
            case JsonValueKind.Object when depth < MaxDepth:
                foreach (var property in element.EnumerateObject())
                {
                    AddFrom(property.Value, ref into, depth + 1);
                }

                break;
            default:
                break;
        }
    }

    [GeneratedRegex(@"\bCVE-\d{4}-\d{4,}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
