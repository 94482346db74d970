using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// Runs analyzers over a working tree or a git history and builds the <see cref="AnalysisRun"/>: regions,
/// fingerprints (GitHub's line hash and a content fingerprint), masked evidence and inline suppressions are all
/// decided here, once, for every analyzer. Per-file faults become notifications; the run goes on.
/// </summary>
public sealed class RepositoryScanner(IReadOnlyList<IContentAnalyzer> analyzers, TimeProvider clock)
{
    public const string ToolName = "SecureFuture";

    private readonly IReadOnlyList<IContentAnalyzer> _analyzers = analyzers;
    private readonly TimeProvider _clock = clock;

    public static string ToolVersion { get; } =
        typeof(RepositoryScanner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public IReadOnlyList<RuleDescriptor> Rules =>
        [.. _analyzers.SelectMany(a => a.Rules).OrderBy(r => r.Id, StringComparer.Ordinal)];

    /// <exception cref="InputException">
    /// The path does not exist, cannot be read, is neither a regular file nor a directory, or, with history, is not a
    /// git repository.
    /// </exception>
    public AnalysisRun Scan(ScanRequest request, ScanProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _clock.GetUtcNow();
        var today = DateOnly.FromDateTime(started.UtcDateTime);
        var findings = new ConcurrentBag<Finding>();
        var notifications = new ConcurrentQueue<Notification>();
        var statistics = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        void Notify(Notification n) => notifications.Enqueue(n);

        var target = System.IO.Path.GetFullPath(request.Path);
        string root;
        FileKind kind;
        try
        {
            kind = FileKinds.Of(target);
        }
        catch (IOException e)
        {
            throw new InputException(request.Path, null, null, $"cannot read: {e.Message}", e);
        }

        if (kind == FileKind.Directory)
        {
            root = target;
        }
        else if (kind == FileKind.Regular && !request.History)
        {
            root = System.IO.Path.GetDirectoryName(target)!;
        }
        else
        {
            throw new InputException(request.Path, null, null, kind switch
            {
                FileKind.Missing => request.History ? "no such directory" : "no such file or directory",
                FileKind.Regular => "not a directory (--history scans a repository)",
                _ => "not a regular file or directory (a device or FIFO would never end, or block, the scan)",
            });
        }

        // The path asked for must be readable: an unreadable one would otherwise be one notification and a clean run.
        EnsureReadable(request.Path, target, kind);

        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism), CancellationToken = cancellationToken };
        if (request.History)
        {
            // A file committed and later git-ignored still leaked, so only .sfiignore (fixtures by intent) applies.
            var ignore = request.UseIgnoreFiles
                ? FileWalker.LoadIgnoreFile(System.IO.Path.Combine(root, FileWalker.IgnoreFileName), string.Empty, Notify)
                : null;
            var chunks = GitHistory.Enumerate(root, request.MaxFileSize, Notify, cancellationToken)
                .Where(c => ignore is null || !IsIgnoredWithParents(ignore, c.Path));
            Parallel.ForEach(Partitioner.Create(chunks, EnumerablePartitionerOptions.NoBuffering), options, chunk =>
            {
                AnalyzeText(chunk.Path, chunk.Text, chunk, today, findings, Notify);
                progress?.Add(chunk.Text.Length);
                statistics.AddOrUpdate("commitFilesScanned", 1, (_, v) => v + 1);
            });
        }
        else
        {
            var walker = new FileWalker(root, request.UseIgnoreFiles, request.MaxFileSize, Notify);
            IEnumerable<WalkedFile> files = Directory.Exists(target)
                ? walker.Enumerate(cancellationToken)
                : [new WalkedFile(target, System.IO.Path.GetFileName(target), new FileInfo(target).Length)];
            Parallel.ForEach(Partitioner.Create(files, EnumerablePartitionerOptions.NoBuffering), options, file =>
            {
                var text = ReadText(file, request.MaxFileSize, Notify, statistics);
                if (text is null)
                {
                    return;
                }

                AnalyzeText(file.RelativePath, text, null, today, findings, Notify);
                progress?.Add(file.Length);
                statistics.AddOrUpdate("filesScanned", 1, (_, v) => v + 1);
                statistics.AddOrUpdate("bytesScanned", file.Length, (_, v) => v + file.Length);
            });
            if (walker.SkippedForSize > 0)
            {
                statistics["filesSkippedForSize"] = walker.SkippedForSize;
            }
        }

