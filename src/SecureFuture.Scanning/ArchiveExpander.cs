using System.Buffers.Binary;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// Bounds on what one archive found in the walk may expand to. Each limit that trips is a notification naming the
/// archive, never a crash or a hang: a zip bomb is an input like any other.
/// </summary>
public sealed record ArchiveLimits
{
    /// <summary>Archives inside archives, counting the one on disk as 1 (<c>a.zip!/b.jar!/c.properties</c> is 2). 0 turns archives off.</summary>
    public int MaxDepth { get; init; } = 5;

    /// <summary>Entries read from one archive on disk, nested ones included.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>Bytes expanded from one archive on disk, nested ones included.</summary>
    public long MaxExpandedBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// An entry that expands to more than this many times its compressed size, and to more than
    /// <see cref="RatioFloor"/>, is a bomb. Text compresses 3 to 10 times; 42.zip's layers compress over 1,000.
    /// </summary>
    public int MaxRatio { get; init; } = 100;

    /// <summary>Below this size no entry is a bomb, whatever its ratio (a file of spaces compresses very well).</summary>
    public long RatioFloor { get; init; } = 1024 * 1024;
}

/// <summary>
/// Opens the archives the walk meets, zip (and the formats built on it: jar, war, nupkg, whl, apk, docx), tar and
/// gzip (so tar.gz and tgz), recognised by their magic bytes rather than their names, and hands every entry that is
/// not itself an archive to a visitor under a path that names where it came from: <c>lib/app.jar!/conf/db.properties</c>,
/// nested as <c>a.zip!/b.jar!/c.properties</c>. Nothing is written to disk, so an entry named <c>../../etc/passwd</c>
/// (zip slip) can do no harm; its name is still reported and cleaned so that no finding points outside the archive.
/// Depth, entry count, expanded size and compression ratio are bounded (<see cref="ArchiveLimits"/>); encrypted
/// entries, truncated or corrupt archives and an archive that contains itself are notifications.
/// </summary>
public sealed class ArchiveExpander
{
    /// <summary>The separator between an archive's path and an entry's path inside it (the jar URL convention).</summary>
    public const string Separator = "!/";

    private readonly ArchiveLimits _limits;
    private readonly long _maxEntrySize;
    private readonly Action<string, byte[]> _visit;
    private readonly Action<Notification> _notify;
    private readonly CancellationToken _cancellationToken;
    private readonly List<byte[]> _ancestors = [];
    private string _root = string.Empty;
    private int _entries;
    private long _expanded;

    /// <param name="maxEntrySize">An entry larger than this is skipped like a file over <c>--max-file-size</c>.</param>
    /// <param name="visit">Called with the path and content of every entry that is not an archive.</param>
    public ArchiveExpander(ArchiveLimits limits, long maxEntrySize, Action<string, byte[]> visit, Action<Notification> notify, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentNullException.ThrowIfNull(notify);
        _limits = limits;
        _maxEntrySize = maxEntrySize;
        _visit = visit;
        _notify = notify;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Entries handed to the visitor so far.</summary>
    public int EntriesVisited { get; private set; }

    public static bool IsArchive(ReadOnlySpan<byte> bytes) => FormatOf(bytes) is not null;

    /// <summary>
    /// Expands one archive found at <paramref name="path"/>. Returns false when a limit stopped it or it could not
    /// be read to the end (what was read before that was visited).
    /// </summary>
    public bool Expand(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(bytes);
        _root = path;
        _entries = 0;
        _expanded = 0;
        _ancestors.Clear();
        try
        {
            ExpandNested(path, bytes, depth: 1);
            return true;
        }
        catch (LimitReachedException e)
        {
            _notify(new Notification(e.Id, NotificationLevel.Warning, $"{e.Message}; the rest of the archive was not scanned") { Path = _root });
            return false;
        }
    }

    private static string? FormatOf(ReadOnlySpan<byte> bytes)
    {
        // APPNOTE.TXT §4.3.7 local file header and §4.3.16 end of central directory (an empty zip); RFC 1952 §2.3.1
        // gzip ID1 ID2 CM=8 (deflate); POSIX ustar magic at offset 257 (GNU tar writes "ustar  \0" there too).
        if (bytes.StartsWith("PK\x03\x04"u8) || bytes.StartsWith("PK\x05\x06"u8))
        {
            return "zip";
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B, 0x08]))
        {
            return "gzip";
        }

