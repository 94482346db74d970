using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Baseline.Input;
using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>
/// The assessment as JSON: one result per control and resource (<c>controlId</c>, <c>status</c>, <c>resource</c>,
/// <c>evidence</c>, ...). Saved assessments are what <see cref="AssessmentDiff"/> compares.
/// </summary>
public static class AssessmentJson
{
    public static string StatusToken(ControlStatus status) => status switch
    {
        ControlStatus.Pass => "pass",
        ControlStatus.Fail => "fail",
        ControlStatus.NotApplicable => "notApplicable",
        ControlStatus.Unknown => "unknown",
        ControlStatus.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The assessment as a JSON tree (what <see cref="WriteAsync"/> writes); for small assessments and tests.</summary>
    public static JsonObject ToJson(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        using var buffer = new MemoryStream();
        using (var writer = new AssessmentJsonWriter(buffer))
        {
            writer.WriteAll(assessment);
        }

        return (JsonObject)JsonNode.Parse(buffer.ToArray())!;
    }

    private static int Count(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) && i >= 0 ? i : 0;

    private static int Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : 1;

    public static async Task WriteAsync(Assessment assessment, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        ArgumentNullException.ThrowIfNull(output);
        await using var writer = new AssessmentJsonWriter(output);
        writer.WriteAll(assessment);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Reads a saved assessment (for diff); errors name the file.</summary>
    public static Assessment Read(Stream input, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var copy = new MemoryStream();
        input.CopyTo(copy);
        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        if (Utf8Text.FirstInvalid(bytes.Span) is >= 0 and var bad)
        {
            var before = bytes.Span[..bad];
            throw new InputException(displayPath, before.Count((byte)'\n') + 1, bad - before.LastIndexOf((byte)'\n'), Utf8Text.Message(bytes.Span[bad]));
        }

        JsonNode? root;
        try
        {
            copy.Position = 0;
            root = JsonNode.Parse(copy); // the stream overload skips a UTF-8 BOM
        }
        catch (JsonException ex)
        {
            throw new InputException(displayPath, (ex.LineNumber ?? 0) + 1, (ex.BytePositionInLine ?? 0) + 1, $"malformed JSON: {ex.Message}", ex);
        }

        if (root?["results"] is not JsonArray results)
        {
            throw new InputException(displayPath, null, null, "not a saved baseline assessment (no \"results\" array)");
        }

        var list = new List<ControlResult>();
        foreach (var r in results.OfType<JsonObject>())
        {
            var status = Field.Text(r["status"]) switch
            {
                "pass" => ControlStatus.Pass,
                "fail" => ControlStatus.Fail,
                "notApplicable" => ControlStatus.NotApplicable,
                "error" => ControlStatus.Error,
                _ => ControlStatus.Unknown,
            };
            var source = r["source"] is JsonObject s && Field.Text(s["path"]) is { } p
                ? new SourceLocation(p, Int(s["line"]), Int(s["column"]))
                : null;
            list.Add(new ControlResult
            {
                ControlId = Field.Text(r["controlId"]) ?? throw new InputException(displayPath, null, null, "a result has no controlId"),
                Status = status,
                Resource = new ResourceRef(Field.Text(r["resource"]) ?? "tenant", Field.Text(r["resourceType"]) ?? "tenant", Field.Text(r["resourceName"]), source),
                Evidence = Field.Text(r["evidence"]) ?? string.Empty,
                PropertyPath = Field.Text(r["propertyPath"]),
            });
        }

        // The inputs come back too, the refused ones above all: an input the saved run could not read still means
        // that run assessed less than its results suggest, and diff reports it and fails its gate over it.
        var files = new List<InputFile>();
        var refused = new List<Notification>();
        foreach (var entry in (root["inputs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var path = Field.Text(entry["path"]);
            if (Field.Text(entry["refused"]) is { } reason)
            {
                refused.Add(new Notification(SnapshotReader.InputRefused, NotificationLevel.Error, reason) { Path = path });
            }
            else if (path is not null && Enum.TryParse<InputFormat>(Field.Text(entry["format"]), ignoreCase: false, out var format))
            {
                files.Add(new InputFile(path, format, Count(entry["resources"]), Count(entry["skipped"])));
            }
        }

        var at = Field.Text(root["assessedAt"]) is { } t && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : default;
        return new Assessment { Results = list, AssessedAt = at, Files = files, Notifications = refused };
    }
}

/// <summary>
/// Writes an assessment as JSON while it runs: <see cref="Start"/> and <see cref="Write"/> are the
/// <see cref="ResultSink"/> callbacks (<see cref="Sink"/>), <see cref="Complete"/> adds what is known only at the end.
/// Memory stays flat whatever the number of results: the writer flushes to the stream every 64 KiB.
/// </summary>
public sealed class AssessmentJsonWriter : IDisposable, IAsyncDisposable
{
    private const int FlushAt = 64 * 1024;
    private readonly Utf8JsonWriter _writer;
    private bool _started;

    public AssessmentJsonWriter(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
    }

    /// <summary>Results go to this writer as they come; <paramref name="keep"/> says which the assessment keeps too (none by default).</summary>
    public ResultSink Sink(Func<ControlResult, bool>? keep = null) => new() { OnStart = Start, OnResult = Write, Keep = keep ?? (_ => false) };

    /// <summary>Opens the document: the time of the assessment, then the results array.</summary>
    public void Start(DateTimeOffset assessedAt)
    {
        if (_started)
        {
            throw new InvalidOperationException("the assessment has already started");
        }

        _started = true;
        _writer.WriteStartObject();
        _writer.WriteString("assessedAt", assessedAt.ToString("O", CultureInfo.InvariantCulture));
        _writer.WriteNumber("catalogueVersion", 1);
        _writer.WriteStartArray("results");
    }

    public void Write(ControlResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!_started)
        {
            throw new InvalidOperationException("Start comes before the first result");
        }

        var w = _writer;
        w.WriteStartObject();
        w.WriteString("controlId", result.ControlId);
        w.WriteString("status", AssessmentJson.StatusToken(result.Status));
        w.WriteString("resource", result.Resource.Id);
        w.WriteString("resourceType", result.Resource.Type);
        WriteStringOrNull(w, "resourceName", result.Resource.Name);
        if (result.Resource.Source is { } s)
        {
            w.WriteStartObject("source");
            w.WriteString("path", s.Path);
            w.WriteNumber("line", s.Line);
            w.WriteNumber("column", s.Column);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("source");
        }

        w.WriteString("evidence", result.Evidence);
        WriteStringOrNull(w, "propertyPath", result.PropertyPath);
        if (result.Exception is { } e)
        {
            w.WriteStartObject("exception");
            w.WriteString("owner", e.Owner);
            w.WriteString("reason", e.Reason);
            w.WriteString("expires", e.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("exception");
        }

        w.WriteEndObject();
        if (w.BytesPending >= FlushAt)
        {
            w.Flush();
        }
    }

    /// <summary>Closes the results and adds the inputs and the expired exceptions.</summary>
    public void Complete(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var w = _writer;
        w.WriteEndArray();
        w.WriteStartArray("inputs");
        foreach (var f in assessment.Files)
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("format", f.Format.ToString());
            w.WriteNumber("resources", f.ResourceCount);
            w.WriteNumber("skipped", f.SkippedCount);
            w.WriteEndObject();
        }

        // A file (or directory) found and refused is an input too: the report says so, not only standard error.
        foreach (var n in assessment.Notifications.Where(n => n.Id == SnapshotReader.InputRefused))
        {
            w.WriteStartObject();
            w.WriteString("path", n.Path);
            w.WriteString("refused", n.Message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("expiredExceptions");
        foreach (var e in assessment.ExpiredExceptions)
        {
            w.WriteStartObject();
            w.WriteString("controlId", e.ControlId);
            w.WriteString("resource", e.ResourcePattern);
            w.WriteString("owner", e.Owner);
            w.WriteString("expires", e.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Writes an assessment held in memory.</summary>
    internal void WriteAll(Assessment assessment)
    {
        Start(assessment.AssessedAt);
        foreach (var r in assessment.Results)
        {
            Write(r);
        }

        Complete(assessment);
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    public void Dispose() => _writer.Dispose();

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
