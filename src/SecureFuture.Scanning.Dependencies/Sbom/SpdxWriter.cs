using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Sbom;

/// <summary>
/// SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): the document DESCRIBES the product package, which
/// DEPENDS_ON each direct package; each package DEPENDS_ON what its lock file says. Packages carry their purl as a
/// PACKAGE-MANAGER external reference (SPDX 2.3 §7.21, Annex F) and their agreed checksums; nothing was downloaded or
/// analysed, so <c>downloadLocation</c> is NOASSERTION and <c>filesAnalyzed</c> false.
/// </summary>
public static class SpdxWriter
{
    private const string RootId = "SPDXRef-Product";

    public static async Task WriteAsync(SbomDocument document, Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Components.Count; i++)
        {
            ids[document.Components[i].Purl] = $"SPDXRef-Package-{i + 1}";
        }

        await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("spdxVersion", "SPDX-2.3");
        json.WriteString("dataLicense", "CC0-1.0");
        json.WriteString("SPDXID", "SPDXRef-DOCUMENT");
        json.WriteString("name", document.Name);
        json.WriteString("documentNamespace", $"https://spdx.org/spdxdocs/sfi-{UriSafe(document.Name)}-{document.Serial:D}");
        json.WriteStartObject("creationInfo");
        json.WriteString("created", document.Timestamp);
        json.WriteStartArray("creators");
        json.WriteStringValue($"Tool: sfi-{document.ToolVersion}");
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartArray("packages");
        json.WriteStartObject();
        json.WriteString("name", document.Name);
        json.WriteString("SPDXID", RootId);
        json.WriteString("downloadLocation", "NOASSERTION");
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("primaryPackagePurpose", "APPLICATION");
        json.WriteEndObject();
        foreach (var component in document.Components)
        {
            json.WriteStartObject();
            json.WriteString("name", component.Id.Name);
            json.WriteString("SPDXID", ids[component.Purl]);
            json.WriteString("versionInfo", component.Id.Version);
            json.WriteString("downloadLocation", "NOASSERTION");
            json.WriteBoolean("filesAnalyzed", false);
            if (component.Hashes.Count > 0)
            {
                json.WriteStartArray("checksums");
                foreach (var (algorithm, hex) in component.Hashes)
                {
                    json.WriteStartObject();
                    json.WriteString("algorithm", algorithm.ToUpperInvariant());
                    json.WriteString("checksumValue", hex);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteStartArray("externalRefs");
            json.WriteStartObject();
            json.WriteString("referenceCategory", "PACKAGE-MANAGER");
            json.WriteString("referenceType", "purl");
            json.WriteString("referenceLocator", component.Purl);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("primaryPackagePurpose", "LIBRARY");
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("relationships");
        WriteRelationship(json, "SPDXRef-DOCUMENT", "DESCRIBES", RootId);
        foreach (var direct in document.DirectDependencies)
        {
            WriteRelationship(json, RootId, "DEPENDS_ON", ids[direct]);
        }

        foreach (var component in document.Components)
        {
            foreach (var target in document.Dependencies[component.Purl])
            {
                WriteRelationship(json, ids[component.Purl], "DEPENDS_ON", ids[target]);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static void WriteRelationship(Utf8JsonWriter json, string from, string type, string to)
    {
        json.WriteStartObject();
        json.WriteString("spdxElementId", from);
        json.WriteString("relationshipType", type);
        json.WriteString("relatedSpdxElement", to);
        json.WriteEndObject();
    }

    private static string UriSafe(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-');
        }

        return builder.Length == 0 ? "product" : builder.ToString();
    }
}