        return bytes.Length >= 262 && bytes[257..262].SequenceEqual("ustar"u8) ? "tar" : null;
    }

    private void ExpandNested(string path, byte[] bytes, int depth)
    {
        var hash = SHA256.HashData(bytes);
        if (_ancestors.Exists(a => a.AsSpan().SequenceEqual(hash)))
        {
            // A quine (an archive that contains itself) would otherwise expand until the depth limit, every time.
            _notify(new Notification("archive-self-reference", NotificationLevel.Warning, "The archive contains a copy of an archive it is inside; the copy was not opened again") { Path = path });
            return;
        }

        _ancestors.Add(hash);
        try
        {
            switch (FormatOf(bytes))
            {
                case "zip":
                    ExpandZip(path, bytes, depth);
                    break;
                case "gzip":
                    ExpandGzip(path, bytes, depth);
                    break;
                case "tar":
                    ExpandTar(path, new MemoryStream(bytes, writable: false), depth);
                    break;
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or LimitReachedException))
        {
            // Truncated, corrupt or of an unsupported variant: the entries read before the fault were scanned. The
            // readers throw a variety of types on hostile input (InvalidDataException, EndOfStreamException,
            // FormatException, ArgumentOutOfRangeException, ...); each is this archive's fault, not the scan's.
            _notify(new Notification("archive-unreadable", NotificationLevel.Warning, $"Cannot read the archive to its end ({e.GetType().Name}: {e.Message}); entries after the fault were not scanned") { Path = path });
        }
        finally
        {
            _ancestors.RemoveAt(_ancestors.Count - 1);
        }
    }

    private void ExpandZip(string path, byte[] bytes, int depth)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        foreach (var entry in zip.Entries)
        {
            // Every entry counts, directories too: the limit bounds the work, not only what is scanned.
            CountEntry();
            // Directories end with '/' and have no content.
            if (entry.FullName.EndsWith('/') && entry.Length == 0)
            {
                continue;
            }

            var entryPath = EntryPath(path, entry.FullName);
            if (entry.IsEncrypted)
            {
                _notify(new Notification("archive-entry-encrypted", NotificationLevel.Warning, "The entry is encrypted and could not be scanned") { Path = entryPath });
                continue;
            }

            byte[]? content;
            try
            {
                using var stream = entry.Open();
                content = ReadBounded(entryPath, stream, entry.CompressedLength, entry.Length);
            }
            catch (InvalidDataException e)
            {
                // One corrupt entry (or an unsupported compression method) does not hide the others.
                _notify(new Notification("archive-entry-unreadable", NotificationLevel.Warning, $"Cannot read the entry: {e.Message}") { Path = entryPath });
                continue;
            }

            if (content is not null)
            {
                Handle(entryPath, content, depth);
            }
        }
    }

    private void ExpandGzip(string path, byte[] bytes, int depth)
    {
        byte[]? content;
        using (var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress))
        {
            content = ReadBounded(path, gzip, bytes.Length, GzipDeclaredSize(bytes));
        }

        if (content is null)
        {
            return;
        }

        // A tar inside a gzip is one archive (.tar.gz, .tgz): its entries are named right after the file's path.
        if (FormatOf(content) == "tar")
        {
            ExpandTar(path, new MemoryStream(content, writable: false), depth);
            return;
        }

        var name = path[(path.LastIndexOf('/') + 1)..];
        var inner = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3]
            : name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? name[..^4] + ".tar"
            : name;
        var entryPath = EntryPath(path, inner.Length > 0 ? inner : "content");
        CountEntry();
        Handle(entryPath, content, depth);
    }

    /// <summary>The size a gzip member declares for its content (RFC 1952 §2.3.1 ISIZE: the last four bytes, modulo 2^32).</summary>
    private static long GzipDeclaredSize(byte[] bytes) =>
        bytes.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) : 0;

    private void ExpandTar(string path, Stream stream, int depth)
    {
        using var tar = new TarReader(stream);
        while (tar.GetNextEntry() is { } entry)
        {
            CountEntry();
            // Links, devices, FIFOs and directories have no content of their own to scan.
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile) || entry.DataStream is null)
            {
                continue;
            }

            var entryPath = EntryPath(path, entry.Name);
            // A tar entry is stored, not compressed: its size is its ratio's denominator.
            if (ReadBounded(entryPath, entry.DataStream, entry.Length, entry.Length) is { } content)
            {
                Handle(entryPath, content, depth);
            }
        }
    }

    private void Handle(string entryPath, byte[] content, int depth)
    {
        if (FormatOf(content) is null)
        {
            EntriesVisited++;
            _visit(entryPath, content);
            return;
        }

        if (depth >= _limits.MaxDepth)
        {
            _notify(new Notification("archive-too-deep", NotificationLevel.Warning,
                string.Create(CultureInfo.InvariantCulture, $"The archive is nested more than {_limits.MaxDepth} deep and was not opened"))
            { Path = entryPath });
            return;
        }

        ExpandNested(entryPath, content, depth + 1);
    }

    private void CountEntry()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (++_entries > _limits.MaxEntries)
        {
            throw new LimitReachedException("archive-too-many-entries",
                string.Create(CultureInfo.InvariantCulture, $"The archive has more than {_limits.MaxEntries:N0} entries"));
        }
    }

    /// <summary>
    /// Reads an entry, never more than the limits allow: the sizes an archive declares can lie, so the bound is on
    /// the bytes actually produced. Null when the entry is skipped (too large); throws when the archive must stop.
    /// </summary>
    /// <param name="declaredLength">
    /// The size the archive declares for the entry: the buffer starts at that size (within the limits), so that an
    /// honest entry is read into one array instead of a doubling series of them (large ones, which only a full
    /// collection frees: the peak memory of a scan of compressed documentation). A lie costs at most the limit.
    /// </param>
    private byte[]? ReadBounded(string entryPath, Stream stream, long compressedLength, long declaredLength)
    {
        var ratioLimit = Math.Max(_limits.RatioFloor, compressedLength * (long)_limits.MaxRatio);
        var budget = _limits.MaxExpandedBytes - _expanded;
        var limit = Math.Min(Math.Min(ratioLimit, _maxEntrySize), budget);
        using var buffer = new MemoryStream((int)Math.Clamp(declaredLength, 0, Math.Min(Math.Max(limit, 0), Array.MaxLength)));
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limit + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                break;
            }
        }

        _expanded += buffer.Length;
        if (buffer.Length <= limit)
        {
            // The declared size was right: the buffer is the content, with no copy.
            return buffer.TryGetBuffer(out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length ? whole.Array : buffer.ToArray();
        }

        if (ratioLimit <= _maxEntrySize && ratioLimit <= budget)
        {
            throw new LimitReachedException("archive-bomb", string.Create(CultureInfo.InvariantCulture,
                $"{entryPath} expands to more than {_limits.MaxRatio} times its compressed size of {FileWalker.FormatSize(compressedLength)} (a compression bomb)"));
        }

        if (budget <= _maxEntrySize)
        {
            throw new LimitReachedException("archive-too-large", string.Create(CultureInfo.InvariantCulture,
                $"The archive expands to more than {FileWalker.FormatSize(_limits.MaxExpandedBytes)}"));
        }

        _notify(new Notification("file-too-large", NotificationLevel.Note, string.Create(CultureInfo.InvariantCulture,
            $"Skipped: the entry is over the --max-file-size limit of {FileWalker.FormatSize(_maxEntrySize)}"))
        { Path = entryPath });
        return null;
    }

    /// <summary>
    /// The reported path of an entry: backslashes read as separators, and leading slashes, drive letters, <c>.</c>
    /// and <c>..</c> segments and control characters removed, so that a hostile name (zip slip) cannot make a
    /// finding point outside the archive. A name that needed cleaning is reported.
    /// </summary>
    private string EntryPath(string archivePath, string name)
    {
        var segments = name.Replace('\\', '/').Split('/').ToList();
        var unsafeName = segments.Contains("..") || name.StartsWith('/') || name.StartsWith('\\') || name.Any(char.IsControl)
            || (segments[0].Length == 2 && segments[0][1] == ':' && char.IsAsciiLetter(segments[0][0]));
        var clean = string.Join('/', segments
            .Select(s => new string([.. s.Where(c => !char.IsControl(c))]))
            .Where(s => s.Length > 0 && s is not "." and not ".." && !(s.Length == 2 && s[1] == ':')));
        var path = archivePath + Separator + (clean.Length == 0 ? "unnamed" : clean);
        if (unsafeName)
        {
            _notify(new Notification("archive-entry-name-unsafe", NotificationLevel.Warning,
                "The entry's name leaves the archive's directory or is not a relative path (zip slip); it is reported under its cleaned name")
            { Path = path });
        }

        return path;
    }

    private sealed class LimitReachedException(string id, string message) : Exception(message)
    {
        public string Id { get; } = id;
    }
}
