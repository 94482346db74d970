using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// Reads a pushed SARIF 2.1.0 log (plain or gzip) as a stream of <see cref="IngestedResult"/>, without ever holding
/// the log: a <see cref="Utf8JsonReader"/> walks buffered chunks of the stream, and each result (and each tool,
/// invocation, artifact and automationDetails object) is parsed on its own as a small <see cref="JsonDocument"/> once
/// its last byte has arrived. Memory is one chunk plus the largest such object (<see cref="IngestLimits.MaxObjectBytes"/>)
/// plus a few tens of bytes per distinct finding (its 128-bit key, for de-duplication), whatever the size of the log.
/// <para>
/// A result needs its run's tool (for its rules) and automation id (for its category). When a run's <c>results</c>
/// come before either (SARIF fixes no property order; Semgrep writes <c>results</c> before <c>tool</c>, and a producer
/// may put <c>automationDetails</c> last), its results are spooled to a temporary file and produced when the run ends.
/// </para>
/// <para>
/// Errors are <see cref="SarifIngestException"/> with the JSON path and position, and may come after results have
/// been produced (a log truncated in its last run): the caller must treat the analysis as one unit and keep nothing of
/// a log that failed. <see cref="Runs"/> is available once the results have been read to the end.
/// </para>
/// </summary>
public sealed class SarifLogReader : IDisposable
{
    private const int InitialBufferSize = 1 << 16;
    private const int ReadSize = 1 << 16;
    private const int BatchSize = 256;
    private const int MaxInternedNames = 4096;
    private const int MaxInternedNameLength = 128;
    private const string SupportedVersion = "2.1.0";

    private readonly Stream _pushed;
    private readonly string? _pushedCategory;
    private readonly IngestLimits _limits;
    private readonly IdentityTracker _identities = new();
    private readonly List<IngestedRun> _runs = [];
    private readonly List<Frame> _frames = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly JsonDocumentOptions _documentOptions;
    private Stream? _input;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _pos;
    private int _end;
    private bool _final;
    private JsonReaderState _state;
    private bool _started;
    private bool _completed;
    private bool _done;
    private string? _version;
    private bool _seenRuns;
    private bool _bomSkipped;

    private readonly LineCounter _lines = new();

    // The object being captured (parsed as one document when it ends), or -1.
    private int _captureStart = -1;
    private Capture _capture;
    private int _captureIndex;
    private JsonPosition _capturePosition;

    private RunContext? _run;
    private int _runCount;
    private int _resultCount;
    private int _artifactCount;

