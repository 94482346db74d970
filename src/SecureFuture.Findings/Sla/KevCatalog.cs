using System.Globalization;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Findings.Sla;

/// <summary>
/// CISA's Known Exploited Vulnerabilities catalogue (https://www.cisa.gov/known-exploited-vulnerabilities-catalog), as
/// published in JSON: <c>{"catalogVersion": "...", "vulnerabilities": [{"cveID": "CVE-...", "dueDate": "YYYY-MM-DD", ...}]}</c>.
/// Only the CVE ids and due dates matter to the hub; other members are ignored.
/// </summary>
public sealed class KevCatalog
{
    private readonly Dictionary<string, DateOnly?> _dueDates;

    private KevCatalog(string version, Dictionary<string, DateOnly?> dueDates)
    {
        Version = version;
        _dueDates = dueDates;
    }

    /// <summary>No known-exploited CVEs: the catalogue before one is loaded.</summary>
    public static KevCatalog Empty { get; } = new(string.Empty, new Dictionary<string, DateOnly?>(StringComparer.OrdinalIgnoreCase));

    public string Version { get; }

    public int Count => _dueDates.Count;

    public bool Contains(string cve) => _dueDates.ContainsKey(cve);

    /// <summary>CISA's remediation due date for <paramref name="cve"/> (for US federal agencies), when the catalogue gives one.</summary>
    public DateOnly? DueDate(string cve) => _dueDates.TryGetValue(cve, out var due) ? due : null;

    /// <summary>Reads a catalogue file; a malformed one is an <see cref="InputException"/> naming the file and position.</summary>
    public static KevCatalog Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a catalogue; <paramref name="name"/> names it in errors.</summary>
    public static KevCatalog Read(Stream stream, string name)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, StrictJson.DocumentOptions(maxDepth: 16));
        }
        catch (JsonException e)
        {
            throw new InputException(name, e.LineNumber + 1, e.BytePositionInLine + 1, "not a KEV catalogue: " + e.Message, e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("vulnerabilities", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new InputException(name, null, null, "not a KEV catalogue: expected an object with a \"vulnerabilities\" array");
            }

            var version = root.TryGetProperty("catalogVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
            var dueDates = new Dictionary<string, DateOnly?>(StringComparer.OrdinalIgnoreCase);
            var index = 0;
            foreach (var entry in list.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("cveID", out var id) || id.ValueKind != JsonValueKind.String
                    || !id.GetString()!.StartsWith("CVE-", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InputException(name, null, null, $"$.vulnerabilities[{index}].cveID: expected a CVE id");
                }

                DateOnly? due = null;
                if (entry.TryGetProperty("dueDate", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    if (!DateOnly.TryParseExact(d.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                    {
                        throw new InputException(name, null, null, $"$.vulnerabilities[{index}].dueDate: '{d.GetString()}' is not a YYYY-MM-DD date");
                    }

                    due = parsed;
                }

                dueDates[id.GetString()!] = due;
                index++;
            }

            return new KevCatalog(version, dueDates);
        }
    }
}
