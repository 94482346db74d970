using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;

namespace SecureFuture.Baseline.Input;

/// <summary>What the walker does with a value it meets.</summary>
internal enum WalkAction
{
    /// <summary>Read into it (its children are offered in turn).</summary>
    Descend,

    /// <summary>Keep it (as compact JSON) and hand it over with its position.</summary>
    Capture,

    /// <summary>Skip it without keeping anything (a Terraform plan's <c>configuration</c>, say).</summary>
    Skip,
}

/// <summary>What a walk cost: the largest buffer it needed and the bytes it read.</summary>
internal sealed class WalkStatistics
{
    public int MaxBufferBytes { get; set; }

    public long BytesRead { get; set; }
}

/// <summary>
/// A value taken out of a stream, with the 1-based line and column (in bytes) where it starts. Objects and arrays are
/// kept as compact JSON (<see cref="Json"/>); <see cref="Node"/> parses them on first use, and <see cref="Release"/>
/// drops that tree again once the reader has classified the value.
/// </summary>
internal sealed class CapturedValue
{
    private JsonNode? _node;

    public CapturedValue(int depth, string? rootKey, JsonNode? scalar, int line, int column)
    {
        Depth = depth;
        RootKey = rootKey;
        _node = scalar;
        Line = line;
        Column = column;
    }

    public CapturedValue(int depth, string? rootKey, ReadOnlyMemory<byte> json, TopLevel? top, int line, int column)
    {
        Depth = depth;
        RootKey = rootKey;
        Json = json;
        Top = top;
        Line = line;
        Column = column;
    }

    /// <summary>How deep the value is: 1 for a member of the root object, 2 for an element of a root member's array.</summary>
    public int Depth { get; }

    /// <summary>The root object's member the value is (or is under), when the root is an object.</summary>
    public string? RootKey { get; }

    /// <summary>The object or array as compact JSON; null for scalars.</summary>
    public ReadOnlyMemory<byte>? Json { get; }

    /// <summary>For an object, its top-level members, read while it was compacted.</summary>
    public TopLevel? Top { get; }

    public int Line { get; }

    public int Column { get; }

    public JsonNode? Node => _node ??= Json is { } json ? CompactJson.Parse(json) : null;

    public void Release()
    {
        if (Json is not null)
        {
            _node = null;
        }
    }
}

/// <summary>
/// Walks a JSON file with bounded memory: the file is read in 64 KiB blocks through <see cref="Utf8JsonReader"/>,
/// and only the values the caller asks for are materialised, one at a time. A 2 GB resource export never becomes
/// one string; the largest buffer is the largest single captured value. Lines are counted from the byte offsets
/// the reader reports, because <see cref="JsonNode"/> keeps no positions.
/// </summary>
internal static class JsonStreamWalker
{
    private const int InitialBuffer = 64 * 1024;

    /// <summary>No single resource object is allowed to be larger than this.</summary>
    internal const int MaxValueBytes = 256 * 1024 * 1024;

