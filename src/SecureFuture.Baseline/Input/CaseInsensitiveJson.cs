using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// Makes property lookups case-insensitive, so that ScubaGear's and Graph PowerShell's PascalCase keys read like
/// Graph's camelCase. Exports can hold keys that differ only in case ("Id" and "id"): the first one wins, instead of
/// the parse failing on a duplicate.
/// </summary>
internal static class CaseInsensitiveJson
{
    private static readonly JsonNodeOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static JsonNode? Copy(JsonNode? node) => node switch
    {
        JsonObject o => CopyObject(o),
        JsonArray a => new JsonArray(Options, [.. a.Select(Copy)]),
        JsonValue v => v.DeepClone(),
        _ => null,
    };

    public static JsonObject CopyObject(JsonObject source)
    {
        var copy = new JsonObject(Options);
        foreach (var (key, value) in source)
        {
            if (!copy.ContainsKey(key))
            {
                copy[key] = Copy(value);
            }
        }

        return copy;
    }
}
