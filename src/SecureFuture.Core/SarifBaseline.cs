using System.Text.Json;
using SecureFuture.Core.Writers;

namespace SecureFuture.Core;

/// <summary>
/// Compares a run with a previous SARIF log and sets each finding's <see cref="BaselineState"/> (SARIF §3.27.24):
/// <c>new</c> (not in the baseline), <c>unchanged</c> (same content, same place), <c>updated</c> (same content,
/// moved or re-rated) and <c>absent</c> (in the baseline, gone now; added to the run so that it is visible).
/// Results are matched on the content fingerprint, which survives line moves, and on GitHub's line hash for
/// logs written by other tools.
/// </summary>
public static class SarifBaseline
{
    /// <summary>A result read from a baseline log.</summary>
    public sealed record BaselineResult(string RuleId, string? Path, int? Line, string? LineHash, string? Content, string Level, string Message);

    /// <summary>Reads the results of every run in a SARIF 2.1.0 log.</summary>
    /// <exception cref="InputException">The file is missing, is not JSON, or is not SARIF 2.1.0.</exception>
    public static IReadOnlyList<BaselineResult> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileKinds.RequireRegularFile(path, "cannot read baseline:");
        JsonDocument document;
        try
        {
            // StrictJson: a string that is not well-formed Unicode is refused here, not met later by GetString.
            document = StrictJson.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw new InputException(path, (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1, "baseline is not valid JSON: " + FirstSentence(e.Message), e);
        }
        catch (IOException e)
        {
            throw new InputException(path, null, null, "cannot read baseline: " + e.Message, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InputException(path, null, null, "cannot read baseline: " + e.Message, e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.1.0"
                || !root.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Array)
            {
                throw new InputException(path, 1, 1, "baseline is not a SARIF 2.1.0 log (expected an object with \"version\": \"2.1.0\" and a \"runs\" array)");
            }

            var results = new List<BaselineResult>();
            foreach (var run in runs.EnumerateArray())
            {
                if (run.ValueKind != JsonValueKind.Object || !run.TryGetProperty("results", out var items) || items.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (var item in items.EnumerateArray())
                {
                    if (ReadResult(item) is { } result)
                    {
                        results.Add(result);
                    }
                }
            }

            return results;
        }
    }

    /// <summary>Sets the baseline state of every finding and appends the absent ones.</summary>
    public static AnalysisRun Apply(AnalysisRun run, IReadOnlyList<BaselineResult> baseline)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(baseline);

        // Results already absent in the baseline are history, not current state.
        var remaining = baseline.Where(b => b.Level != "absent").ToList();
        var findings = new List<Finding>(run.Findings.Count);
        foreach (var finding in run.Findings)
        {
            var match = remaining.FindIndex(b => b.RuleId == finding.RuleId && b.Content is not null && b.Content == finding.Fingerprints.Content);
            var byContent = match >= 0;
            if (!byContent)
            {
                match = remaining.FindIndex(b => b.RuleId == finding.RuleId && b.Content is null && b.LineHash is not null
                    && b.LineHash == finding.Fingerprints.PrimaryLocationLineHash && b.Path == finding.Location.Path);
            }

            if (match < 0)
            {
                findings.Add(finding with { BaselineState = BaselineState.New });
                continue;
            }

            var previous = remaining[match];
            remaining.RemoveAt(match);
            var samePlace = previous.Path == finding.Location.Path
                && (previous.LineHash is null || previous.LineHash == finding.Fingerprints.PrimaryLocationLineHash)
                && previous.Level == finding.Severity.ToSarifLevel();
            findings.Add(finding with { BaselineState = samePlace ? BaselineState.Unchanged : BaselineState.Updated });
        }

        foreach (var gone in remaining)
        {
            findings.Add(new Finding
            {
                RuleId = gone.RuleId,
                Severity = gone.Level switch { "error" => Severity.High, "warning" => Severity.Medium, _ => Severity.Low },
                Message = gone.Message,
                Location = gone.Path is null ? new FindingLocation() : FindingLocation.InFile(gone.Path, gone.Line is { } l ? new Region(l, 1, l, 1) : null),
                Fingerprints = new Fingerprints(gone.LineHash, gone.Content ?? string.Empty),
                BaselineState = BaselineState.Absent,
            });
        }

        return run with { Findings = findings };
    }

    private static BaselineResult? ReadResult(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var ruleId = GetString(item, "ruleId");
        if (ruleId is null && item.TryGetProperty("rule", out var rule) && rule.ValueKind == JsonValueKind.Object)
        {
            ruleId = GetString(rule, "id");
        }

        if (ruleId is null)
        {
            return null;
        }

        string? path = null;
        int? line = null;
        if (item.TryGetProperty("locations", out var locations) && locations.ValueKind == JsonValueKind.Array && locations.GetArrayLength() > 0
            && locations[0].ValueKind == JsonValueKind.Object
            && locations[0].TryGetProperty("physicalLocation", out var physical) && physical.ValueKind == JsonValueKind.Object)
        {
            if (physical.TryGetProperty("artifactLocation", out var artifact) && artifact.ValueKind == JsonValueKind.Object && GetString(artifact, "uri") is { } uri)
            {
                path = Uri.UnescapeDataString(uri);
            }

            if (physical.TryGetProperty("region", out var region) && region.ValueKind == JsonValueKind.Object
                && region.TryGetProperty("startLine", out var startLine) && startLine.TryGetInt32(out var l))
            {
                line = l;
            }
        }

        string? lineHash = null;
        string? content = null;
        if (item.TryGetProperty("partialFingerprints", out var fingerprints) && fingerprints.ValueKind == JsonValueKind.Object)
        {
            lineHash = GetString(fingerprints, SarifWriter.LineHashKey);
            content = GetString(fingerprints, SarifWriter.ContentFingerprintKey);
        }

        var level = GetString(item, "baselineState") == "absent" ? "absent" : GetString(item, "level") ?? "warning";
        var message = item.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? GetString(m, "text") ?? ruleId : ruleId;
        return new BaselineResult(ruleId, path, line, lineHash, content, level, message);
    }

    private static string? GetString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends its own position ("Path: ... | LineNumber: 0 | ..."); ours is in the prefix.
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var end = message.IndexOf(marker, StringComparison.Ordinal);
            if (end > 0)
            {
                message = message[..end];
            }
        }

        return message.ReplaceLineEndings(" ").Trim();
    }
}
