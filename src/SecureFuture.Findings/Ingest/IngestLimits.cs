namespace SecureFuture.Findings.Ingest;

/// <summary>
/// What a pushed SARIF log may cost the hub. Every limit is checked while reading, so a log that breaks one is refused
/// after reading at most the limit, never after building it in memory. The defaults admit a 100,000-result log of
/// about 100 MB with room to spare (GitHub code scanning, for comparison, takes 10 MB gzip-compressed, 20 runs and
/// 25,000 results per run).
/// </summary>
public sealed record IngestLimits
{
    /// <summary>Bytes read from the pushed stream, as sent (compressed or not).</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Bytes of JSON after gzip decompression: the gzip bomb guard.</summary>
    public long MaxDecompressedBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Nesting of JSON objects and arrays; SARIF itself needs about 15 (code flows in properties).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>The longest JSON string or property name, in bytes as written (escapes included).</summary>
    public int MaxStringBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest single result, tool or invocation object, in bytes: each is parsed as one document.</summary>
    public int MaxObjectBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Results over the whole log (every run), counted before suppressed or passing ones are dropped.</summary>
    public int MaxResults { get; init; } = 1_000_000;

    /// <summary>Runs in the log.</summary>
    public int MaxRuns { get; init; } = 100;

    /// <summary>The defaults.</summary>
    public static IngestLimits Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDecompressedBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStringBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxObjectBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxResults, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRuns, 0);
    }
}
