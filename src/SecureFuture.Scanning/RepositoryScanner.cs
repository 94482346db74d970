using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// Runs analyzers over a working tree or a git history and builds the <see cref="AnalysisRun"/>: regions,
/// fingerprints (GitHub's line hash and a content fingerprint), masked evidence, data-flow paths and inline
/// suppressions are all decided here, once, for every analyzer. Content analyzers see one file at a time during the
/// walk; project analyzers (code analysis) see every file they want at once, after it. The walk also counts lines of
/// code per language (<see cref="LanguageInventory"/>). Per-file and per-analyzer faults become notifications; the
/// run goes on.
/// </summary>
public sealed class RepositoryScanner
{
    public const string ToolName = "SecureFuture";

    /// <summary>The notification of an analyzer that threw on a file or a project (a defect: the scan is incomplete).</summary>
    public const string AnalyzerFailedId = "analyzer-failed";

    private readonly IReadOnlyList<IContentAnalyzer> _analyzers;
    private readonly IReadOnlyList<IProjectAnalyzer> _projectAnalyzers;
    private readonly TimeProvider _clock;

    public RepositoryScanner(IReadOnlyList<IContentAnalyzer> analyzers, TimeProvider clock)
        : this(analyzers, [], clock)
    {
    }

    public RepositoryScanner(IReadOnlyList<IContentAnalyzer> analyzers, IReadOnlyList<IProjectAnalyzer> projectAnalyzers, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(analyzers);
        ArgumentNullException.ThrowIfNull(projectAnalyzers);
        ArgumentNullException.ThrowIfNull(clock);
        _analyzers = analyzers;
        _projectAnalyzers = projectAnalyzers;
        _clock = clock;
    }

