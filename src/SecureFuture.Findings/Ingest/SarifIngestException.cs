namespace SecureFuture.Findings.Ingest;

/// <summary>Why a pushed log was refused; the server answers 413 for <see cref="LimitExceeded"/>, 400 otherwise.</summary>
public enum SarifIngestError
{
    /// <summary>Not JSON, or JSON cut short (a truncated upload), or corrupt gzip.</summary>
    Malformed,

    /// <summary>JSON, but not a SARIF 2.1.0 log the hub can use (wrong version, no tool name, a rule that does not exist).</summary>
    NotSarif,

    /// <summary>One of the <see cref="IngestLimits"/> was exceeded.</summary>
    LimitExceeded,
}

/// <summary>
/// A pushed SARIF log cannot be ingested. The message names where: the JSON path of the element being read
/// (<c>$.runs[0].results[1234].locations[0]</c>) and its line, column and byte offset in the (decompressed) JSON, so a
/// producer's author can find the fault with an editor. It is the only exception the reader raises for bad input;
/// anything else is a bug (or the caller's stream failing).
/// </summary>
public sealed class SarifIngestException : Exception
{
    public SarifIngestException()
    {
    }

    public SarifIngestException(string message)
        : base(message)
    {
    }

    public SarifIngestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal SarifIngestException(SarifIngestError error, string jsonPath, JsonPosition? position, string detail, Exception? innerException = null)
        : base(Format(jsonPath, position, detail), innerException)
    {
        Error = error;
        JsonPath = jsonPath;
        Detail = detail;
        if (position is { } p)
        {
            Line = p.Line;
            Column = p.Column;
            BytePosition = p.Byte;
        }
    }

    public SarifIngestError Error { get; }

    /// <summary>Where in the document, as a JSONPath (<c>$</c> is the root).</summary>
    public string JsonPath { get; } = "$";

    /// <summary>What is wrong, without the location.</summary>
    public string Detail { get; } = "";

    /// <summary>1-based line in the decompressed JSON, when known.</summary>
    public long? Line { get; }

    /// <summary>1-based column, in bytes, when known.</summary>
    public long? Column { get; }

    /// <summary>0-based byte offset in the decompressed JSON, when known.</summary>
    public long? BytePosition { get; }

    private static string Format(string jsonPath, JsonPosition? position, string detail) =>
        position is { } p ? $"{jsonPath} (line {p.Line}, column {p.Column}, byte {p.Byte}): {detail}" : $"{jsonPath}: {detail}";
}

/// <summary>A place in the decompressed JSON: 1-based line and byte column, 0-based byte offset.</summary>
internal readonly record struct JsonPosition(long Line, long Column, long Byte);
