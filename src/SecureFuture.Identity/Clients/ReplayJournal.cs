using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SecureFuture.Core;

namespace SecureFuture.Identity.Clients;

/// <summary>
/// SQLite's single-use identifiers: decided in this process's memory and written, before any is accepted, to an
/// append-only journal in a directory next to the store (<c>sfi.db</c> → <c>sfi-replay/</c>), from which the next start
/// reads them back.
/// </summary>
/// <remarks>
/// <para>On SQLite one process serves the store (<c>sfi serve</c> locks its data directory), so one process decides
/// single use; the journal's own lock file makes a second opener in this or another process fail instead of deciding
/// on its own. Every identifier (the SHA-256 of the caller's id) is checked and claimed in memory, under a lock of one
/// of <see cref="StripeCount"/> stripes, so of concurrent uses of one identifier exactly one is claimed; the claimed
/// ones are then appended to the journal, several callers' in one write (group commit), with <c>O_DSYNC</c> into zeros
/// written ahead of them (so a write waits for its data alone, not for the file's size or block map): a caller
/// is told its identifiers are new only once that write returned, so an accepted identifier survives a crash or power
/// loss, and after a failed write the caller refuses (its identifiers stay claimed, which refuses their replays too).
/// The writer answers a write's callers itself, as far as a millisecond goes (see <see cref="Complete"/>).
/// This writes one small record per identifier where a database wrote a 4 KiB B-tree page and its checkpoint copy.</para>
/// <para>The journal is a sequence of segment files (<c>0000000000000001.log</c>, ...), each a 16-byte header (magic and
/// its sequence number) followed by batches: magic, count, count records of 32-byte id and 8-byte expiry (Unix ms,
/// little-endian), and the first 16 bytes of the SHA-256 of the segment number, the batch's offset and its bytes, then
/// zeros (written 256 KiB ahead, and the end of the segment when read back). A new
/// segment is started on open, once a minute and every <see cref="SegmentBytes"/>; a segment is deleted once every
/// identifier in it has expired (identifiers live minutes, so a handful of segments exist at a time). Reading it back, a
/// damaged batch at the end of the last segment is a write that was interrupted before anything in it was accepted, and
/// is cut off; a damaged batch anywhere else means the disk lost data that was acknowledged, and the store refuses to
/// open (deciding single use without it would accept replays).</para>
/// <para>Memory: about 60 bytes per live identifier (two per token, each kept until its assertion or proof expires;
/// at most ten minutes for an assertion, about one for a proof).</para>
/// </remarks>
internal sealed class ReplayJournal : IAsyncDisposable
{
    /// <summary>Identifiers are SHA-256 hashes.</summary>
    internal const int IdLength = 32;

    /// <summary>Most records in one batch (a write of more is split into several batches).</summary>
    internal const int MaxBatch = 4096;

    /// <summary>Size after which the next write starts a new segment.</summary>
    internal const long SegmentBytes = 16 << 20;

    /// <summary>Age after which the next write starts a new segment.</summary>
    internal static readonly TimeSpan SegmentAge = TimeSpan.FromMinutes(1);

    internal const int HeaderLength = 16;
    private const int RecordLength = IdLength + 8;
    private const int BatchHeaderLength = 8;
    private const int ChecksumLength = 16;
    private const int StripeCount = 64;
    private const uint BatchMagic = 0x48435442; // "BTCH"
    private const string SegmentExtension = ".log";

    /// <summary>How long a writer runs its callers' continuations itself, per write (see <see cref="Complete"/>): 1 ms.</summary>
    private static readonly long InlineBudget = Stopwatch.Frequency / 1000;

    /// <summary>Rounds between two measurements of continuations measured slow.</summary>
    private const int SlowProbeRounds = 64;

    private static ReadOnlySpan<byte> FileMagic => "SFIRPLY1"u8;

    private readonly TimeSpan _segmentAge;
    private readonly Stripe[] _stripes = [.. Enumerable.Range(0, StripeCount).Select(_ => new Stripe())];
    private readonly SemaphoreSlim _opening = new(1, 1);

