using System.IO.Compression;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// The bytes under the JSON: the pushed stream counted against <see cref="IngestLimits.MaxBytes"/>, gunzipped when it
/// starts with the gzip magic bytes (RFC 1952 §2.3.1: 0x1f 0x8b), whatever the Content-Encoding said, and the result
/// counted against <see cref="IngestLimits.MaxDecompressedBytes"/>. A gzip bomb therefore stops at the decompressed
/// limit, having cost that many bytes of CPU and a fixed buffer of memory.
/// </summary>
internal static class InputStreams
{
    /// <summary>
    /// Opens the JSON under the pushed bytes. With <paramref name="synchronous"/>, the two bytes that tell gzip apart are
    /// read with <see cref="Stream.Read(byte[], int, int)"/> and the task is complete on return; otherwise with
    /// <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/> (an ASP.NET Core request body refuses synchronous reads).
    /// </summary>
    public static async ValueTask<(Stream Json, bool Gzip)> OpenAsync(Stream pushed, IngestLimits limits, bool synchronous, CancellationToken cancellationToken)
    {
        // The caller owns the pushed stream: it is not disposed here.
        var raw = new LimitedStream(pushed, limits.MaxBytes, "the pushed log is larger than {0} bytes (IngestLimits.MaxBytes)", disposeInner: false);
        var magic = new byte[2];
        var read = 0;
        while (read < magic.Length)
        {
            var n = synchronous
                ? raw.Read(magic, read, magic.Length - read)
                : await raw.ReadAsync(magic.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        Stream prefixed = new PrefixStream(magic.AsMemory(0, read), raw);
        var gzip = read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (gzip)
        {
            prefixed = new GZipStream(prefixed, CompressionMode.Decompress);
        }

        return (new LimitedStream(prefixed, limits.MaxDecompressedBytes, gzip
            ? "the log decompresses to more than {0} bytes (IngestLimits.MaxDecompressedBytes): a gzip bomb, or a limit to raise"
            : "the log is larger than {0} bytes (IngestLimits.MaxDecompressedBytes)"), gzip);
    }
}

/// <summary>
/// What every read-only, forward-only stream of the ingest path says of itself: no length, no seeking, no writing.
/// A subclass supplies the reads (and a position, if it counts one).
/// </summary>
internal abstract class ForwardReadStream : Stream
{
    public sealed override bool CanRead => true;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => false;

    public sealed override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public sealed override void Flush()
    {
    }

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Raised by <see cref="LimitedStream"/>; the reader turns it into a <see cref="SarifIngestException"/> with a path.</summary>
internal sealed class StreamLimitException(string message) : Exception(message);

/// <summary>A read-only stream that refuses to deliver more than a limit, so nothing downstream ever sees more.</summary>
internal sealed class LimitedStream(Stream inner, long limit, string messageFormat, bool disposeInner = true) : ForwardReadStream
{
    private long _read;

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(Clamp(buffer)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(Clamp(buffer), cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing && disposeInner)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // One byte more than the limit is asked for, so that a stream of exactly the limit is accepted and one byte more
    // is refused without reading further.
    private Span<byte> Clamp(Span<byte> buffer) => buffer[..(int)Math.Min(buffer.Length, limit + 1 - _read)];

    private Memory<byte> Clamp(Memory<byte> buffer) => buffer[..(int)Math.Min(buffer.Length, limit + 1 - _read)];

    private int Count(int n)
    {
        _read += n;
        if (_read > limit)
        {
            throw new StreamLimitException(string.Format(System.Globalization.CultureInfo.InvariantCulture, messageFormat, limit));
        }

        return n;
    }
}

/// <summary>Bytes already read (the magic-number peek), then the rest of the stream.</summary>
internal sealed class PrefixStream(ReadOnlyMemory<byte> prefix, Stream rest) : ForwardReadStream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => _prefix.IsEmpty ? rest.Read(buffer) : TakePrefix(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _prefix.IsEmpty ? rest.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(TakePrefix(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rest.Dispose();
        }

        base.Dispose(disposing);
    }

    private int TakePrefix(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }
}
