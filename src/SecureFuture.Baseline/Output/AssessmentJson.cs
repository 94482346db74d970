using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    public static JsonObject ToJson(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        return new JsonObject
        {
            ["assessedAt"] = assessment.AssessedAt.ToString("O", CultureInfo.InvariantCulture),
            ["catalogueVersion"] = 1,
            ["inputs"] = new JsonArray([.. assessment.Files.Select(f => (JsonNode)new JsonObject { ["path"] = f.Path, ["format"] = f.Format.ToString(), ["resources"] = f.ResourceCount, ["skipped"] = f.SkippedCount })]),
            ["results"] = new JsonArray([.. assessment.Results.Select(r => (JsonNode)new JsonObject
            {
                ["controlId"] = r.ControlId,
                ["status"] = StatusToken(r.Status),
                ["resource"] = r.Resource.Id,
                ["resourceType"] = r.Resource.Type,
                ["resourceName"] = r.Resource.Name,
                ["source"] = r.Resource.Source is { } s ? new JsonObject { ["path"] = s.Path, ["line"] = s.Line, ["column"] = s.Column } : null,
                ["evidence"] = r.Evidence,
                ["propertyPath"] = r.PropertyPath,
                ["exception"] = r.Exception is { } e ? new JsonObject { ["owner"] = e.Owner, ["reason"] = e.Reason, ["expires"] = e.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) } : null,
            })]),
            ["expiredExceptions"] = new JsonArray([.. assessment.ExpiredExceptions.Select(e => (JsonNode)new JsonObject
            {
                ["controlId"] = e.ControlId, ["resource"] = e.ResourcePattern, ["owner"] = e.Owner, ["expires"] = e.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            })]),
        };
    }

    private static int Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : 1;

    public static async Task WriteAsync(Assessment assessment, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        ToJson(assessment).WriteTo(writer);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Reads a saved assessment (for diff); errors name the file.</summary>
    public static Assessment Read(Stream input, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(input);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(input);
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

        var at = Field.Text(root["assessedAt"]) is { } t && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : default;
        return new Assessment { Results = list, AssessedAt = at };
    }
}
