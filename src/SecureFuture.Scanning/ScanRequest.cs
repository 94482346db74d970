namespace SecureFuture.Scanning;

/// <summary>What to scan and how.</summary>
public sealed record ScanRequest
{
    /// <summary>A directory or a single file.</summary>
    public required string Path { get; init; }

    /// <summary>Honour .gitignore, .sfiignore and .git/info/exclude (<c>--no-ignore</c> turns this off).</summary>
    public bool UseIgnoreFiles { get; init; } = true;

    /// <summary>Files larger than this are skipped with a notification (<c>--max-file-size</c>).</summary>
    public long MaxFileSize { get; init; } = 10L * 1024 * 1024;

    /// <summary>How far archives found in the walk are opened (<see cref="ArchiveLimits.MaxDepth"/> 0: not at all).</summary>
    public ArchiveLimits Archives { get; init; } = new();

    /// <summary>Scan every line added in the git history instead of the working tree (<c>--history</c>).</summary>
    public bool History { get; init; }

    /// <summary>Scan the lines the index adds to HEAD, what the next commit would add (<c>--staged</c>, for pre-commit hooks).</summary>
    public bool Staged { get; init; }

    /// <summary>Either mode that reads git instead of the working tree.</summary>
    internal bool FromGit => History || Staged;

    /// <summary>Worker threads; defaults to the number of cores.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>Live counters a caller may poll to show progress.</summary>
public sealed class ScanProgress
{
    private long _files;
    private long _bytes;

    public long Files => Interlocked.Read(ref _files);

    public long Bytes => Interlocked.Read(ref _bytes);

    internal void Add(long bytes)
    {
        Interlocked.Increment(ref _files);
        Interlocked.Add(ref _bytes, bytes);
    }
}
