using SecureFuture.Core;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// The results of a pushed log kept on disk, by analysis (tool and category), between reading the log (which must
/// succeed whole before anything is stored) and storing one analysis per tool and category. The server's memory stays
/// one result whatever the size of the push; disk is one temporary file per analysis, readable by the server's user
/// only and deleted on close.
/// </summary>
public sealed class AnalysisSpool : IDisposable
{
    private readonly Dictionary<(string Tool, string Category), (FileStream File, BinaryWriter Writer)> _files = [];

    /// <summary>The analyses (tool, category) results were added for, in the order first seen.</summary>
    public IReadOnlyCollection<(string Tool, string Category)> Analyses => _files.Keys;

    /// <summary>The spool's files on disk, one per analysis (for tests: other processes make files of the same name pattern).</summary>
    internal IReadOnlyList<string> FilePaths => [.. _files.Values.Select(f => f.File.Name)];

    public void Add(IngestedResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!_files.TryGetValue((result.Tool, result.Category), out var file))
        {
            var stream = ResultSpool.CreateTemporaryFile();
            _files[(result.Tool, result.Category)] = file = (stream, new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true));
        }

        var w = file.Writer;
        w.Write(result.RuleId);
        w.Write((int)result.Severity);
        w.Write(result.Message);
        WriteOptional(w, result.Path);
        w.Write(result.StartLine ?? -1);
        w.Write(result.EndLine ?? -1);
        w.Write(result.Identity);
        w.Write(result.IdentitySource);
        w.Write(result.Cves.Count);
        foreach (var cve in result.Cves)
        {
            w.Write(cve);
        }

        WriteOptional(w, result.FlowJson);
    }

    /// <summary>The results of <paramref name="tool"/> in <paramref name="category"/> in the order they were added (none for an analysis without results); read once.</summary>
    public IEnumerable<IngestedResult> Read(string tool, string category)
    {
        if (!_files.TryGetValue((tool, category), out var file))
        {
            yield break;
        }

        file.Writer.Flush();
        file.File.Position = 0;
        using var r = new BinaryReader(file.File, System.Text.Encoding.UTF8, leaveOpen: true);
        while (file.File.Position < file.File.Length)
        {
            var rule = r.ReadString();
            var severity = (Severity)r.ReadInt32();
            var message = r.ReadString();
            var path = ReadOptional(r);
            var start = r.ReadInt32();
            var end = r.ReadInt32();
            var identity = r.ReadString();
            var source = r.ReadString();
            var cves = new string[r.ReadInt32()];
            for (var i = 0; i < cves.Length; i++)
            {
                cves[i] = r.ReadString();
            }

            yield return new IngestedResult(tool, category, rule, severity, message, path, start < 0 ? null : start, end < 0 ? null : end, identity, source, cves, ReadOptional(r));
        }
    }

    public void Dispose()
    {
        foreach (var (file, writer) in _files.Values)
        {
            writer.Dispose();
            file.Dispose();
        }

        _files.Clear();
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}
