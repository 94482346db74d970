namespace SecureFuture.Core;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content: the data goes to a
/// temporary file in the same directory, is flushed to disk, then renamed over the target.
/// <para>
/// Only a regular file or a new path is replaced that way. A character device (<c>/dev/null</c>, a terminal) or a
/// FIFO is written straight through: renaming over it would replace the device itself (run as root,
/// <c>--output /dev/null</c> once turned <c>/dev/null</c> into a regular file and broke every later shell redirect).
/// Directories, block devices and sockets are refused. Every refusal, and a target that cannot be created, is an
/// <see cref="InputException"/> naming the path.
/// </para>
/// </summary>
public static class AtomicFile
{
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        switch (Inspect(path, full))
        {
            case FileKind.CharacterDevice or FileKind.Fifo:
                await WriteThroughAsync(path, full, write, cancellationToken);
                return;
            case FileKind.Directory:
                throw new InputException(path, null, null, "is a directory; give a file name to write");
            case FileKind.BlockDevice or FileKind.Socket:
                throw new InputException(path, null, null, "is a block device or socket; refusing to write a report there");
        }

        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"No directory in '{path}'.", nameof(path));
        switch (Inspect(path, directory))
        {
            case FileKind.Directory:
                break;
            case FileKind.Missing:
                throw new InputException(path, null, null, $"cannot write: the directory '{directory}' does not exist");
            default:
                throw new InputException(path, null, null, $"cannot write: '{directory}' is not a directory");
        }

        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var stream = Open(path, temp, FileMode.CreateNew);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException(path, null, null, $"cannot write: {e.Message}", e);
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>A device or FIFO: opened as it is (never created, truncated or replaced) and written to.</summary>
    private static async Task WriteThroughAsync(string path, string full, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var stream = Open(path, full, FileMode.Open);
        await using (stream.ConfigureAwait(false))
        {
            await write(stream, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
    }

    private static FileKind Inspect(string path, string target)
    {
        try
        {
            return FileKinds.Of(target);
        }
        catch (IOException e)
        {
            throw new InputException(path, null, null, $"cannot write: {e.Message}", e);
        }
    }

    private static FileStream Open(string path, string target, FileMode mode)
    {
        try
        {
            // A device or FIFO is shared by nature (the reader of a FIFO has it open already): no exclusive lock there.
            return mode == FileMode.Open
                ? new FileStream(target, mode, FileAccess.Write, FileShare.ReadWrite, 65536, FileOptions.None)
                : new FileStream(target, mode, FileAccess.Write, FileShare.None, 65536, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot write: {e.Message}", e);
        }
    }
}