    // Guarded by _write: what waits to be written, whether a writer runs, the segments.
    private readonly Lock _write = new();
    private List<Pending> _pending = [];
    private bool _writing;
    private TaskCompletionSource _idle = new();
    private readonly List<(long Sequence, string Path, long MaxExpiry)> _closed = [];
    private Segment? _current;
    private long _lastSequence;
    private Exception? _broken;

    // Owned by the writer (one thread at a time, handed on under _write): what a caller's continuation cost when the
    // writer ran it (Stopwatch ticks, a moving average; negative until measured), and rounds since it last ran one
    // measured slow.
    private long _continuationTicks = -1;
    private int _slowRounds;

    private FileStream? _lock;

    /// <summary>For tests: the next write puts only this many bytes in the file and fails, as a full disk or I/O error would.</summary>
    internal int? TearNextWriteForTests { get; set; }

    /// <summary>For tests: runs on the writer's thread before the next write (once), with the round already taken.</summary>
    internal Action? BeforeNextWriteForTests { get; set; }

    /// <summary>For tests: callers waiting for a write that has not started.</summary>
    internal int QueuedForTests
    {
        get
        {
            lock (_write)
            {
                return _pending.Count;
            }
        }
    }

    private volatile bool _opened;
    private bool _disposed;

    /// <param name="directory">The journal's directory (created in an existing parent when missing).</param>
    /// <param name="segmentAge">How long a segment is appended to (<see cref="SegmentAge"/> unless a test says otherwise).</param>
    public ReplayJournal(string directory, TimeSpan? segmentAge = null)
    {
        Directory = Path.GetFullPath(directory);
        _segmentAge = segmentAge ?? SegmentAge;
    }

    /// <summary>The journal's directory.</summary>
    public string Directory { get; }

    /// <summary>The journal that goes with the SQLite store at <paramref name="storePath"/>: <c>sfi.db</c> → <c>sfi-replay/</c>.</summary>
    public static ReplayJournal For(string storePath)
    {
        var store = Path.GetFullPath(storePath);
        return new ReplayJournal(Path.Combine(Path.GetDirectoryName(store)!, Path.GetFileNameWithoutExtension(store) + "-replay"));
    }

    /// <summary>Identifiers held in memory (live, and expired ones not yet purged).</summary>
    internal int Count => _stripes.Sum(s => { lock (s.Gate) { return s.Expiries.Count; } });

    /// <summary>Where the next batch goes in the current segment (the end of its last whole batch); 0 when there is none.</summary>
    internal long AppendOffset
    {
        get
        {
            lock (_write)
            {
                return _current?.Length ?? 0;
            }
        }
    }

    /// <summary>The segment files, oldest first.</summary>
    internal IReadOnlyList<string> SegmentFiles
    {
        get
        {
            lock (_write)
            {
                return [.. _closed.Select(c => c.Path), .. _current is null ? Array.Empty<string>() : [_current.Path]];
            }
        }
    }

    /// <summary>
    /// Takes the journal's lock and reads every segment back (once; later calls return at once).
    /// </summary>
    /// <exception cref="IOException">Another store holds the journal, or it cannot be read.</exception>
    /// <exception cref="InvalidDataException">A segment lost data that was acknowledged.</exception>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_opened)
        {
            return;
        }

