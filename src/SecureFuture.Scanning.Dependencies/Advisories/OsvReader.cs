using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>A record that is not an OSV record at all (not JSON, no id, a field of the wrong type).</summary>
public sealed class OsvFormatException(string message, long? line = null, long? column = null, Exception? inner = null) : Exception(message, inner)
{
    public long? Line { get; } = line;

    public long? Column { get; } = column;
}

/// <summary>
/// Reads OSV records (https://ossf.github.io/osv-schema/) as OSV publishes them (JSON) and as the Python Packaging
/// Advisory Database keeps them (YAML). Structure is checked strictly (a record whose shape is wrong refuses the
/// import it is part of); version strings are kept verbatim, so a malformed one is reported when a package meets it.
/// </summary>
public static class OsvReader
{
    private static readonly HashSet<string> KnownEcosystems = new(
        [Ecosystems.NuGet, Ecosystems.Npm, Ecosystems.PyPI, Ecosystems.Maven, Ecosystems.Go, Ecosystems.Cargo], StringComparer.Ordinal);

    public static OsvRecord ReadJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            using var document = StrictJson.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            return Read(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new OsvFormatException($"not JSON: {e.Message}", (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1, e);
        }
    }

    public static OsvRecord ReadYaml(string text)
    {
        YamlStream stream;
        try
        {
            // The representation model and ToJson recurse: LocatedYaml checks the depth first (found by fuzzing).
            stream = Inventory.LocatedYaml.Load(text);
        }
        catch (Inventory.ManifestFormatException e)
        {
            throw new OsvFormatException(e.Message, e.Line, e.Column, e);
        }

        if (stream.Documents.Count != 1)
        {
            throw new OsvFormatException("a YAML record holds exactly one document");
        }

        var json = ToJson(stream.Documents[0].RootNode)?.ToJsonString() ?? "null";
        using var document = JsonDocument.Parse(json);
        return Read(document.RootElement);
    }

    // YAML scalars stay strings: OSV's fields are strings ("introduced: 0" is the string "0").
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(
            kv.Key is YamlScalarNode key ? key.Value ?? "" : throw new OsvFormatException($"a mapping key that is not a string at line {kv.Key.Start.Line}"),
            ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode { Value: null } or YamlScalarNode { Value: "~" or "null", Style: YamlDotNet.Core.ScalarStyle.Plain } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new OsvFormatException($"unsupported YAML node at line {node.Start.Line}"),
    };

    public static OsvRecord Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new OsvFormatException("an OSV record is a JSON object");
        }

        var id = String(root, "id") ?? throw new OsvFormatException("an OSV record needs an \"id\"");
        var modified = String(root, "modified") is { } m && DateTimeOffset.TryParse(m, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : (DateTimeOffset?)null;
        var summary = String(root, "summary") ?? FirstLine(String(root, "details"));
        var databaseSeverity = root.TryGetProperty("database_specific", out var db) && db.ValueKind == JsonValueKind.Object ? String(db, "severity") : null;
        return new OsvRecord(
            id,
            Strings(root, "aliases", id),
            summary,
            modified,
            root.TryGetProperty("withdrawn", out var w) && w.ValueKind != JsonValueKind.Null,
            [.. Objects(root, "severity", id).Select(s => new OsvSeverity(String(s, "type") ?? "", String(s, "score") ?? ""))],
            databaseSeverity,
            [.. Objects(root, "affected", id).Select(a => Affected(a, id)).OfType<OsvAffected>()]);
    }

    private static OsvAffected? Affected(JsonElement a, string id)
    {
        if (!a.TryGetProperty("package", out var package) || package.ValueKind != JsonValueKind.Object)
        {
            return null; // OSV allows an entry without a package (affected commits only)
        }

        var ecosystem = String(package, "ecosystem") ?? "";
        var name = String(package, "name") ?? "";
        if (!KnownEcosystems.Contains(ecosystem) || name.Length == 0)
        {
            return null;
        }

        var ranges = Objects(a, "ranges", id).Select(r => new OsvRange(
            String(r, "type") ?? "",
            [.. Objects(r, "events", id).Select(e => Event(e, id))])).ToList();
        return new OsvAffected(ecosystem, name, ranges, Strings(a, "versions", id));
    }

    private static OsvEvent Event(JsonElement e, string id)
    {
        foreach (var p in e.EnumerateObject())
        {
            var kind = p.Name switch
            {
                "introduced" => OsvEventKind.Introduced,
                "fixed" => OsvEventKind.Fixed,
                "last_affected" => OsvEventKind.LastAffected,
                "limit" => OsvEventKind.Limit,
                _ => (OsvEventKind?)null,
            };
            if (kind is { } k)
            {
                return p.Value.ValueKind == JsonValueKind.String
                    ? new OsvEvent(k, p.Value.GetString()!)
                    : throw new OsvFormatException($"{id}: the \"{p.Name}\" event's version is not a string");
            }
        }

        throw new OsvFormatException($"{id}: a range event has none of introduced, fixed, last_affected, limit");
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement[] Objects(JsonElement e, string name, string id)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Object))
        {
            throw new OsvFormatException($"{id}: \"{name}\" is not an array of objects");
        }

        return [.. v.EnumerateArray()];
    }

    private static string[] Strings(JsonElement e, string name, string id)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            throw new OsvFormatException($"{id}: \"{name}\" is not an array of strings");
        }

        return [.. v.EnumerateArray().Select(x => x.GetString()!)];
    }

    private static string FirstLine(string? details)
    {
        var line = (details ?? "").TrimStart().Split('\n', 2)[0].Trim();
        return line.Length <= 200 ? line : string.Concat(line.AsSpan(0, 199), "…");
    }
}
