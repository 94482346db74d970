using System.Buffers.Binary;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// Results read before their run's <c>tool</c> or <c>automationDetails</c> (Semgrep writes its keys in alphabetical
/// order, so <c>results</c> precede <c>tool</c>): their JSON is kept in a temporary file, deleted on close, and mapped
/// when the run ends. Memory stays one result; disk is at most the decompressed size limit.
/// </summary>
internal sealed class ResultSpool : IDisposable
{
    private const int HeaderSize = 4 + 4 + 8 + 8 + 8;
    private readonly FileStream _file;
    private int _count;

    public ResultSpool() => _file = CreateTemporaryFile();

    /// <summary>A temporary file readable by this user only (results can carry code snippets), deleted on close.</summary>
    internal static FileStream CreateTemporaryFile()
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose | FileOptions.SequentialScan,
            BufferSize = 1 << 16,
        };
        if (!OperatingSystem.IsWindows())
        {
            // Results can carry code snippets: readable by this user only.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(Path.Combine(Path.GetTempPath(), $"sfi-ingest-{Guid.NewGuid():N}.spool"), options);
    }

    /// <summary>A spooled result: its JSON, its index in <c>results</c> and where it started.</summary>
    public readonly record struct Entry(ReadOnlyMemory<byte> Json, int ResultIndex, JsonPosition Position);

    public void Add(ReadOnlySpan<byte> json, int resultIndex, JsonPosition position)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(header, json.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], resultIndex);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], position.Line);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], position.Column);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], position.Byte);
        _file.Write(header);
        _file.Write(json);
        _count++;
    }

    /// <summary>The results in the order they were added; each entry's JSON is valid until the next is read.</summary>
    public IEnumerable<Entry> ReadAll()
    {
        _file.Flush();
        _file.Position = 0;
        var header = new byte[HeaderSize];
        var buffer = new byte[1 << 16];
        for (var i = 0; i < _count; i++)
        {
            _file.ReadExactly(header);
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length > buffer.Length)
            {
                buffer = new byte[Math.Max(length, buffer.Length * 2)];
            }

            _file.ReadExactly(buffer, 0, length);
            var position = new JsonPosition(
                BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)),
                BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)),
                BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24)));
            yield return new Entry(buffer.AsMemory(0, length), BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4)), position);
        }
    }

    public void Dispose() => _file.Dispose();
}
