using System.Text.Encodings.Web;
using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Sbom;

/// <summary>
/// CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/): the product as <c>metadata.component</c>, each package a
/// <c>library</c> component whose <c>bom-ref</c> is its purl, with its agreed hashes, and the <c>dependencies</c> graph
/// with one entry per component (an empty <c>dependsOn</c> says "depends on nothing", which the spec distinguishes
/// from "unknown").
/// </summary>
public static class CycloneDxWriter
{
    public const string RootRef = "root";

    private static readonly Dictionary<string, string> Algorithms = new(StringComparer.Ordinal)
    {
        ["md5"] = "MD5",
        ["sha1"] = "SHA-1",
        ["sha256"] = "SHA-256",
        ["sha384"] = "SHA-384",
        ["sha512"] = "SHA-512",
    };

    public static async Task WriteAsync(SbomDocument document, Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
        json.WriteString("bomFormat", "CycloneDX");
        json.WriteString("specVersion", "1.6");
        json.WriteString("serialNumber", $"urn:uuid:{document.Serial:D}");
        json.WriteNumber("version", 1);

        json.WriteStartObject("metadata");
        json.WriteString("timestamp", document.Timestamp);
        json.WriteStartObject("tools");
        json.WriteStartArray("components");
        json.WriteStartObject();
        json.WriteString("type", "application");
        json.WriteString("name", "sfi");
        json.WriteString("version", document.ToolVersion);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("component");
        json.WriteString("type", "application");
        json.WriteString("bom-ref", RootRef);
        json.WriteString("name", document.Name);
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartArray("components");
        foreach (var component in document.Components)
        {
            json.WriteStartObject();
            json.WriteString("type", "library");
            json.WriteString("bom-ref", component.Purl);
            var (group, name) = GroupAndName(component);
            if (group is not null)
            {
                json.WriteString("group", group);
            }

            json.WriteString("name", name);
            json.WriteString("version", component.Id.Version);
            if (component.Hashes.Count > 0)
            {
                json.WriteStartArray("hashes");
                foreach (var (algorithm, hex) in component.Hashes)
                {
                    json.WriteStartObject();
                    json.WriteString("alg", Algorithms[algorithm]);
                    json.WriteString("content", hex);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteString("purl", component.Purl);
            json.WriteStartArray("properties");
            WriteProperty(json, "securefuture:dependency", component.Direct ? "direct" : "transitive");
            foreach (var manifest in component.Manifests)
            {
                WriteProperty(json, "securefuture:manifest", manifest);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("dependencies");
        WriteDependency(json, RootRef, document.DirectDependencies);
        foreach (var component in document.Components)
        {
            WriteDependency(json, component.Purl, document.Dependencies[component.Purl]);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    /// <summary>Maven's groupId and an npm scope are CycloneDX's <c>group</c>; other names are whole.</summary>
    private static (string? Group, string Name) GroupAndName(SbomComponent component)
    {
        var name = component.Id.Name;
        return component.Id.Ecosystem switch
        {
            Ecosystems.Maven when name.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 => (name[..colon], name[(colon + 1)..]),
            Ecosystems.Npm when name.StartsWith('@') && name.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 => (name[..slash], name[(slash + 1)..]),
            _ => (null, name),
        };
    }

    private static void WriteProperty(Utf8JsonWriter json, string name, string value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("value", value);
        json.WriteEndObject();
    }

    private static void WriteDependency(Utf8JsonWriter json, string reference, IReadOnlyList<string> dependsOn)
    {
        json.WriteStartObject();
        json.WriteString("ref", reference);
        json.WriteStartArray("dependsOn");
        foreach (var target in dependsOn)
        {
            json.WriteStringValue(target);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