        await _opening.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_opened)
            {
                return;
            }

            Load();
            _opened = true;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>
    /// Claims each identifier not seen before, or seen with an expiry at or before <paramref name="nowMs"/>, until its
    /// expiry, and returns, for each, whether it was claimed now; returns once the claimed ones are on disk. Of equal
    /// identifiers in one call the first is claimed.
    /// </summary>
    /// <exception cref="IOException">The journal cannot be written: nothing may be accepted.</exception>
    public async Task<bool[]> TryAddAllAsync(IReadOnlyList<(byte[] Hash, long UntilMs)> ids, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await OpenAsync(cancellationToken);
        ThrowIfUnusable();
        var decided = new bool[ids.Count];
        List<(ReplayId Id, long UntilMs)>? claimed = null;
        for (var i = 0; i < ids.Count; i++)
        {
            var (hash, until) = ids[i];
            var id = new ReplayId(hash);
            var stripe = _stripes[id.Stripe];
            lock (stripe.Gate)
            {
                if (stripe.Expiries.TryGetValue(id, out var expires) && expires > nowMs)
                {
                    continue;
                }

                stripe.Expiries[id] = until;
            }

            decided[i] = true;
            (claimed ??= new(ids.Count)).Add((id, until));
        }

        if (claimed is not null)
        {
            await WriteAsync(claimed).WaitAsync(cancellationToken);
        }

        return decided;
    }

    /// <summary>
    /// Adds identifiers an earlier version kept elsewhere (the later expiry wins over one already held), on disk when
    /// this returns.
    /// </summary>
    public async Task ImportAsync(IReadOnlyList<(byte[] Hash, long UntilMs)> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await OpenAsync(cancellationToken);
        ThrowIfUnusable();
        var records = new List<(ReplayId, long)>(ids.Count);
        foreach (var (hash, until) in ids)
        {
            var id = new ReplayId(hash);
            Hold(id, until);
            records.Add((id, until));
        }

        if (records.Count > 0)
        {
            await WriteAsync(records).WaitAsync(cancellationToken);
        }
    }

    /// <summary>Forgets identifiers that expired at or before <paramref name="nowMs"/> and deletes segments holding only such; returns how many identifiers.</summary>
    public int Purge(long nowMs)
    {
        var purged = 0;
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                foreach (var (id, expires) in stripe.Expiries)
                {
                    if (expires <= nowMs)
                    {
                        stripe.Expiries.Remove(id);
                        purged++;
                    }
                }
            }
        }

        List<string> expired;
        lock (_write)
        {
            expired = [.. _closed.Where(c => c.MaxExpiry <= nowMs).Select(c => c.Path)];
            _closed.RemoveAll(c => c.MaxExpiry <= nowMs);
        }

        // A deleted segment that reappears after a crash holds expired identifiers only: harmless, deleted again.
        foreach (var path in expired)
        {
            File.Delete(path);
        }

        return purged;
    }

    public async ValueTask DisposeAsync()
    {
        Task idle;
        lock (_write)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            idle = _writing ? _idle.Task : Task.CompletedTask;
        }

        // What was claimed before is written (its callers wait for it); nothing new is taken.
        await idle;
        lock (_write)
        {
            _current?.Dispose();
            _current = null;
        }

        if (_lock is not null)
        {
            await _lock.DisposeAsync();
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _broken) is { } broken)
        {
            throw new IOException($"the replay journal {Directory} could not be written and not repaired; restart the server", broken);
        }
    }

    /// <summary>Holds <paramref name="id"/> until the later of its current expiry and <paramref name="until"/>.</summary>
    private void Hold(ReplayId id, long until)
    {
        var stripe = _stripes[id.Stripe];
        lock (stripe.Gate)
        {
            if (!stripe.Expiries.TryGetValue(id, out var held) || held < until)
            {
                stripe.Expiries[id] = until;
            }
        }
    }

    /// <summary>
    /// Queues records and returns a task that completes once they are on disk. When no write is under way the caller
    /// leads: it writes what is queued itself, on its own thread (no hand-off to another thread and back), and leaves
    /// what arrived meanwhile to a writer on the thread pool, so it waits for one write only. Otherwise the records go
    /// in the next write.
    /// </summary>
    private Task WriteAsync(List<(ReplayId Id, long UntilMs)> records)
    {
        // Continuations may run synchronously when the task completes: Complete decides where each caller goes on.
        var pending = new Pending(records, new TaskCompletionSource());
        lock (_write)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending.Add(pending);
            if (_writing)
            {
                return pending.Written.Task;
            }

            _writing = true;
            _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        WriteRound(pending);
        if (!StopWritingIfDone())
        {
            _ = Task.Run(WriteAll);
        }

        return pending.Written.Task;
    }

    /// <summary>Writes what is queued, one write per round, until nothing is.</summary>
    private void WriteAll()
    {
        do
        {
            WriteRound(null);
        }
        while (!StopWritingIfDone());
    }

    /// <summary>Ends the writing when nothing is queued (the next caller then leads); false when something is.</summary>
    private bool StopWritingIfDone()
    {
        lock (_write)
        {
            if (_pending.Count > 0)
            {
                return false;
            }

            _writing = false;
            _idle.TrySetResult();
            return true;
        }
    }

    /// <summary>
    /// Writes everything queued in one round and completes its callers: on disk, or the write's failure.
    /// <paramref name="own"/> is the leading caller's, when the writer is a caller.
    /// </summary>
    private void WriteRound(Pending? own)
    {
        List<Pending> round;
        lock (_write)
        {
            round = _pending;
            _pending = [];
        }

        if (round.Count == 0)
        {
            return;
        }

        Exception? failure = null;
        try
        {
            Append(round);
        }
        catch (Exception e)
        {
            failure = e;
        }

        Complete(round, own, failure);
    }

    /// <summary>
    /// Tells a round's callers that their write is done, or failed. The leading caller's own request goes on once the
    /// round is over. The others' continuations (signing the token and answering, for the token service) run here, on
    /// the writer's thread, one after another, as many as fit in a millisecond at the cost measured for earlier ones;
    /// the rest are handed to the thread pool first, so they do not wait for those. Handing every caller to the thread
    /// pool cost the token service about a tenth more CPU per token on the benchmark machine (docs/benchmarks.md, round
    /// 15); answering every caller here would make a round's callers wait for one another behind a slow one (an HSM
    /// across the network). Continuations measured slower than the millisecond are all handed on, and one in
    /// <see cref="SlowProbeRounds"/> rounds is run here to measure again. The next write waits for those run here; its
    /// batch grows meanwhile. So a caller must not block its thread on a later write of this journal (none does: every
    /// caller awaits): run here, it would wait for a write that waits for it.
    /// </summary>
    private void Complete(List<Pending> round, Pending? own, Exception? failure)
    {
        int here;
        if (_continuationTicks < 0)
        {
            here = 1; // not measured yet
        }
        else if (_continuationTicks <= InlineBudget)
        {
            here = (int)Math.Min(round.Count, InlineBudget / Math.Max(1, _continuationTicks));
        }
        else
        {
            here = ++_slowRounds >= SlowProbeRounds ? 1 : 0;
        }

        List<Pending>? local = null;
        foreach (var pending in round)
        {
            if (ReferenceEquals(pending, own))
            {
                continue;
            }

            if ((local?.Count ?? 0) < here)
            {
                (local ??= new(here)).Add(pending);
            }
            else
            {
                HandOn(pending, failure);
            }
        }

        if (own is not null)
        {
            Set(own, failure); // nothing awaits it yet: its caller goes on when this returns
        }

        if (local is null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        foreach (var pending in local)
        {
            var now = Stopwatch.GetTimestamp();
            if (now - started > InlineBudget)
            {
                HandOn(pending, failure);
                continue;
            }

            Set(pending, failure);
            var took = Stopwatch.GetTimestamp() - now;
            _continuationTicks = _continuationTicks < 0 ? took : ((_continuationTicks * 7) + took) / 8;
            _slowRounds = 0;
        }
    }

    /// <summary>Completes <paramref name="pending"/> on a thread-pool thread, where its continuation then runs.</summary>
    private static void HandOn(Pending pending, Exception? failure)
        => ThreadPool.UnsafeQueueUserWorkItem(static s => Set(s.Pending, s.Failure), (Pending: pending, Failure: failure), preferLocal: false);

    private static void Set(Pending pending, Exception? failure)
    {
        if (failure is null)
        {
            pending.Written.TrySetResult();
        }
        else
        {
            pending.Written.TrySetException(failure); // callers refuse what could not be recorded
        }
    }

    /// <summary>Appends one round's records to the current segment (starting one when due), in one synchronous write.</summary>
    private void Append(List<Pending> round)
    {
        if (Volatile.Read(ref _broken) is { } broken)
        {
            throw new IOException($"the replay journal {Directory} could not be written and not repaired", broken);
        }

        if (BeforeNextWriteForTests is { } before)
        {
            BeforeNextWriteForTests = null;
            before();
        }

        var records = round.SelectMany(p => p.Records).ToList();
        var buffer = new byte[BatchHeaderLength + Math.Min(records.Count, MaxBatch) * RecordLength + ChecksumLength];
        for (var start = 0; start < records.Count; start += MaxBatch)
        {
            // One batch per write: a crash can then tear only the last batch of the journal, which reading it back
            // tells apart from damage to what was acknowledged.
            var segment = CurrentSegment();
            var count = Math.Min(MaxBatch, records.Count - start);
            var length = BatchHeaderLength + count * RecordLength;
            BinaryPrimitives.WriteUInt32LittleEndian(buffer, BatchMagic);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), count);
            var maxExpiry = long.MinValue;
            for (var i = 0; i < count; i++)
            {
                var (id, until) = records[start + i];
                var at = BatchHeaderLength + i * RecordLength;
                id.CopyTo(buffer.AsSpan(at, IdLength));
                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(at + IdLength, 8), until);
                maxExpiry = Math.Max(maxExpiry, until);
            }

            Checksum(segment.Sequence, segment.Length, buffer.AsSpan(0, length), buffer.AsSpan(length, ChecksumLength));
            segment.Reserve(length + ChecksumLength);
            Write(segment, buffer.AsSpan(0, length + ChecksumLength));
            segment.Length += length + ChecksumLength;
            segment.MaxExpiry = Math.Max(segment.MaxExpiry, maxExpiry);
        }
    }

    /// <summary>Appends one batch, on disk when this returns (<c>O_DSYNC</c>); after a failure the file ends with the last whole batch again.</summary>
    private void Write(Segment segment, ReadOnlySpan<byte> batch)
    {
        try
        {
            if (TearNextWriteForTests is { } torn)
            {
                TearNextWriteForTests = null;
                RandomAccess.Write(segment.Handle, batch[..torn], segment.Length);
                throw new IOException("a write torn by the test");
            }

            RandomAccess.Write(segment.Handle, batch, segment.Length);
        }
        catch (Exception e)
        {
            // Cut off whatever part reached the file, so the next batch follows the last whole one. If that fails too,
            // this journal is done: a damaged batch followed by good ones would stop the next start.
            try
            {
                RandomAccess.SetLength(segment.Handle, segment.Length);
                segment.Allocated = segment.Length;
            }
            catch (Exception cut)
            {
                Volatile.Write(ref _broken, new AggregateException(e, cut));
            }

            throw;
        }
    }

    /// <summary>The first 16 bytes of SHA-256(segment number, offset, batch): a batch read back elsewhere than written does not verify.</summary>
    private static void Checksum(long sequence, long offset, ReadOnlySpan<byte> batch, Span<byte> destination)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> position = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(position, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(position[8..], offset);
        hash.AppendData(position);
        hash.AppendData(batch);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        digest[..ChecksumLength].CopyTo(destination);
    }

    /// <summary>The segment to append to: the current one, or a new one when there is none or it is full or old.</summary>
    private Segment CurrentSegment()
    {
        var current = _current;
        if (current is not null && current.Length < SegmentBytes && (current.Length == HeaderLength || Environment.TickCount64 - current.Started < _segmentAge.TotalMilliseconds))
        {
            return current;
        }

        var sequence = _lastSequence + 1;
        var path = Path.Combine(Directory, sequence.ToString("D16", CultureInfo.InvariantCulture) + SegmentExtension);
        var created = Segment.Create(path, sequence);
        lock (_write)
        {
            _lastSequence = sequence;
            if (current is not null)
            {
                _closed.Add((current.Sequence, current.Path, current.MaxExpiry));
                current.Dispose();
            }

            _current = created;
        }

        return created;
    }

    /// <summary>Takes the lock, reads every segment back into memory, and cuts off a torn end of the last one.</summary>
    private void Load()
    {
        var parent = Path.GetDirectoryName(Directory)!;
        if (!System.IO.Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException($"the store's directory {parent} does not exist");
        }

        if (!System.IO.Directory.Exists(Directory))
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(Directory);
            }
            else
            {
                System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            DirectorySync.Sync(parent);
        }

        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            _lock = new FileStream(Path.Combine(Directory, "lock"), options);
        }
        catch (IOException e)
        {
            throw new IOException($"the replay journal {Directory} is held by another store (SQLite serves one node; use PostgreSQL for several)", e);
        }

        try
        {
            ReadSegments();
        }
        catch
        {
            // Nothing half-read is used, and the next attempt reads everything again.
            foreach (var stripe in _stripes)
            {
                lock (stripe.Gate)
                {
                    stripe.Expiries.Clear();
                }
            }

            _closed.Clear();
            _lastSequence = 0;
            _lock.Dispose();
            _lock = null;
            throw;
        }
    }

    private void ReadSegments()
    {
        var segments = System.IO.Directory.GetFiles(Directory, "*" + SegmentExtension)
            .Select(path => (Path: path, Sequence: long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0))
            .Where(s => s.Sequence > 0 && Path.GetFileName(s.Path).Length == 16 + SegmentExtension.Length)
            .OrderBy(s => s.Sequence)
            .ToList();
        for (var i = 0; i < segments.Count; i++)
        {
            var (path, sequence) = segments[i];
            _lastSequence = sequence;
            if (ReadSegment(path, sequence, last: i == segments.Count - 1) is { } maxExpiry)
            {
                _closed.Add((sequence, path, maxExpiry));
            }
        }
    }

    /// <summary>Reads one segment's records into memory; returns its latest expiry, or null when it was a torn new segment (deleted).</summary>
    private long? ReadSegment(string path, long sequence, bool last)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < HeaderLength || !data.AsSpan(0, 8).SequenceEqual(FileMagic) || BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8)) != sequence)
        {
            // A new segment is synced with its header before anything is written to it: the last one may have been
            // cut short by a crash while it was made, with nothing in it.
            if (last && data.Length <= HeaderLength)
            {
                File.Delete(path);
                return null;
            }

            throw new InvalidDataException($"{path}: not a replay journal segment (its header is damaged); single use cannot be decided without it");
        }

        var maxExpiry = long.MinValue;
        var offset = HeaderLength;
        while (offset < data.Length)
        {
            if (data.AsSpan(offset).IndexOfAnyExcept((byte)0) < 0)
            {
                // Zeros written ahead of the batches (Segment.Reserve): the end of what was written.
                break;
            }

            if (WholeBatchAt(data, sequence, offset) is not { } length)
            {
                // Only the last write can be torn, and a write is one batch: a whole batch after this one means this
                // one was damaged after it was acknowledged.
                if (!last || AnyWholeBatchAfter(data, sequence, offset))
                {
                    throw new InvalidDataException($"{path}: the batch at byte {offset} is damaged, and the identifiers after it were acknowledged; " +
                        "single use cannot be decided without them. Every identifier expires within minutes of being recorded: once the server " +
                        $"has been stopped for {TimeSpan.FromMinutes(15).TotalMinutes:0} minutes, {Directory} can be removed");
                }

                // The end of the last segment: a write cut short by a crash, whose callers were never answered.
                using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                RandomAccess.SetLength(file, offset);
                RandomAccess.FlushToDisk(file);
                break;
            }

            for (var record = offset + BatchHeaderLength; record < offset + length; record += RecordLength)
            {
                var until = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(record + IdLength, 8));
                Hold(new ReplayId(data.AsSpan(record, IdLength)), until);
                maxExpiry = Math.Max(maxExpiry, until);
            }

            offset += length + ChecksumLength;
        }

        return maxExpiry;
    }

    /// <summary>The length (header and records, without the checksum) of the whole batch at <paramref name="offset"/>: its magic, a count in range, all its bytes and a checksum that verifies at this offset; null otherwise.</summary>
    private static int? WholeBatchAt(byte[] data, long sequence, int offset)
    {
        var rest = data.AsSpan(offset);
        var count = rest.Length >= BatchHeaderLength && BinaryPrimitives.ReadUInt32LittleEndian(rest) == BatchMagic ? BinaryPrimitives.ReadInt32LittleEndian(rest[4..]) : 0;
        if (count is <= 0 or > MaxBatch || rest.Length < BatchHeaderLength + (count * RecordLength) + ChecksumLength)
        {
            return null;
        }

        var length = BatchHeaderLength + (count * RecordLength);
        Span<byte> expected = stackalloc byte[ChecksumLength];
        Checksum(sequence, offset, rest[..length], expected);
        return expected.SequenceEqual(rest.Slice(length, ChecksumLength)) ? length : null;
    }

    /// <summary>Whether a whole batch (magic, count and checksum at its own offset) starts anywhere after <paramref name="offset"/>.</summary>
    private static bool AnyWholeBatchAfter(byte[] data, long sequence, int offset)
    {
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, BatchMagic);
        for (var at = offset + 1; at < data.Length; at++)
        {
            var found = data.AsSpan(at).IndexOf(magic);
            if (found < 0)
            {
                return false;
            }

            at += found;
            if (WholeBatchAt(data, sequence, at) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One caller's claimed records, and when they are on disk.</summary>
    private sealed record Pending(List<(ReplayId Id, long UntilMs)> Records, TaskCompletionSource Written);

    /// <summary>A share of the identifiers, with its own lock.</summary>
    private sealed class Stripe
    {
        public Lock Gate { get; } = new();

        public Dictionary<ReplayId, long> Expiries { get; } = [];
    }

    /// <summary>The segment being appended to.</summary>
    private sealed class Segment : IDisposable
    {
        /// <summary>Zeros written ahead of the batches at a time (see <see cref="Reserve"/>): a write in about a thousand.</summary>
        private const int ReserveBytes = 256 << 10;

        private static readonly byte[] Zeros = new byte[ReserveBytes];

        private Segment(string path, long sequence, SafeFileHandle file)
        {
            Path = path;
            Sequence = sequence;
            Handle = file;
        }

        public string Path { get; }

        public long Sequence { get; }

        public SafeFileHandle Handle { get; }

        /// <summary>Where the next batch goes: the end of the last whole batch.</summary>
        public long Length { get; set; } = HeaderLength;

        /// <summary>The file's length: the batches, then zeros written ahead of them.</summary>
        public long Allocated { get; set; } = HeaderLength;

        public long MaxExpiry { get; set; } = long.MinValue;

        public long Started { get; } = Environment.TickCount64;

        /// <summary>A new segment with its header, on disk (the file and its name) when this returns.</summary>
        public static Segment Create(string path, long sequence)
        {
            var file = DataSyncedFile.CreateNew(path);
            try
            {
                Span<byte> header = stackalloc byte[HeaderLength];
                FileMagic.CopyTo(header);
                BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
                RandomAccess.Write(file, header, 0);
                DirectorySync.Sync(System.IO.Path.GetDirectoryName(path)!);
                return new Segment(path, sequence, file);
            }
            catch
            {
                file.Dispose();
                File.Delete(path);
                throw;
            }
        }

        /// <summary>
        /// Makes room for <paramref name="bytes"/> after <see cref="Length"/> by writing zeros ahead of it, on disk when
        /// this returns: a batch then overwrites blocks the file already has, within its length, so its <c>O_DSYNC</c>
        /// write waits for the data alone, not for the file's size or block map as an append would. Reading back, zeros
        /// after the last batch are the end of the segment.
        /// </summary>
        public void Reserve(int bytes)
        {
            while (Length + bytes > Allocated)
            {
                RandomAccess.Write(Handle, Zeros, Allocated);
                Allocated += Zeros.Length;
            }
        }

        public void Dispose() => Handle.Dispose();
    }

    /// <summary>A 32-byte identifier as four words; hashed with the process's random seed.</summary>
    private readonly struct ReplayId : IEquatable<ReplayId>
    {
        private readonly ulong _a;
        private readonly ulong _b;
        private readonly ulong _c;
        private readonly ulong _d;

        public ReplayId(ReadOnlySpan<byte> hash)
        {
            if (hash.Length != IdLength)
            {
                throw new ArgumentException($"an identifier is {IdLength} bytes", nameof(hash));
            }

            _a = BinaryPrimitives.ReadUInt64LittleEndian(hash);
            _b = BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]);
            _c = BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]);
            _d = BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]);
        }

        public int Stripe => (int)(_d % StripeCount);

        public void CopyTo(Span<byte> destination)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination, _a);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _b);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _c);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _d);
        }

        public bool Equals(ReplayId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

        public override bool Equals(object? obj) => obj is ReplayId other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_a, _b);
    }
}