    /// <summary>
    /// Walks <paramref name="stream"/>. <paramref name="decide"/> is asked about every object or array below the root
    /// (the root itself is always descended); scalars below the root object are captured when it says so.
    /// </summary>
    /// <returns>The kind of the root token.</returns>
    public static JsonTokenType Walk(Stream stream, string displayPath, Func<IReadOnlyList<object>, JsonTokenType, WalkAction> decide, Action<CapturedValue> onValue, WalkStatistics? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            return WalkCore(stream, displayPath, decide, onValue, ref buffer, statistics);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static JsonTokenType WalkCore(Stream stream, string displayPath, Func<IReadOnlyList<object>, JsonTokenType, WalkAction> decide, Action<CapturedValue> onValue, ref byte[] buffer, WalkStatistics? statistics)
    {
        var compact = new CompactJson();
        var state = new JsonReaderState(new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var length = 0;
        var isFinal = false;
        var first = true;
        var rootType = JsonTokenType.None;
        var lines = new LineCounter();

        // The path of the current container: property names and array indexes; frames hold the next index.
        var path = new List<object>();
        var frames = new Stack<Frame>();
        string? pendingProperty = null;

        while (true)
        {
            if (!isFinal)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxValueBytes)
                    {
                        throw new InputException(displayPath, lines.Line, null, $"a single JSON value is larger than {MaxValueBytes / (1024 * 1024)} MiB; split the export");
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                if (statistics is not null)
                {
                    statistics.MaxBufferBytes = Math.Max(statistics.MaxBufferBytes, buffer.Length);
                }

                var read = stream.Read(buffer, length, buffer.Length - length);
                if (statistics is not null)
                {
                    statistics.BytesRead += read;
                }

                if (read == 0)
                {
                    isFinal = true;
                }

                length += read;
                if (first && length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF)
                {
                    // ScubaGear writes UTF-8 with a BOM (Windows PowerShell 5.1); Utf8JsonReader does not skip it.
                    buffer.AsSpan(3, length - 3).CopyTo(buffer);
                    length -= 3;
                    lines.SkipBom();
                }

                if (first && (length >= 3 || isFinal))
                {
                    first = false;
                }
            }

            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), isFinal, state);
            var consumed = 0L;
            var done = false;
            var tokenStart = 0L;
            try
            {
                while (true)
                {
                    var before = reader.CurrentState;
                    var beforeConsumed = reader.BytesConsumed;
                    if (!reader.Read())
                    {
                        done = isFinal;
                        break;
                    }

                    var token = reader.TokenType;
                    tokenStart = reader.TokenStartIndex;
                    if (frames.Count == 0 && rootType == JsonTokenType.None)
                    {
                        rootType = token;
                    }

                    switch (token)
                    {
                        case JsonTokenType.PropertyName:
                            pendingProperty = StrictJson.ReadString(ref reader);
                            break;
                        case JsonTokenType.StartObject or JsonTokenType.StartArray:
                            {
                                if (frames.Count == 0)
                                {
                                    frames.Push(new Frame(token == JsonTokenType.StartArray));
                                    break;
                                }

                                var segment = NextSegment(frames, pendingProperty);
                                path.Add(segment);
                                var action = decide(path, token);
                                if (action == WalkAction.Descend)
                                {
                                    frames.Push(new Frame(token == JsonTokenType.StartArray));
                                    pendingProperty = null;
                                    break;
                                }

                                var start = reader.TokenStartIndex;
                                if (!reader.TrySkip())
                                {
                                    // Not all of it is in the buffer yet: rewind to the start token and read more.
                                    path.RemoveAt(path.Count - 1);
                                    state = before;
                                    consumed = beforeConsumed;
                                    goto Refill;
                                }

                                if (action == WalkAction.Capture)
                                {
                                    var slice = buffer.AsSpan((int)start, (int)(reader.BytesConsumed - start));
                                    var (line, column) = lines.PositionOf(buffer, (int)start);
                                    var json = compact.Compact(slice, out var top);
                                    onValue(new CapturedValue(path.Count, path[0] as string, json, top, line, column));
                                }

                                Advance(frames);
                                path.RemoveAt(path.Count - 1);
                                pendingProperty = null;
                                break;
                            }

                        case JsonTokenType.EndObject or JsonTokenType.EndArray:
                            frames.Pop();
                            if (frames.Count > 0)
                            {
                                path.RemoveAt(path.Count - 1);
                                Advance(frames);
                            }

                            break;
                        default:
                            if (frames.Count == 0)
                            {
                                break;
                            }

                            // A scalar: offered to the caller only when it is a direct child of the root object.
                            var scalarSegment = NextSegment(frames, pendingProperty);
                            if (frames.Count == 1 && !frames.Peek().IsArray)
                            {
                                path.Add(scalarSegment);
                                if (decide(path, token) == WalkAction.Capture)
                                {
                                    var (line, column) = lines.PositionOf(buffer, (int)reader.TokenStartIndex);
                                    var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
                                    var node = token switch
                                    {
                                        JsonTokenType.String => JsonValue.Create(StrictJson.ReadString(ref reader)),
                                        JsonTokenType.Number => JsonNode.Parse(raw),
                                        JsonTokenType.True => JsonValue.Create(true),
                                        JsonTokenType.False => JsonValue.Create(false),
                                        _ => null,
                                    };
                                    onValue(new CapturedValue(path.Count, path[0] as string, node, line, column));
                                }

                                path.RemoveAt(path.Count - 1);
                            }

                            Advance(frames);
                            pendingProperty = null;
                            break;
                    }

                    consumed = reader.BytesConsumed;
                    state = reader.CurrentState;
                }

                consumed = reader.BytesConsumed;
                state = reader.CurrentState;
            }
            catch (JsonException ex) when (rootType == JsonTokenType.None && buffer.AsSpan(0, length).IndexOfAnyExcept(" \t\r\n"u8) < 0)
            {
                // Nothing but white space (or nothing at all): say so, not the parser's "no JSON tokens".
                throw new InputException(displayPath, 1, 1, "the file is empty", ex);
            }
            catch (JsonException ex) when (ex.LineNumber is null && Utf8Text.FirstInvalid(buffer.AsSpan((int)tokenStart, (int)(reader.BytesConsumed - tokenStart))) is >= 0 and var bad)
            {
                // Invalid UTF-8 in a string StrictJson.ReadString refused: report the byte itself, where it is.
                var (line, column) = lines.PositionOf(buffer, (int)tokenStart + bad);
                throw new InputException(displayPath, line, column, Utf8Text.Message(buffer[(int)tokenStart + bad]), ex);
            }
            catch (JsonException ex) when (ex.LineNumber is null)
            {
                // A string that is not well-formed Unicode (StrictJson.ReadString): the token that holds it.
                var (line, column) = lines.PositionOf(buffer, (int)tokenStart);
                throw new InputException(displayPath, line, column, $"malformed JSON: {FirstSentence(ex.Message)}", ex);
            }
            catch (JsonException ex)
            {
                throw new InputException(displayPath, (ex.LineNumber ?? 0) + 1, (ex.BytePositionInLine ?? 0) + 1, $"malformed JSON: {FirstSentence(ex.Message)}", ex);
            }
            catch (InvalidOperationException ex) when (Utf8Text.FirstInvalid(buffer.AsSpan((int)tokenStart, (int)(reader.BytesConsumed - tokenStart))) is >= 0 and var offset)
            {
                // A bad byte in a string value or property name surfaces only when the string is decoded (here, or
                // while compacting a captured value): report it where it is.
                var (line, column) = lines.PositionOf(buffer, (int)tokenStart + offset);
                throw new InputException(displayPath, line, column, Utf8Text.Message(buffer[(int)tokenStart + offset]), ex);
            }

        Refill:
            if (done)
            {
                if (rootType == JsonTokenType.None)
                {
                    throw new InputException(displayPath, 1, 1, "the file is empty");
                }

                return rootType;
            }

            if (isFinal && consumed == 0 && length > 0)
            {
                throw new InputException(displayPath, lines.Line, null, "malformed JSON: the file ends inside a value");
            }

            lines.Consume(buffer, (int)consumed);
            buffer.AsSpan((int)consumed, length - (int)consumed).CopyTo(buffer);
            length -= (int)consumed;
        }
    }

    private static object NextSegment(Stack<Frame> frames, string? pendingProperty)
    {
        var frame = frames.Peek();
        return frame.IsArray ? frame.Index : pendingProperty ?? string.Empty;
    }

    private static void Advance(Stack<Frame> frames)
    {
        if (frames.Count > 0 && frames.Peek().IsArray)
        {
            frames.Peek().Index++;
        }
    }

    /// <summary>The parser's message without the position it appends (0-based, and already in the file:line:col).</summary>
    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message;
    }

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;

        public int Index { get; set; }
    }

    /// <summary>Turns buffer offsets into 1-based lines and columns, counting each byte once.</summary>
    private sealed class LineCounter
    {
        private int _scanned;
        private long _lineStartInBuffer;

        public int Line { get; private set; } = 1;

        public void SkipBom() => _lineStartInBuffer = 0;

        public (int Line, int Column) PositionOf(byte[] buffer, int index)
        {
            for (; _scanned < index; _scanned++)
            {
                if (buffer[_scanned] == (byte)'\n')
                {
                    Line++;
                    _lineStartInBuffer = _scanned + 1;
                }
            }

            return (Line, (int)(index - _lineStartInBuffer) + 1);
        }

        /// <summary>The first <paramref name="consumed"/> bytes leave the buffer.</summary>
        public void Consume(byte[] buffer, int consumed)
        {
            PositionOf(buffer, consumed);
            _scanned -= consumed;
            _lineStartInBuffer -= consumed;
        }
    }
}
