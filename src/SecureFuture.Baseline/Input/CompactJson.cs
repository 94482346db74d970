using System.Buffers;
using System.Collections.Frozen;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// How resources are kept between reading and evaluation: as compact UTF-8 JSON (no insignificant whitespace), about
/// the size of the input's own bytes, instead of a tree of <see cref="JsonNode"/> objects with one dictionary per
/// object (measured at ~13× the input for 100,000 resources: bench/baseline-assess.sh). A resource becomes a node
/// tree only while controls read it (<see cref="Parse"/>), and the tree is lazy: only the objects a control walks
/// into are materialised.
/// <para>
/// Property names are matched case-insensitively when read, so that ScubaGear's and Graph PowerShell's PascalCase
/// keys read like Graph's camelCase. Exports can hold keys that differ only in case ("Id" and "id"): compacting keeps
/// the first one at every level, so that the parse never fails on a duplicate.
/// </para>
/// </summary>
internal sealed class CompactJson
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = true };

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private static readonly JsonReaderOptions ReaderOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 };

    // Validation is skipped because the reader has already validated the input; the relaxed encoder keeps non-ASCII
    // text as UTF-8 instead of \u escapes (the bytes are never embedded in HTML).
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 256 };

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly List<HashSet<string>> _namesByDepth = [];

    /// <summary>Materialises compact JSON as a case-insensitive, lazily expanded node tree.</summary>
    public static JsonNode? Parse(ReadOnlyMemory<byte> json) => JsonNode.Parse(json.Span, NodeOptions, DocumentOptions);

    /// <summary>
    /// Materialises compact JSON that holds an object. The tree reads the stored bytes in place (they never change
    /// once stored) instead of parsing a copy of them, as <see cref="JsonNode.Parse(ReadOnlySpan{byte}, JsonNodeOptions?, JsonDocumentOptions)"/> would.
    /// </summary>
    public static JsonObject ParseObject(ReadOnlyMemory<byte> json)
    {
        var document = JsonDocument.Parse(json, DocumentOptions);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? JsonObject.Create(document.RootElement, NodeOptions)!
            : throw new InvalidOperationException("the compact value is not a JSON object");
    }

    /// <summary>The compact form of a node (for values built in memory, such as a template resource's children).</summary>
    public static byte[] FromNode(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        // Written by the node itself, not by JsonSerializer's reflection: the same bytes in a trimmed (Native AOT) build.
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Copies one complete JSON value without insignificant whitespace, keeping the first of any properties whose
    /// names differ only in case. The input has been read once already (it is a slice the stream walker skipped
    /// over), so it is well-formed.
    /// </summary>
    /// <param name="top">For an object, its top-level members (what the reader recognises a resource by); else null.</param>
    public ReadOnlyMemory<byte> Compact(ReadOnlySpan<byte> value, out TopLevel? top)
    {
        _buffer.ResetWrittenCount();
        top = null;
        using (var writer = new Utf8JsonWriter(_buffer, WriterOptions))
        {
            var reader = new Utf8JsonReader(value, ReaderOptions);
            var depth = 0;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        if (depth == 0)
                        {
                            top = new TopLevel();
                        }

                        NamesAt(depth++).Clear();
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        depth++;
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        depth--;
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        depth--;
                        break;
                    case JsonTokenType.PropertyName:
                        var name = PropertyName(ref reader);
                        if (!NamesAt(depth - 1).Add(name))
                        {
                            // A second "Id" after "id": skip its value; the first one wins.
                            reader.Read();
                            reader.Skip();
                            break;
                        }

                        writer.WritePropertyName(name);
                        if (depth == 1 && top is not null)
                        {
                            // Peek at the value without consuming it: a copy of the reader is a snapshot.
                            var peek = reader;
                            peek.Read();
                            top.Add(name, peek.TokenType, peek.TokenType == JsonTokenType.String && top.KeepsText(name) ? StrictJson.ReadString(ref peek) : null);
                        }

                        break;
                    case JsonTokenType.String:
                        if (reader.ValueIsEscaped)
                        {
                            writer.WriteStringValue(StrictJson.ReadString(ref reader));
                        }
                        else if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                        {
                            // The writer would write a bad byte as U+FFFD, silently: fail as GetString does, and the
                            // walker reports the byte's position.
                            throw new InvalidOperationException("invalid UTF-8 in a JSON string");
                        }
                        else
                        {
                            writer.WriteStringValue(reader.ValueSpan);
                        }

                        break;
                    case JsonTokenType.Number:
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.True:
                        writer.WriteBooleanValue(true);
                        break;
                    case JsonTokenType.False:
                        writer.WriteBooleanValue(false);
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNullValue();
                        break;
                }
            }
        }

        return Store(_buffer.WrittenSpan);
    }

    private readonly ChunkStore _store = new();

    /// <summary>
    /// One string per distinct property name: every resource of an export repeats "properties", "id", "name", ...,
    /// and a new string for each (for the duplicate-key check) was a quarter of what an assessment allocated.
    /// </summary>
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private const int MaxInternedName = 128;

    private string PropertyName(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.ValueSpan.Length > MaxInternedName || _names.Count >= 16384)
        {
            return StrictJson.ReadString(ref reader)!;
        }

        // An unescaped name is never longer than its UTF-8 bytes.
        Span<char> chars = stackalloc char[MaxInternedName];
        var length = reader.CopyString(chars);
        var lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(chars[..length], out var name))
        {
            name = new string(chars[..length]);
            _names.Add(name);
        }

        return name;
    }

    private ReadOnlyMemory<byte> Store(ReadOnlySpan<byte> json) => _store.Store(json);

    private HashSet<string> NamesAt(int depth)
    {
        while (_namesByDepth.Count <= depth)
        {
            _namesByDepth.Add(new HashSet<string>(StringComparer.OrdinalIgnoreCase));
        }

        return _namesByDepth[depth];
    }
}

