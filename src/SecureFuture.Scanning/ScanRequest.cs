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

    /// <summary><c>--since-commit REV</c>: scan the lines added after REV (exclusive) up to HEAD instead of the working tree.</summary>
    public string? SinceCommit { get; init; }

    /// <summary><c>--log-opts</c>: scan the lines added by the commits (and paths) these choose instead of the working tree.</summary>
    public GitLogOptions? LogOptions { get; init; }

    /// <summary>
    /// The text read from standard input (<c>sfi scan -</c>), already bounded by <see cref="MaxFileSize"/>: scanned
    /// as one file named <see cref="StandardInputName"/> instead of <see cref="Path"/>.
    /// </summary>
    public byte[]? StandardInput { get; init; }

    /// <summary>The name findings in standard input carry (<c>--stdin-name</c>); path-specific rules apply to it.</summary>
    public string StandardInputName { get; init; } = DefaultStandardInputName;

    public const string DefaultStandardInputName = "<stdin>";

    /// <summary>Any mode that reads commits: <c>--history</c>, <c>--since-commit</c>, <c>--log-opts</c>.</summary>
    internal bool ReadsHistory => History || SinceCommit is not null || LogOptions is not null;

    /// <summary>Either mode that reads git instead of the working tree.</summary>
    internal bool FromGit => ReadsHistory || Staged;

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