    /// <param name="pushed">The pushed bytes; read forward only, not disposed.</param>
    /// <param name="pushedCategory">The category the push named, used for runs without <c>automationDetails.id</c>.</param>
    /// <param name="limits">Limits; <see cref="IngestLimits.Default"/> when null.</param>
    public SarifLogReader(Stream pushed, string? pushedCategory, IngestLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(pushed);
        _pushed = pushed;
        _pushedCategory = pushedCategory;
        _limits = limits ?? IngestLimits.Default;
        _limits.Validate();
        _documentOptions = StrictJson.DocumentOptions(_limits.MaxDepth);
        // The reader enforces the depth limit itself (also inside objects it skips whole); Malformed tells it apart.
        _state = new JsonReaderState(new JsonReaderOptions { MaxDepth = _limits.MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
    }

    private enum Status
    {
        Continue,
        NeedData,
        Yield,
        RunEnded,
        Done,
    }

    private enum Role
    {
        Other,
        Root,
        Version,
        Runs,
        Run,
        Tool,
        AutomationDetails,
        Results,
        Invocations,
        Artifacts,
    }

    private enum Capture
    {
        Tool,
        AutomationDetails,
        Invocation,
        Artifact,
        Result,
    }

    /// <summary>True when the pushed bytes were gzip (known once reading has started).</summary>
    public bool WasGzip { get; private set; }

    /// <summary>The runs of the log, in order; available after <see cref="ReadResults"/> has been read to the end.</summary>
    public IReadOnlyList<IngestedRun> Runs => _completed
        ? _runs
        : throw new InvalidOperationException("The runs are known once every result has been read.");

    /// <summary>The log's results, in log order (a spooled run's at its end). Can be enumerated once.</summary>
    public IEnumerable<IngestedResult> ReadResults()
    {
        Start();
        return Iterate();

        IEnumerable<IngestedResult> Iterate()
        {
            // Synchronous: the task is complete when OpenAsync returns.
            Opened(GuardAsync(InputStreams.OpenAsync(_pushed, _limits, synchronous: true, CancellationToken.None)).AsTask().GetAwaiter().GetResult());
            var batch = new List<IngestedResult>(BatchSize);
            while (true)
            {
                var status = Step(batch);
                foreach (var result in batch)
                {
                    yield return result;
                }

                batch.Clear();
                switch (status)
                {
                    case Status.NeedData:
                        Compact();
                        Received(Guard(() => _input!.Read(_buffer, _end, Math.Min(ReadSize, _buffer.Length - _end))));
                        break;
                    case Status.RunEnded:
                        foreach (var result in FinishRun())
                        {
                            yield return result;
                        }

                        break;
                    case Status.Done:
                        Complete();
                        yield break;
                    default:
                        break;
                }
            }
        }
    }

    /// <summary>As <see cref="ReadResults"/>, reading the stream asynchronously (an HTTP request body).</summary>
    public IAsyncEnumerable<IngestedResult> ReadResultsAsync(CancellationToken cancellationToken = default)
    {
        Start();
        return Iterate(cancellationToken);

        async IAsyncEnumerable<IngestedResult> Iterate([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Opened(await GuardAsync(InputStreams.OpenAsync(_pushed, _limits, synchronous: false, cancellationToken)));
            var batch = new List<IngestedResult>(BatchSize);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var status = Step(batch);
                foreach (var result in batch)
                {
                    yield return result;
                }

                batch.Clear();
                switch (status)
                {
                    case Status.NeedData:
                        Compact();
                        Received(await GuardAsync(_input!.ReadAsync(_buffer.AsMemory(_end, Math.Min(ReadSize, _buffer.Length - _end)), cancellationToken)));
                        break;
                    case Status.RunEnded:
                        foreach (var result in FinishRun())
                        {
                            yield return result;
                        }

                        break;
                    case Status.Done:
                        Complete();
                        yield break;
                    default:
                        break;
                }
            }
        }
    }

    public void Dispose()
    {
        _run?.Spool?.Dispose();
        _input?.Dispose();
    }

    private void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("A SARIF log can be read once.");
        }

        _started = true;
    }

    private void Opened((Stream Json, bool Gzip) input)
    {
        _input = input.Json;
        WasGzip = input.Gzip;
    }

    // ---- the walk -------------------------------------------------------------------------------------------