        return new AnalysisRun
        {
            ToolName = ToolName,
            ToolVersion = ToolVersion,
            Rules = Rules,
            Findings = [.. findings
                .OrderBy(f => f.Location.Path, StringComparer.Ordinal)
                .ThenBy(f => f.Properties.GetValueOrDefault("date"), StringComparer.Ordinal)
                .ThenBy(f => f.Location.Region?.StartLine ?? 0)
                .ThenBy(f => f.Location.Region?.StartColumn ?? 0)
                .ThenBy(f => f.RuleId, StringComparer.Ordinal)],
            Notifications = [.. notifications
                .OrderBy(n => n.Path ?? string.Empty, StringComparer.Ordinal)
                .ThenBy(n => n.Region?.StartLine ?? 0)
                .ThenBy(n => n.Id, StringComparer.Ordinal)],
            Root = root,
            StartTime = started,
            EndTime = _clock.GetUtcNow(),
            Statistics = new Dictionary<string, long>(statistics, StringComparer.Ordinal),
        };
    }

    /// <summary>A path is ignored when it or one of its directories matches (git never descends an ignored directory).</summary>
    private static bool IsIgnoredWithParents(GitIgnore ignore, string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (ignore.Match(path[..slash], isDirectory: true) == true)
            {
                return true;
            }
        }

        return ignore.Match(path, isDirectory: false) == true;
    }

    private static void EnsureReadable(string path, string target, FileKind kind)
    {
        try
        {
            if (kind == FileKind.Directory)
            {
                using var entries = Directory.EnumerateFileSystemEntries(target).GetEnumerator();
                _ = entries.MoveNext();
            }
            else
            {
                using var handle = File.OpenHandle(target, FileMode.Open, FileAccess.Read);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot read: {e.Message}", e);
        }
    }

    private static string? ReadText(WalkedFile file, long maxFileSize, Action<Notification> notify, ConcurrentDictionary<string, long> statistics)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            // Read no more than the limit even if the file grew after it was listed.
            var capacity = (int)Math.Min(Math.Max(file.Length, 0) + 1, maxFileSize + 1);
            bytes = new byte[capacity];
            var total = 0;
            int read;
            while (total < bytes.Length && (read = stream.Read(bytes, total, bytes.Length - total)) > 0)
            {
                total += read;
            }

            if (total > maxFileSize)
            {
                notify(new Notification("file-too-large", NotificationLevel.Note, "Skipped: the file grew over the --max-file-size limit while it was being read") { Path = file.RelativePath });
                return null;
            }

            Array.Resize(ref bytes, total);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            notify(new Notification("file-vanished", NotificationLevel.Note, "The file disappeared before it could be read") { Path = file.RelativePath });
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            notify(new Notification("file-unreadable", NotificationLevel.Warning, $"Cannot read file: {e.Message}") { Path = file.RelativePath });
            return null;
        }

        var text = TextDecoder.Decode(bytes);
        if (text is null)
        {
            statistics.AddOrUpdate("filesSkippedBinary", 1, (_, v) => v + 1);
        }

        return text;
    }

    private void AnalyzeText(string path, string text, HistoryChunk? history, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify)
    {
        var sink = new Sink(notify);
        foreach (var analyzer in _analyzers)
        {
            try
            {
                analyzer.Analyze(new ScanTarget(path, text), sink, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug in one analyzer must not lose the results of the others or of other files.
                notify(new Notification("analyzer-failed", NotificationLevel.Error, $"{analyzer.GetType().Name} failed: {e.GetType().Name}: {e.Message}") { Path = path });
            }
        }

        if (sink.Detections.Count == 0)
        {
            return;
        }

        var index = new TextIndex(text);
        // GitHub's line hash describes the file as it is; lines extracted from a commit are not a file.
        var lineHashes = history is null ? LineHash.Compute(text) : null;
        foreach (var d in sink.Detections)
        {
            var region = index.RegionOf(d.Start, d.Length);
            var suppression = InlineSuppressions.Find(index, region.StartLine, d.RuleId, today, path, notify);
            var properties = new Dictionary<string, string>(d.Properties ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            if (history is not null)
            {
                var line = history.Lines[region.StartLine - 1];
                var endLine = history.Lines[Math.Min(region.EndLine, history.Lines.Count) - 1];
                region = region with { StartLine = line, EndLine = endLine };
                properties["commit"] = history.Commit;
                properties["date"] = history.Date;
            }

            var secretHash = MaskedEvidence.Hash(d.Secret ?? text.Substring(d.Start, d.Length));
            findings.Add(new Finding
            {
                RuleId = d.RuleId,
                Severity = d.Severity,
                Message = d.Message,
                Location = FindingLocation.InFile(path, region),
                Fingerprints = new Fingerprints(
                    lineHashes is not null && region.StartLine <= lineHashes.Count ? lineHashes[region.StartLine - 1] : null,
                    MaskedEvidence.Hash(string.Create(CultureInfo.InvariantCulture, $"{d.RuleId}\n{path}\n{secretHash}"))[..32]),
                Evidence = d.Secret is null ? null : MaskedEvidence.FromSecret(d.Secret),
                Suppression = suppression,
                Properties = properties,
            });
        }
    }

    private sealed class Sink(Action<Notification> notify) : IDetectionSink
    {
        public List<Detection> Detections { get; } = [];

        public void Report(Detection detection) => Detections.Add(detection);

        public void Notify(Notification notification) => notify(notification);
    }
}
