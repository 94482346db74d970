using System.Text;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// A JSON document and the line of every property whose value is an object, by its path of property names
/// (<c>packages/node_modules/a</c>), which is what a lock file's entries are. <see cref="JsonDocument"/> keeps no
/// positions, so one pass of <see cref="Utf8JsonReader"/> records them.
/// </summary>
internal sealed class LocatedJson : IDisposable
{
    private readonly Dictionary<string, int> _lines;

    private LocatedJson(JsonDocument document, Dictionary<string, int> lines)
    {
        Document = document;
        _lines = lines;
    }

    public JsonDocument Document { get; }

    public JsonElement Root => Document.RootElement;

    /// <exception cref="ManifestFormatException">The text is not JSON (line and column of the fault).</exception>
    public static LocatedJson Parse(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        JsonDocument document;
        try
        {
            // Strict: a name twice in one object (which entry is the package?) is refused, and so is a string that is not
            // well-formed Unicode; both threw out of the readers instead (found by fuzzing).
            document = StrictJson.Parse(utf8, StrictJson.DocumentOptions(maxDepth: 256));
        }
        catch (JsonException e)
        {
            throw new ManifestFormatException((int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, $"not valid JSON: {FirstSentence(e.Message)}", e);
        }

        return new LocatedJson(document, ObjectLines(utf8));
    }

    /// <summary>The line of the property at <paramref name="path"/> (names joined by '\u0000'), or the fallback.</summary>
    public int LineOf(int fallback, params string[] path) => _lines.GetValueOrDefault(string.Join('\0', path), fallback);

    public void Dispose() => Document.Dispose();

    private const string InArray = "\u0001"; // an array element's container: objects inside arrays are not recorded

    private static Dictionary<string, int> ObjectLines(byte[] utf8)
    {
        var lines = new LineMap(utf8);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
        var path = new List<string>(); // one entry per open container: the property name that opened it
        string? pendingName = null;
        long pendingOffset = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pendingName = reader.GetString();
                    pendingOffset = reader.TokenStartIndex;
                    continue;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    path.Add(pendingName ?? (path.Count == 0 ? string.Empty : InArray));
                    if (reader.TokenType == JsonTokenType.StartObject && pendingName is not null && !path.Contains(InArray))
                    {
                        result.TryAdd(string.Join('\0', path.Skip(1)), lines.LineOf(pendingOffset));
                    }

                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    path.RemoveAt(path.Count - 1);
                    break;
                default:
                    break;
            }

            pendingName = null;
        }

        return result;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}

/// <summary>Reading helpers over <see cref="JsonElement"/> that tolerate a missing or mistyped member.</summary>
internal static class JsonElementExtensions
{
    public static string? Str(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static JsonElement? Obj(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    public static IEnumerable<JsonProperty> Props(this JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object } e ? e.EnumerateObject() : [];

    public static IEnumerable<JsonProperty> Props(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? element.EnumerateObject() : [];

    public static bool Flag(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