    private Status Step(List<IngestedResult> batch)
    {
        if (!_bomSkipped)
        {
            // Tools that write with .NET's Encoding.UTF8 or PowerShell start the file with a UTF-8 byte order mark,
            // which RFC 8259 §8.1 lets a parser ignore and Utf8JsonReader does not.
            if (_end < 3 && !_final)
            {
                return Status.NeedData;
            }

            _bomSkipped = true;
            if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8))
            {
                _pos = 3;
            }
        }

        var reader = new Utf8JsonReader(_buffer.AsSpan(_pos, _end - _pos), _final, _state);
        var status = Status.NeedData;
        try
        {
            while (reader.Read())
            {
                status = Handle(ref reader, batch);
                if (status != Status.Continue)
                {
                    break;
                }

                status = batch.Count >= BatchSize ? Status.Yield : Status.NeedData;
                if (status == Status.Yield)
                {
                    break;
                }
            }
        }
        catch (JsonException e)
        {
            throw Malformed(e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader checks UTF-8 only when a string is decoded (here: the version, an escaped name).
            throw Error(SarifIngestError.Malformed, _pos + (int)reader.TokenStartIndex, $"a string is not valid UTF-8: {e.Message}");
        }

        _pos += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
        if (status == Status.NeedData && _final)
        {
            // With the final block, the reader throws on incomplete JSON, so this is the end of a whole document.
            return _done ? Status.Done : throw Error(SarifIngestError.Malformed, _end, "the JSON ends early (a truncated upload?)");
        }

        return status;
    }

    private Status Handle(ref Utf8JsonReader reader, List<IngestedResult> batch)
    {
        var token = reader.TokenType;
        var at = _pos + (int)reader.TokenStartIndex;
        switch (token)
        {
            case JsonTokenType.PropertyName:
                CheckLength(ref reader, at, "a property name");
                var top = _frames[^1];
                top.Name = Name(ref reader);
                top.NextRole = top.Role switch
                {
                    Role.Root => reader.ValueTextEquals("runs"u8) ? Role.Runs : reader.ValueTextEquals("version"u8) ? Role.Version : Role.Other,
                    Role.Run => RunMember(ref reader),
                    _ => Role.Other,
                };
                if (top.NextRole != Role.Other)
                {
                    var bit = 1 << (int)top.NextRole;
                    if ((top.Seen & bit) != 0)
                    {
                        throw Error(SarifIngestError.NotSarif, at, $"'{top.Name}' appears twice in one object");
                    }

                    top.Seen |= bit;
                }

                _frames[^1] = top;
                return Status.Continue;

            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                return End(ref reader, batch);

            default:
                return Value(ref reader, at, batch);
        }
    }

    private static Role RunMember(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("results"u8) ? Role.Results
        : reader.ValueTextEquals("tool"u8) ? Role.Tool
        : reader.ValueTextEquals("invocations"u8) ? Role.Invocations
        : reader.ValueTextEquals("automationDetails"u8) ? Role.AutomationDetails
        : reader.ValueTextEquals("artifacts"u8) ? Role.Artifacts
        : Role.Other;

    private Status Value(ref Utf8JsonReader reader, int at, List<IngestedResult> batch)
    {
        var token = reader.TokenType;
        var role = Role.Root;
        var elementOf = Role.Other;
        if (_frames.Count > 0)
        {
            var parent = _frames[^1];
            if (parent.IsArray)
            {
                parent.Index++;
                _frames[^1] = parent;
                elementOf = parent.Role;
                role = Role.Other;
            }
            else
            {
                role = parent.NextRole;
            }
        }
        else if (token != JsonTokenType.StartObject)
        {
            throw Error(SarifIngestError.NotSarif, at, "a SARIF log is a JSON object (SARIF §3.13)");
        }

        if (token == JsonTokenType.String)
        {
            CheckLength(ref reader, at, "a string");
        }

        var isContainer = token is JsonTokenType.StartObject or JsonTokenType.StartArray;

        Capture? capture = null;
        switch (elementOf)
        {
            case Role.Runs:
                Expect(token, JsonTokenType.StartObject, at, "a run is not an object");
                role = Role.Run;
                if (++_runCount > _limits.MaxRuns)
                {
                    throw Error(SarifIngestError.LimitExceeded, at, $"more than {_limits.MaxRuns} runs (IngestLimits.MaxRuns)");
                }

                _run = new RunContext(_runCount - 1, _pushedCategory);
                _artifactCount = 0;
                break;
            case Role.Results:
                Expect(token, JsonTokenType.StartObject, at, "a result is not an object");
                if (++_resultCount > _limits.MaxResults)
                {
                    throw Error(SarifIngestError.LimitExceeded, at, $"more than {_limits.MaxResults} results (IngestLimits.MaxResults)");
                }

                capture = Capture.Result;
                break;
            case Role.Invocations:
                Expect(token, JsonTokenType.StartObject, at, "an invocation is not an object");
                capture = Capture.Invocation;
                break;
            case Role.Artifacts:
                Expect(token, JsonTokenType.StartObject, at, "an artifact is not an object");
                if (++_artifactCount > _limits.MaxResults)
                {
                    throw Error(SarifIngestError.LimitExceeded, at, $"more than {_limits.MaxResults} artifacts in a run (IngestLimits.MaxResults)");
                }

                capture = Capture.Artifact;
                break;
            default:
                break;
        }

        switch (role)
        {
            case Role.Version:
                Expect(token, JsonTokenType.String, at, "version is not a string");
                _version = reader.GetString();
                if (_version != SupportedVersion)
                {
                    throw Error(SarifIngestError.NotSarif, at, $"version '{_version}' is not supported; push SARIF {SupportedVersion}");
                }

                break;
            case Role.Runs:
                // §3.13.4: runs is null when the tool failed to start; the log then has no runs.
                _seenRuns = true;
                if (token != JsonTokenType.Null)
                {
                    Expect(token, JsonTokenType.StartArray, at, "runs is not an array");
                }

                break;
            case Role.Tool:
                Expect(token, JsonTokenType.StartObject, at, "tool is not an object");
                capture = Capture.Tool;
                break;
            case Role.AutomationDetails when token != JsonTokenType.Null:
                Expect(token, JsonTokenType.StartObject, at, "automationDetails is not an object");
                capture = Capture.AutomationDetails;
                break;
            case Role.Results when token != JsonTokenType.Null:
                Expect(token, JsonTokenType.StartArray, at, "results is not an array");
                _run!.ResultsPresent = true;
                break;
            case Role.Invocations or Role.Artifacts when token != JsonTokenType.Null:
                Expect(token, JsonTokenType.StartArray, at, $"{(role == Role.Invocations ? "invocations" : "artifacts")} is not an array");
                break;
            default:
                break;
        }

        if (isContainer)
        {
            var inCapture = _captureStart >= 0;
            if (capture is { } kind && !inCapture)
            {
                _capture = kind;
                _captureIndex = kind switch
                {
                    Capture.Result or Capture.Invocation or Capture.Artifact => _frames[^1].Index,
                    _ => 0,
                };
                _capturePosition = PositionAt(at);
                if (TrySkipWhole(ref reader, at, out var end))
                {
                    return Captured(_buffer.AsMemory(at, end - at), batch);
                }

                _captureStart = at;
            }

            _frames.Add(new Frame
            {
                Role = inCapture || capture is not null ? Role.Other : role,
                IsArray = token == JsonTokenType.StartArray,
                Index = -1,
                IsCaptureRoot = capture is not null && !inCapture,
            });
        }

        return Status.Continue;
    }

    /// <summary>
    /// The fast path: an object already whole in the buffer is skipped by the reader (which checks its syntax and depth)
    /// rather than walked token by token. It is taken only when the object is too short to hold a string over the limit
    /// or to be over the object limit; anything else, or a fault inside, goes the token walk, which says where.
    /// </summary>
    private bool TrySkipWhole(ref Utf8JsonReader reader, int at, out int end)
    {
        var copy = reader;
        end = 0;
        try
        {
            if (!copy.TrySkip())
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        end = _pos + (int)copy.BytesConsumed;
        if (end - at > Math.Min(_limits.MaxStringBytes, _limits.MaxObjectBytes))
        {
            return false;
        }

        reader = copy;
        return true;
    }

    private Status End(ref Utf8JsonReader reader, List<IngestedResult> batch)
    {
        var frame = _frames[^1];
        _frames.RemoveAt(_frames.Count - 1);
        if (frame.IsCaptureRoot)
        {
            var end = _pos + (int)reader.BytesConsumed;
            if (end - _captureStart > _limits.MaxObjectBytes)
            {
                throw Error(SarifIngestError.LimitExceeded, _captureStart, $"the {_capture.ToString().ToLowerInvariant()} object is larger than {_limits.MaxObjectBytes} bytes (IngestLimits.MaxObjectBytes)");
            }
            var json = _buffer.AsMemory(_captureStart, end - _captureStart);
            _captureStart = -1;
            return Captured(json, batch);
        }

        switch (frame.Role)
        {
            case Role.Run:
                return Status.RunEnded;
            case Role.Root:
                _done = true;
                return Status.Continue;
            default:
                return Status.Continue;
        }
    }

    private Status Captured(ReadOnlyMemory<byte> json, List<IngestedResult> batch)
    {
        var run = _run!;
        if (_capture == Capture.Result && !(run.HasTool && run.SeenAutomationDetails && run.Spool is null))
        {
            run.Spool ??= new ResultSpool();
            run.Spool.Add(json.Span, _captureIndex, _capturePosition);
        }
        else if (Read(json, _capture, _captureIndex, _capturePosition) is { } result)
        {
            batch.Add(result);
        }

        return Status.Continue;
    }

    /// <summary>Parses one captured object and hands it to what reads it; a fault is reported at the object's path.</summary>
    private IngestedResult? Read(ReadOnlyMemory<byte> json, Capture kind, int index, JsonPosition position)
    {
        var run = _run!;
        try
        {
            using var document = JsonDocument.Parse(json, _documentOptions);
            var root = document.RootElement;
            switch (kind)
            {
                case Capture.Result:
                    return ResultMapper.Map(root, run, _identities, index);
                case Capture.Tool:
                    run.ReadTool(root);
                    break;
                case Capture.AutomationDetails:
                    run.ReadAutomationDetails(root);
                    break;
                case Capture.Invocation:
                    run.ReadInvocation(root, index);
                    break;
                default:
                    run.ReadArtifact(root);
                    break;
            }

            return null;
        }
        catch (RunFormatException e)
        {
            throw new SarifIngestException(SarifIngestError.NotSarif, CapturePath(run, kind, index) + e.RelativePath, position, e.Message);
        }
        catch (JsonException e)
        {
            // The reader has checked the syntax; what is left is what a document refuses: a member twice in one object.
            throw new SarifIngestException(SarifIngestError.Malformed, CapturePath(run, kind, index), position, StripReaderPosition(e.Message), e);
        }
        catch (InvalidOperationException e)
        {
            // A JsonDocument checks a string's UTF-8 when the string is read.
            throw new SarifIngestException(SarifIngestError.Malformed, CapturePath(run, kind, index), position, $"a string is not valid UTF-8: {e.Message}", e);
        }
    }

    private static string CapturePath(RunContext run, Capture kind, int index) => kind switch
    {
        Capture.Tool => $"{run.Path}.tool",
        Capture.AutomationDetails => $"{run.Path}.automationDetails",
        Capture.Invocation => $"{run.Path}.invocations[{index}]",
        Capture.Artifact => $"{run.Path}.artifacts[{index}]",
        _ => $"{run.Path}.results[{index}]",
    };

    private IEnumerable<IngestedResult> FinishRun()
    {
        var run = _run!;
        if (!run.HasTool)
        {
            throw new SarifIngestException(SarifIngestError.NotSarif, run.Path, PositionAt(_pos), "the run has no tool (SARIF §3.14.6)");
        }

        if (run.Spool is { } spool)
        {
            foreach (var entry in spool.ReadAll())
            {
                if (Read(entry.Json, Capture.Result, entry.ResultIndex, entry.Position) is { } result)
                {
                    yield return result;
                }
            }

            spool.Dispose();
            run.Spool = null;
        }

        if (!run.ResultsPresent)
        {
            run.Incomplete("results is absent or null: the tool did not run (SARIF §3.14.23)");
        }

        _runs.Add(run.ToRun());
        _run = null;
    }

    private void Complete()
    {
        if (!_seenRuns)
        {
            throw new SarifIngestException(SarifIngestError.NotSarif, "$", null, "the log has no runs (SARIF §3.13.4)");
        }

        if (_version is null)
        {
            throw new SarifIngestException(SarifIngestError.NotSarif, "$", null, $"the log has no version; a SARIF {SupportedVersion} log says \"version\": \"{SupportedVersion}\" (SARIF §3.13.2)");
        }

        _completed = true;
    }

    // ---- the buffer -----------------------------------------------------------------------------------------

    /// <summary>Drops what has been read (keeping an object being captured) and grows the buffer when it is full.</summary>
    private void Compact()
    {
        var keep = _captureStart >= 0 ? _captureStart : _pos;
        if (_captureStart >= 0 && _end - _captureStart > _limits.MaxObjectBytes)
        {
            throw Error(SarifIngestError.LimitExceeded, _captureStart, $"the {_capture.ToString().ToLowerInvariant()} object is larger than {_limits.MaxObjectBytes} bytes (IngestLimits.MaxObjectBytes)");
        }

        // The reader stops before a token it has not seen the end of; so many bytes pending means a token that long.
        if (_end - _pos > _limits.MaxStringBytes + 16)
        {
            throw Error(SarifIngestError.LimitExceeded, _pos, $"a string, number or run of white space is longer than {_limits.MaxStringBytes} bytes (IngestLimits.MaxStringBytes)");
        }

        if (keep > 0)
        {
            _lines.Discard(_buffer.AsSpan(0, _end), keep);
            Buffer.BlockCopy(_buffer, keep, _buffer, 0, _end - keep);
            _pos -= keep;
            _end -= keep;
            if (_captureStart >= 0)
            {
                _captureStart -= keep;
            }
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    private void Received(int count)
    {
        if (count == 0)
        {
            _final = true;
        }

        _end += count;
    }

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (StreamLimitException e)
        {
            throw Error(SarifIngestError.LimitExceeded, _end, e.Message);
        }
        catch (InvalidDataException e)
        {
            throw Error(SarifIngestError.Malformed, _end, $"the gzip data is corrupt: {e.Message}");
        }
    }

    private async ValueTask<T> GuardAsync<T>(ValueTask<T> read)
    {
        try
        {
            return await read;
        }
        catch (StreamLimitException e)
        {
            throw Error(SarifIngestError.LimitExceeded, _end, e.Message);
        }
        catch (InvalidDataException e)
        {
            throw Error(SarifIngestError.Malformed, _end, $"the gzip data is corrupt: {e.Message}");
        }
    }

    // ---- where --------------------------------------------------------------------------------------------------

    private JsonPosition PositionAt(int index) => _lines.At(_buffer.AsSpan(0, _end), index);

    private string CurrentPath()
    {
        var path = new StringBuilder("$");
        foreach (var frame in _frames)
        {
            if (frame.IsArray)
            {
                if (frame.Index >= 0)
                {
                    path.Append('[').Append(frame.Index).Append(']');
                }
            }
            else if (frame.Name is { } name)
            {
                if (name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$'))
                {
                    path.Append('.').Append(name);
                }
                else
                {
                    path.Append("['").Append(name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
                }
            }
        }

        return path.ToString();
    }

    private SarifIngestException Error(SarifIngestError error, int index, string detail) =>
        new(error, CurrentPath(), PositionAt(Math.Clamp(index, 0, _end)), detail);

    private SarifIngestException Malformed(JsonException e)
    {
        // The reader's state carries its line (0-based) and byte in line across chunks; find that line in the buffer
        // from the forward cursor, which is never past the fault.
        var lineStart = _lines.LineStart(_buffer.AsSpan(0, _end), (e.LineNumber ?? 0) + 1);
        var index = (int)Math.Clamp(lineStart + (e.BytePositionInLine ?? 0), 0, _end);
        if (_frames.Count >= _limits.MaxDepth)
        {
            // The reader refuses a container opened at the limit (JsonReaderOptions.MaxDepth); nothing else fails there.
            return Error(SarifIngestError.LimitExceeded, index, $"objects and arrays nest deeper than {_limits.MaxDepth} (IngestLimits.MaxDepth)");
        }

        var detail = StripReaderPosition(e.Message);
        if (_final && index >= _end)
        {
            detail = $"the JSON ends early (a truncated upload?): {detail}";
        }

        return new SarifIngestException(SarifIngestError.Malformed, CurrentPath(), PositionAt(index), detail, e);
    }

    // System.Text.Json appends "LineNumber: 0 | BytePositionInLine: 12." relative to one chunk; the real position is ours.
    private static string StripReaderPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (at < 0 ? message : message[..at]).TrimEnd(' ', '.') + ".";
    }

    private void CheckLength(ref Utf8JsonReader reader, int at, string what)
    {
        if (reader.ValueSpan.Length > _limits.MaxStringBytes)
        {
            throw Error(SarifIngestError.LimitExceeded, at, $"{what} is longer than {_limits.MaxStringBytes} bytes (IngestLimits.MaxStringBytes)");
        }
    }

    private void Expect(JsonTokenType actual, JsonTokenType expected, int at, string detail)
    {
        if (actual != expected)
        {
            throw Error(SarifIngestError.NotSarif, at, detail);
        }
    }

    private string Name(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (reader.ValueIsEscaped || raw.Length > MaxInternedNameLength)
        {
            return reader.GetString()!;
        }

        Span<char> chars = stackalloc char[MaxInternedNameLength];
        var length = Encoding.UTF8.GetChars(raw, chars);
        var lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..length], out var name))
        {
            return name;
        }

        name = new string(chars[..length]);
        if (_names.Count < MaxInternedNames)
        {
            _names.Add(name);
        }

        return name;
    }

    private struct Frame
    {
        public Role Role;
        public bool IsArray;
        public bool IsCaptureRoot;
        public int Index;
        public string? Name;
        public Role NextRole;
        public int Seen;
    }
}