/// <summary>
/// What the reader recognises a captured object by: whether it has each of the top-level members the shape checks
/// ask about, which of them are arrays, and the text of the few it names resources by (<c>type</c>, <c>id</c>,
/// <c>@odata.type</c>, ...). Small on purpose (one per resource until its file is classified): a bit mask and the
/// texts, not a dictionary of every member. Names match case-insensitively; the first of duplicate names wins.
/// </summary>
internal sealed class TopLevel
{
    /// <summary>The members whose text is kept; the first names of <see cref="Watched"/>.</summary>
    private static readonly string[] TextNames = ["type", "id", "name", "displayName", "appId", "@odata.type", "@odata.context", "mode", "address", "location"];

    private static readonly string[] WatchedNames =
    [
        .. TextNames,
        "conditions", "grantControls", "defaultUserRolePermissions", "authenticationMethodConfigurations", "b2bCollaborationOutbound",
        "isServiceDefault", "servicePrincipalType", "signInAudience", "passwordCredentials", "roleDefinitionId", "principalId",
        "assignmentType", "directoryScopeId", "appRoleId", "resourceId", "policyId", "scopeType", "templateId", "values",
        "methodsRegistered", "definition", "userPrincipalName", "isEnabled", "resources",
    ];

    private static readonly FrozenDictionary<string, int> Watched =
        WatchedNames.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private ulong _present;
    private ulong _arrays;
    private string?[]? _texts;

    /// <summary>The summary of an object built in memory (a single entity, a template's nested resource).</summary>
    public static TopLevel Of(JsonObject o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var top = new TopLevel();
        foreach (var (name, value) in o)
        {
            var kind = value switch
            {
                JsonArray => JsonTokenType.StartArray,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonTokenType.String,
                _ => JsonTokenType.None,
            };
            top.Add(name, kind, kind == JsonTokenType.String && top.KeepsText(name) ? value!.GetValue<string>() : null);
        }

        return top;
    }

    /// <summary>Whether <see cref="Add"/> wants the text of this member (when it is a string).</summary>
    public bool KeepsText(string name) => Watched.TryGetValue(name, out var i) && i < TextNames.Length && (_present & (1UL << i)) == 0;

    public void Add(string name, JsonTokenType kind, string? text)
    {
        if (!Watched.TryGetValue(name, out var i) || (_present & (1UL << i)) != 0)
        {
            return;
        }

        _present |= 1UL << i;
        if (kind == JsonTokenType.StartArray)
        {
            _arrays |= 1UL << i;
        }

        if (text is not null && i < TextNames.Length)
        {
            (_texts ??= new string?[TextNames.Length])[i] = text;
        }
    }

    public bool Has(string name) => (_present & Bit(name)) != 0;

    /// <summary>The text of a string member among the kept ones (<c>type</c>, <c>id</c>, ...), else null.</summary>
    public string? Text(string name)
    {
        var i = Index(name);
        return i < TextNames.Length ? _texts?[i] : throw new ArgumentException($"'{name}' is not a member whose text is kept", nameof(name));
    }

    public bool IsArray(string name) => (_arrays & Bit(name)) != 0;

    private static ulong Bit(string name) => 1UL << Index(name);

    private static int Index(string name) =>
        Watched.TryGetValue(name, out var i) ? i : throw new ArgumentException($"'{name}' is not a member the reader watches", nameof(name));
}

/// <summary>
/// Where compact JSON is kept: resources share chunks that grow to 64 KiB, instead of being 100,000 small arrays that
/// every garbage collection promotes one by one. The chunks stay below the large object heap's 85,000 bytes on purpose:
/// with 1 MiB chunks, their allocations triggered two more full collections on bench/baseline-assess.sh's snapshot.
/// A chunk lives as long as any resource stored in it: a streamed assessment copies the few resources it keeps into a
/// store of their own, so that the chunks of the resources it dropped can be collected.
/// </summary>
internal sealed class ChunkStore
{
    private const int MaxChunk = 64 * 1024;

    private byte[] _chunk = [];
    private int _used;

    public ReadOnlyMemory<byte> Store(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxChunk / 4)
        {
            return json.ToArray();
        }

        if (_chunk.Length - _used < json.Length)
        {
            _chunk = new byte[Math.Min(MaxChunk, Math.Max(_chunk.Length * 2, 16 * 1024))];
            _used = 0;
        }

        json.CopyTo(_chunk.AsSpan(_used));
        var stored = new ReadOnlyMemory<byte>(_chunk, _used, json.Length);
        _used += json.Length;
        return stored;
    }
}