    public static string ToolVersion { get; } =
        typeof(RepositoryScanner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public IReadOnlyList<RuleDescriptor> Rules =>
        [.. _analyzers.SelectMany(a => a.Rules).Concat(_projectAnalyzers.SelectMany(a => a.Rules)).OrderBy(r => r.Id, StringComparer.Ordinal)];

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
        void Add(string statistic, long value) => statistics.AddOrUpdate(statistic, value, (_, v) => v + value);

        if (request.StandardInput is { } standardInput)
        {
            return ScanStandardInput(request, standardInput, started, today, cancellationToken);
        }

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
        else if (kind == FileKind.Regular && !request.FromGit)
        {
            root = System.IO.Path.GetDirectoryName(target)!;
        }
        else
        {
            throw new InputException(request.Path, null, null, kind switch
            {
                FileKind.Missing => request.FromGit ? "no such directory" : "no such file or directory",
                FileKind.Regular => $"not a directory ({(request.Staged ? "--staged" : new HistoryRange(request.SinceCommit, request.LogOptions).OptionName)} scans a repository)",
                _ => "not a regular file or directory (a device or FIFO would never end, or block, the scan)",
            });
        }

        // The path asked for must be readable: an unreadable one would otherwise be one notification and a clean run.
        EnsureReadable(request.Path, target, kind);

        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism), CancellationToken = cancellationToken };
        if (request.FromGit)
        {
            // A file committed and later git-ignored still leaked, so only .sfiignore (fixtures by intent) applies.
            var ignore = request.UseIgnoreFiles
                ? FileWalker.LoadIgnoreFile(System.IO.Path.Combine(root, FileWalker.IgnoreFileName), string.Empty, Notify)
                : null;
            if (_projectAnalyzers.Count > 0)
            {
                Notify(new Notification("working-tree-only", NotificationLevel.Note,
                    $"Code analysis runs on the working tree only: {string.Join(", ", _projectAnalyzers.Select(a => a.GetType().Name))} did not run on the {(request.Staged ? "staged changes" : "git history")}"));
            }

            var chunks = (request.Staged
                    ? GitHistory.EnumerateStaged(root, request.MaxFileSize, Notify, cancellationToken)
                    : GitHistory.Enumerate(root, request.MaxFileSize, Notify, new HistoryRange(request.SinceCommit, request.LogOptions), cancellationToken))
                .Where(c => ignore is null || !IsIgnoredWithParents(ignore, c.Path));
            try
            {
                Parallel.ForEach(Partitioner.Create(chunks, EnumerablePartitionerOptions.NoBuffering), options, chunk =>
                {
                    if (chunk.Binary is { } binary)
                    {
                        AnalyzeCommittedBinary(chunk, binary, request, today, findings, Notify, Add, cancellationToken);
                        progress?.Add(binary.Length);
                    }
                    else
                    {
                        AnalyzeText(new ScanTarget(chunk.Path, chunk.Text), chunk, today, findings, Notify);
                        progress?.Add(chunk.Text.Length);
                    }

                    Add("commitFilesScanned", 1);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions is [InputException input])
            {
                // git refused (not a repository, no git): the same usage error as before the loop, not an internal error.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(input).Throw();
            }
        }
        else
        {
            var walker = new FileWalker(root, request.UseIgnoreFiles, request.MaxFileSize, Notify);
            IEnumerable<WalkedFile> files = Directory.Exists(target)
                ? walker.Enumerate(cancellationToken)
                : [new WalkedFile(target, System.IO.Path.GetFileName(target), new FileInfo(target).Length)];
            // What each project analyzer wants, gathered during the walk so that every file is read once.
            var wanted = _projectAnalyzers.Select(_ => new ConcurrentBag<ScanTarget>()).ToArray();
            Parallel.ForEach(Partitioner.Create(files, EnumerablePartitionerOptions.NoBuffering), options, file =>
            {
                using var content = ReadBytes(file, request.MaxFileSize, Notify);
                if (content is null)
                {
                    return;
                }

                // An archive's entries are scanned like files (their findings name the archive), but are not project files.
                var bytes = content.Bytes;
                if (!(ArchiveExpander.IsArchive(bytes.Span) && ExpandArchive(file.RelativePath, content.ToArray(), request, today, findings, Notify, Add, cancellationToken))
                    && AnalyzeContent(file.RelativePath, bytes, today, findings, Notify, Add) is { } text)
                {
                    Gather(text, wanted, Notify, Add);
                }

                Add("filesScanned", 1);
                Add("bytesScanned", file.Length);
                progress?.Add(file.Length);
            });
            if (walker.SkippedForSize > 0)
            {
                statistics["filesSkippedForSize"] = walker.SkippedForSize;
            }

            AnalyzeProjects(root, wanted, today, findings, Notify, Add, cancellationToken);
        }

        return Result(root, started, findings, notifications, statistics);
    }

    /// <summary>
    /// Opens <paramref name="bytes"/> as an archive when they are one and archives are on, scanning every entry like a
    /// file under <c>path!/entry</c> within <see cref="ScanRequest.Archives"/>. Returns false when they are not an archive.
    /// </summary>
    private bool ExpandArchive(string path, byte[] bytes, ScanRequest request, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify, Action<string, long> count, CancellationToken cancellationToken)
    {
        if (request.Archives.MaxDepth <= 0 || !ArchiveExpander.IsArchive(bytes))
        {
            return false;
        }

        var expander = new ArchiveExpander(request.Archives, request.MaxFileSize,
            (entry, content) => AnalyzeContent(entry, content, today, findings, notify, count), notify, cancellationToken);
        expander.Expand(path, bytes);
        count("archivesOpened", 1);
        count("archiveEntriesScanned", expander.EntriesVisited);
        return true;
    }

    /// <summary>
    /// A file git calls binary, as a commit (or the index) left it: an archive is expanded as in a directory scan, any
    /// other content is read as a file would be (key files, or text git took for binary). Findings carry the commit
    /// and its date like those in added lines; their lines are those of the file (or archive entry) itself.
    /// </summary>
    private void AnalyzeCommittedBinary(HistoryChunk chunk, byte[] content, ScanRequest request, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify, Action<string, long> count, CancellationToken cancellationToken)
    {
        var found = new ConcurrentBag<Finding>();
        if (!ExpandArchive(chunk.Path, content, request, today, found, notify, count, cancellationToken))
        {
            _ = AnalyzeContent(chunk.Path, content, today, found, notify, count);
        }

        foreach (var finding in found)
        {
            var properties = new Dictionary<string, string>(finding.Properties, StringComparer.Ordinal) { ["commit"] = chunk.Commit };
            if (chunk.Date.Length > 0)
            {
                properties["date"] = chunk.Date;
            }

            findings.Add(finding with { Properties = properties });
        }

        count("commitBinaryFilesScanned", 1);
    }

    /// <summary>
    /// <c>sfi scan -</c>: the bytes read from standard input, scanned as one file of the current directory named
    /// <see cref="ScanRequest.StandardInputName"/> (so path-specific rules and code analysis apply to that name).
    /// </summary>
    private AnalysisRun ScanStandardInput(ScanRequest request, byte[] input, DateTimeOffset started, DateOnly today, CancellationToken cancellationToken)
    {
        var name = request.StandardInputName;
        if (input.LongLength > request.MaxFileSize)
        {
            throw new InputException(name, null, null, $"standard input is larger than the --max-file-size limit ({FileWalker.FormatSize(request.MaxFileSize)}); raise the limit or scan the file by its path");
        }

        // Binary input is not silently passed: the caller asked for this one text to be scanned.
        var text = TextDecoder.Read(name, input)
            ?? throw new InputException(name, null, null, "standard input is not text (binary content is not scanned from standard input; scan the file by its path)");
        var findings = new ConcurrentBag<Finding>();
        var notifications = new ConcurrentQueue<Notification>();
        var statistics = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        void Notify(Notification n) => notifications.Enqueue(n);
        void Add(string statistic, long value) => statistics.AddOrUpdate(statistic, value, (_, v) => v + value);
        var root = Directory.GetCurrentDirectory();
        var wanted = _projectAnalyzers.Select(_ => new ConcurrentBag<ScanTarget>()).ToArray();
        AnalyzeFile(text, input.LongLength, wanted, today, findings, Notify, Add);
        AnalyzeProjects(root, wanted, today, findings, Notify, Add, cancellationToken);
        return Result(root, started, findings, notifications, statistics);
    }

    /// <summary>One text of the working tree (or standard input): content analyzers, the language inventory, and what project analyzers want of it.</summary>
    private void AnalyzeFile(ScanTarget text, long length, ConcurrentBag<ScanTarget>[] wanted, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify, Action<string, long> add)
    {
        AnalyzeText(text, null, today, findings, notify);
        Gather(text, wanted, notify, add);
        add("filesScanned", 1);
        add("bytesScanned", length);
    }

    /// <summary>
    /// A text file of the working tree (not an archive entry): the language inventory, and what project analyzers want
    /// of it. They decide by its path; the text of a file one wants is decoded now, so that its bytes (a pooled buffer
    /// may hold them) are not kept until the walk ends.
    /// </summary>
    private void Gather(ScanTarget text, ConcurrentBag<ScanTarget>[] wanted, Action<Notification> notify, Action<string, long> add)
    {
        LanguageInventory.Count(text, add);
        ScanTarget? decoded = null;
        for (var i = 0; i < _projectAnalyzers.Count; i++)
        {
            if (Wants(_projectAnalyzers[i], text.Path, notify))
            {
                wanted[i].Add(decoded ??= new ScanTarget(text.Path, text.Text));
            }
        }
    }

    private void AnalyzeProjects(string root, ConcurrentBag<ScanTarget>[] wanted, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify, Action<string, long> add, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _projectAnalyzers.Count; i++)
        {
            AnalyzeProject(_projectAnalyzers[i], new ProjectInput(root, [.. wanted[i].OrderBy(f => f.Path, StringComparer.Ordinal)]), today, findings, notify, add, cancellationToken);
        }
    }

    private AnalysisRun Result(string root, DateTimeOffset started, ConcurrentBag<Finding> findings, ConcurrentQueue<Notification> notifications, ConcurrentDictionary<string, long> statistics) =>
        new()
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
                .ThenBy(n => n.Id, StringComparer.Ordinal)
                // Notices without a place (one per C# project, say) are raised in the order analyses finish: by text,
                // so two runs, and the native and ReadyToRun builds, write them in one order.
                .ThenBy(n => n.Message, StringComparer.Ordinal)],
            Root = root,
            StartTime = started,
            EndTime = _clock.GetUtcNow(),
            Statistics = new Dictionary<string, long>(statistics, StringComparer.Ordinal),
        };

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

    /// <summary>
    /// A file's content, in a buffer rented from the shared pool and given back on <see cref="Dispose"/> when the file
    /// is at most <see cref="MaxPooledRead"/>: a scan reads most of a tree through a few buffers instead of allocating
    /// (and collecting) one array per file. Nothing may keep <see cref="Bytes"/> after that: a project analyzer's files
    /// keep their decoded text.
    /// </summary>
    private sealed class FileContent(byte[] buffer, int length, bool pooled) : IDisposable
    {
        public ReadOnlyMemory<byte> Bytes => buffer.AsMemory(0, length);

        /// <summary>The content as an array of its own (an archive's expander keeps it): the buffer itself when it is one.</summary>
        public byte[] ToArray() => !pooled && length == buffer.Length ? buffer : Bytes.ToArray();

        public void Dispose()
        {
            if (pooled)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Largest file read into a pooled buffer. The pool keeps what it is given back, per thread and per size; kept
    /// buffers of every size up to the 10 MiB file limit raised the peak memory of a scan of /usr/share/doc by about
    /// 50 MB. Up to 1 MiB covers nearly every source file; larger ones get an array of their own.
    /// </summary>
    private const int MaxPooledRead = 1 << 20;

    private static FileContent? ReadBytes(WalkedFile file, long maxFileSize, Action<Notification> notify)
    {
        byte[]? rented = null;
        try
        {
            using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            // Read no more than the limit even if the file grew after it was listed. The buffer holds the listed size,
            // so the usual file is read into it once and never copied; one more byte read tells whether it grew.
            var size = (int)Math.Min(Math.Max(file.Length, 0), maxFileSize);
            var pooled = size <= MaxPooledRead;
            var buffer = pooled ? rented = ArrayPool<byte>.Shared.Rent(size) : new byte[size];
            var total = stream.ReadAtLeast(buffer.AsSpan(0, size), size, throwOnEndOfStream: false);
            var next = total < size ? -1 : stream.ReadByte();
            if (next < 0)
            {
                var content = new FileContent(buffer, total, pooled);
                rented = null;
                return content;
            }

            // It grew: read on, up to one byte over the limit.
            using var rest = new MemoryStream();
            rest.Write(buffer, 0, size);
            rest.WriteByte((byte)next);
            var chunk = new byte[81920];
            int read;
            while (rest.Length <= maxFileSize && (read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxFileSize + 1 - rest.Length))) > 0)
            {
                rest.Write(chunk, 0, read);
            }

            if (rest.Length > maxFileSize)
            {
                notify(new Notification("file-too-large", NotificationLevel.Note, "Skipped: the file grew over the --max-file-size limit while it was being read") { Path = file.RelativePath });
                return null;
            }

            var grown = rest.ToArray();
            return new FileContent(grown, grown.Length, pooled: false);
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
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Analyzes a file's or an archive entry's content: as text, or as binary. Returns the text, or null. UTF-8 text
    /// stays bytes (<see cref="ScanTarget.FromUtf8"/>): it is decoded only if an analyzer, or a finding, needs it.
    /// </summary>
    private ScanTarget? AnalyzeContent(string path, ReadOnlyMemory<byte> bytes, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify, Action<string, long> count)
    {
        var text = TextDecoder.Read(path, bytes);
        if (text is not null)
        {
            AnalyzeText(text, null, today, findings, notify);
            return text;
        }

        count("filesSkippedBinary", 1);
        var sink = new Sink(notify);
        foreach (var analyzer in _analyzers)
        {
            try
            {
                analyzer.AnalyzeBinary(new BinaryTarget(path, bytes), sink, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                notify(AnalyzerFailed(analyzer, e, path));
            }
        }

        foreach (var d in sink.Detections)
        {
            // No region, no line hash and no inline suppression in binary content: the identity is the evidence key.
            var properties = new Dictionary<string, string>(d.Properties ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            var identity = MaskedEvidence.Hash(properties.Remove(Detection.EvidenceKey, out var key) ? key : d.Secret ?? path);
            findings.Add(new Finding
            {
                RuleId = d.RuleId,
                Severity = d.Severity,
                Message = d.Message,
                Location = FindingLocation.InFile(path),
                Fingerprints = new Fingerprints(null, MaskedEvidence.Hash(string.Create(CultureInfo.InvariantCulture, $"{d.RuleId}\n{path}\n{identity}"))[..32]),
                Evidence = d.Secret is null ? null : MaskedEvidence.FromSecret(d.Secret),
                Properties = properties,
            });
        }

        return null;
    }

    private void AnalyzeText(ScanTarget target, HistoryChunk? history, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify)
    {
        var path = target.Path;
        var sink = new Sink(notify);
        foreach (var analyzer in _analyzers)
        {
            try
            {
                analyzer.Analyze(target, sink, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug in one analyzer must not lose the results of the others or of other files.
                notify(AnalyzerFailed(analyzer, e, path));
            }
        }

        if (sink.Detections.Count == 0)
        {
            return;
        }

        // GitHub's line hash describes the file as it is; lines extracted from a commit are not a file.
        var file = new SourceFile(path, target.Text, lineHashes: history is null);
        foreach (var d in sink.Detections)
        {
            if (ToFinding(file, d, history, today, p => p == path ? file : null, notify) is { } finding)
            {
                findings.Add(finding);
            }
        }
    }

    /// <summary>Runs one project analyzer over the files it wanted; its detections become findings like any other.</summary>
    private static void AnalyzeProject(IProjectAnalyzer analyzer, ProjectInput input, DateOnly today, ConcurrentBag<Finding> findings, Action<Notification> notify, Action<string, long> count, CancellationToken cancellationToken)
    {
        if (input.Files.Count == 0)
        {
            return;
        }

        var sink = new ProjectSink(notify, count);
        try
        {
            analyzer.Analyze(input, sink, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // What the analyzer reported before it failed stands; so do the other analyzers' findings.
            notify(AnalyzerFailed(analyzer, e, path: null));
        }

        var files = new Dictionary<string, SourceFile>(StringComparer.Ordinal);
        foreach (var f in input.Files)
        {
            files.TryAdd(f.Path, new SourceFile(f.Path, f.Text, lineHashes: true));
        }

        foreach (var (path, detection) in sink.Detections)
        {
            if (!files.TryGetValue(path, out var file))
            {
                notify(new Notification(AnalyzerFailedId, NotificationLevel.Error,
                    $"{analyzer.GetType().Name} reported {detection.RuleId} in a file it was not given; the result is dropped")
                { Path = path, RuleId = detection.RuleId });
                continue;
            }

            if (ToFinding(file, detection, null, today, files.GetValueOrDefault, notify) is { } finding)
            {
                findings.Add(finding);
            }
        }
    }

    private static bool Wants(IProjectAnalyzer analyzer, string path, Action<Notification> notify)
    {
        try
        {
            return analyzer.Wants(path);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            notify(AnalyzerFailed(analyzer, e, path));
            return false;
        }
    }

    private static Notification AnalyzerFailed(object analyzer, Exception e, string? path) =>
        new(AnalyzerFailedId, NotificationLevel.Error, $"{analyzer.GetType().Name} failed: {e.GetType().Name}: {e.Message}") { Path = path };

    /// <summary>
    /// Turns a detection into a finding: region, inline suppression, fingerprints, masked evidence, properties and the
    /// data-flow path (each step located in its own file, found through <paramref name="fileOf"/>). A detection whose
    /// offsets fall outside its text is an analyzer bug: it is reported as a notification, not as a wrong finding.
    /// </summary>
    private static Finding? ToFinding(SourceFile file, Detection d, HistoryChunk? history, DateOnly today, Func<string, SourceFile?> fileOf, Action<Notification> notify)
    {
        var path = file.Path;
        if (!file.Contains(d.Start, d.Length))
        {
            notify(OutsideText(d.RuleId, path));
            return null;
        }

        var region = file.Index.RegionOf(d.Start, d.Length);
        var suppression = InlineSuppressions.Find(file.Index, region.StartLine, d.RuleId, today, path, notify, d.SuppressionIds);
        var properties = new Dictionary<string, string>(d.Properties ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (history is not null)
        {
            var line = history.Lines[region.StartLine - 1];
            var endLine = history.Lines[Math.Min(region.EndLine, history.Lines.Count) - 1];
            region = region with { StartLine = line, EndLine = endLine };
            properties["commit"] = history.Commit;
            if (history.Date.Length > 0)
            {
                // Staged lines have no author date yet.
                properties["date"] = history.Date;
            }
        }

        // The evidence key (code, for code analysis) identifies the result; it is hashed, never written out.
        var identity = properties.Remove(Detection.EvidenceKey, out var key)
            ? MaskedEvidence.Hash(key)
            : MaskedEvidence.Hash(d.Secret ?? file.Text.Substring(d.Start, d.Length));
        var lineHashes = file.LineHashes;
        return new Finding
        {
            RuleId = d.RuleId,
            Severity = d.Severity,
            Message = d.Message,
            Location = FindingLocation.InFile(path, region),
            Fingerprints = new Fingerprints(
                lineHashes is not null && region.StartLine <= lineHashes.Count ? lineHashes[region.StartLine - 1] : null,
                MaskedEvidence.Hash(string.Create(CultureInfo.InvariantCulture, $"{d.RuleId}\n{path}\n{identity}"))[..32]),
            Evidence = d.Secret is null ? null : MaskedEvidence.FromSecret(d.Secret),
            Suppression = suppression,
            Properties = properties,
            Flow = d.Flow is { Count: > 0 } flow ? LocateFlow(d.RuleId, flow, fileOf, notify) : null,
        };
    }

    /// <summary>Each step gets the region in its own file; a step in a file the analyzer was not given is dropped.</summary>
    private static List<FlowStep>? LocateFlow(string ruleId, IReadOnlyList<DetectionStep> flow, Func<string, SourceFile?> fileOf, Action<Notification> notify)
    {
        var steps = new List<FlowStep>(flow.Count);
        foreach (var step in flow)
        {
            if (fileOf(step.Path) is not { } file || !file.Contains(step.Start, step.Length))
            {
                notify(OutsideText(ruleId, step.Path));
                continue;
            }

            steps.Add(new FlowStep(FindingLocation.InFile(step.Path, file.Index.RegionOf(step.Start, step.Length)), step.Message));
        }

        return steps.Count > 0 ? steps : null;
    }

    private static Notification OutsideText(string ruleId, string path) =>
        new(AnalyzerFailedId, NotificationLevel.Error, $"A result of {ruleId} points outside the text the analyzer was given; it is dropped") { Path = path, RuleId = ruleId };

    /// <summary>A scanned text with its line index and GitHub line hashes, each computed once, when first needed.</summary>
    private sealed class SourceFile(string path, string text, bool lineHashes)
    {
        private TextIndex? _index;
        private IReadOnlyList<string>? _lineHashes;

        public string Path => path;

        public string Text => text;

        public TextIndex Index => _index ??= new TextIndex(text);

        /// <summary>Null for lines taken from a commit, which are not a file.</summary>
        public IReadOnlyList<string>? LineHashes => lineHashes ? _lineHashes ??= LineHash.Compute(text) : null;

        public bool Contains(int start, int length) => start >= 0 && length >= 0 && start <= text.Length - length;
    }

    private sealed class Sink(Action<Notification> notify) : IDetectionSink
    {
        public List<Detection> Detections { get; } = [];

        public void Report(Detection detection) => Detections.Add(detection);

        public void Notify(Notification notification) => notify(notification);
    }

    /// <summary>A project analyzer's sink: called from any of the analyzer's threads.</summary>
    private sealed class ProjectSink(Action<Notification> notify, Action<string, long> count) : IProjectSink
    {
        public ConcurrentQueue<(string Path, Detection Detection)> Detections { get; } = new();

        public void Report(string path, Detection detection)
        {
            ArgumentNullException.ThrowIfNull(path);
            ArgumentNullException.ThrowIfNull(detection);
            Detections.Enqueue((path, detection));
        }

        public void Count(string statistic, long value)
        {
            ArgumentException.ThrowIfNullOrEmpty(statistic);
            count(statistic, value);
        }

        public void Notify(Notification notification)
        {
            ArgumentNullException.ThrowIfNull(notification);
            notify(notification);
        }
    }
}
