using System.Runtime.InteropServices;
using System.Text.Json;

namespace SecureFuture.Core;

/// <summary>
/// The one place that says how security-relevant JSON is read: admin request bodies, and JWS headers and claims that
/// sfi is asked to sign. A member that appears twice is refused, never read last-wins: RFC 8259 §4 leaves the meaning
/// of duplicate names to each parser, so two readers of the same document (a check here, a verifier elsewhere) could
/// each see a different value; RFC 7515 §5.2 lets a JWS producer refuse them, and sfi does.
/// </summary>
public static class StrictJson
{
    /// <summary>Options for <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>: duplicates refused.</summary>
    public static JsonDocumentOptions DocumentOptions(int maxDepth) => new() { MaxDepth = maxDepth, AllowDuplicateProperties = false };

    /// <summary>
    /// Options for request bodies of an HTTP API: web defaults (camelCase), unknown members and duplicate members
    /// refused (also inside nested <see cref="JsonElement"/> values, such as a JWKS), null members not written.
    /// </summary>
    public static JsonSerializerOptions ApiOptions(int maxDepth) => new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        AllowDuplicateProperties = false,
        MaxDepth = maxDepth,
    };

    /// <summary>
    /// Parses like <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>, and refuses what it lets
    /// through (see <see cref="RequireWellFormedStrings(ReadOnlySpan{byte}, JsonDocumentOptions)"/>).
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON, or a string in it is not well-formed Unicode.</exception>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, JsonDocumentOptions options)
    {
        RequireWellFormedStrings(utf8.Span, options);
        return JsonDocument.Parse(utf8, options);
    }

    /// <summary>
    /// Refuses JSON whose strings cannot be read: invalid UTF-8 in a string or member name, or an escaped lone surrogate
    /// (<c>"\ud800"</c>). <see cref="JsonDocument"/> and <see cref="Utf8JsonReader"/> check neither while parsing; the
    /// first <c>GetString()</c> of such a value throws <see cref="InvalidOperationException"/> deep inside whatever reads
    /// it, which turned a hostile file or token into a crash (exit 70, HTTP 500) instead of the reader's documented
    /// refusal. RFC 8259 §8.1 requires UTF-8, and §8.2 leaves unpaired surrogates unpredictable: sfi refuses both.
    /// Found by fuzzing (docs/fuzzing.md).
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON, or a string in it is not well-formed Unicode.</exception>
    public static void RequireWellFormedStrings(ReadOnlySpan<byte> utf8, JsonDocumentOptions options = default)
    {
        // Only a byte above 0x7F or a \u escape can make a string unreadable: plain ASCII JSON costs one vectorized scan.
        if (utf8.IndexOfAnyInRange((byte)0x80, (byte)0xFF) < 0 && utf8.IndexOf("\\u"u8) < 0)
        {
            return;
        }

        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth,
            CommentHandling = options.CommentHandling,
            AllowTrailingCommas = options.AllowTrailingCommas,
        });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                _ = ReadString(ref reader, utf8);
            }
        }
    }

    /// <summary>The same check over a value already parsed (a member of a request body bound by the serializer).</summary>
    /// <exception cref="JsonException">A string in <paramref name="value"/> is not well-formed Unicode.</exception>
    public static void RequireWellFormedStrings(JsonElement value) =>
        RequireWellFormedStrings(JsonMarshal.GetRawUtf8Value(value), new JsonDocumentOptions { MaxDepth = 256 });

    /// <summary><see cref="Utf8JsonReader.GetString"/>, with a string that is not well-formed Unicode refused as JSON that does not parse.</summary>
    /// <param name="text">The text the reader reads, to name the line of the error; empty when the reader reads a sequence.</param>
    /// <exception cref="JsonException">The string is not well-formed Unicode.</exception>
    public static string? ReadString(ref Utf8JsonReader reader, ReadOnlySpan<byte> text = default)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.IndexOfAnyInRange((byte)0x80, (byte)0xFF) < 0)
        {
            return reader.GetString();
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException e)
        {
            var start = reader.TokenStartIndex;
            long? line = null;
            long? column = null;
            if (start <= text.Length)
            {
                var before = text[..(int)start];
                line = before.Count((byte)'\n');
                column = start - (before.LastIndexOf((byte)'\n') + 1);
            }

            throw new JsonException($"a string is not well-formed Unicode (invalid UTF-8 or a lone surrogate): {e.Message}", null, line, column, e);
        }
    }
}
