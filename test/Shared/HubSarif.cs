using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace SecureFuture.Testing;

/// <summary>
/// SARIF 2.1.0 logs for pushing to the findings hub in tests: one run of a tool whose results carry GitHub's
/// <c>primaryLocationLineHash</c>, so a result keeps its identity when its line moves.
/// </summary>
internal static class HubSarif
{
    /// <summary>One result: a rule, a file, a line, and the line-content hash that identifies it across analyses.</summary>
    public sealed record Result(string RuleId, string Path, int Line, string LineHash, string Level = "error", string? Message = null);

    public static string Log(string tool, params Result[] results)
    {
        var rules = new JsonArray(results.Select(r => r.RuleId).Distinct(StringComparer.Ordinal).Select(id => (JsonNode)new JsonObject { ["id"] = id }).ToArray());
        var items = new JsonArray(results.Select(r => (JsonNode)new JsonObject
        {
            ["ruleId"] = r.RuleId,
            ["level"] = r.Level,
            ["message"] = new JsonObject { ["text"] = r.Message ?? $"{r.RuleId} in {r.Path}" },
            ["locations"] = new JsonArray(new JsonObject
            {
                ["physicalLocation"] = new JsonObject
                {
                    ["artifactLocation"] = new JsonObject { ["uri"] = r.Path, ["uriBaseId"] = "%SRCROOT%" },
                    ["region"] = new JsonObject { ["startLine"] = r.Line },
                },
            }),
            ["partialFingerprints"] = new JsonObject { ["primaryLocationLineHash"] = r.LineHash },
        }).ToArray());
        var log = new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject { ["driver"] = new JsonObject { ["name"] = tool, ["rules"] = rules } },
                ["results"] = items,
            }),
        };
        return log.ToJsonString();
    }

    public static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return buffer.ToArray();
    }
}
