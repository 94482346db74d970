using System.IO.Compression;
using System.Text;
using SecureFuture.Findings.Ingest;

namespace SecureFuture.Findings.Tests.Ingest;

/// <summary>Reading logs in tests: committed producer outputs, and small logs written inline.</summary>
internal static class Sarif
{
    public static string TestData(string relative) => Path.Combine(AppContext.BaseDirectory, "Ingest", "TestData", relative);

    public static Ingested ReadFile(string relative, string? category = "pushed", IngestLimits? limits = null)
    {
        using var file = File.OpenRead(TestData(relative));
        return Read(file, category, limits);
    }

    public static Ingested Read(string json, string? category = "pushed", IngestLimits? limits = null) =>
        Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), category, limits);

    public static Ingested Read(Stream stream, string? category = "pushed", IngestLimits? limits = null)
    {
        using var reader = new SarifLogReader(stream, category, limits);
        var results = reader.ReadResults().ToList();
        return new Ingested(results, reader.Runs);
    }

    public static SarifIngestException Refused(string json, IngestLimits? limits = null) =>
        Refused(Encoding.UTF8.GetBytes(json), limits);

    public static SarifIngestException Refused(byte[] bytes, IngestLimits? limits = null) =>
        Assert.Throws<SarifIngestException>(() => Read(new MemoryStream(bytes), "pushed", limits));

    /// <summary>JSON written with single quotes, for readability inline.</summary>
    public static string Q(string json) => json.Replace('\'', '"');

    public static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>A log of one run: <paramref name="members"/> are the run's members, in the order given.</summary>
    public static string Log(params string[] members) =>
        """{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{""" + string.Join(",", members) + "}]}";

    public static string Tool(string rules = "[]", string name = "Scanner") =>
        $$$"""
        "tool":{"driver":{"name":"{{{name}}}","semanticVersion":"1.2.3","rules":{{{rules}}}}}
        """;

    public static string Results(params string[] results) => "\"results\":[" + string.Join(",", results) + "]";

    /// <summary>A result at <paramref name="path"/>:<paramref name="line"/>; <paramref name="extra"/> members are added.</summary>
    public static string Result(string ruleId = "R1", string path = "src/a.cs", int line = 3, string message = "m", string extra = "", string? snippet = null)
    {
        var more = extra.Length == 0 ? "" : "," + extra;
        var snippetMember = snippet is null ? "" : ",\"snippet\":{\"text\":\"" + snippet + "\"}";
        var location = $$"""[{"physicalLocation":{"artifactLocation":{"uri":"{{path}}"},"region":{"startLine":{{line}}""" + snippetMember + "}}}]";
        return $$"""{"ruleId":"{{ruleId}}","message":{"text":"{{message}}"},"locations":""" + location + more + "}";
    }
}

internal sealed record Ingested(List<IngestedResult> Results, IReadOnlyList<IngestedRun> Runs)
{
    public IngestedRun Run => Assert.Single(Runs);

    public IngestedResult Single => Assert.Single(Results);
}
