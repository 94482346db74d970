using System.Text.RegularExpressions;

namespace SecureFuture.Core;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content: the data goes to a
/// temporary file in the same directory, is flushed to disk, then renamed over the target.
/// <para>
/// Only a regular file or a new path is replaced that way. A character device (<c>/dev/null</c>, a terminal) or a
/// FIFO is written straight through: renaming over it would replace the device itself (run as root,
/// <c>--output /dev/null</c> once turned <c>/dev/null</c> into a regular file and broke every later shell redirect).
/// Directories, block devices and sockets are refused. Every refusal, and a target that cannot be created or written
/// (a full disk), is an <see cref="InputException"/> naming the path.
/// </para>
/// <para>
/// A symbolic link is never renamed over: its chain is followed hop by hop and the final target is what gets
/// replaced, so the link stays a link. A chain through an open file descriptor, <c>/proc/self/fd/N</c> or <c>/dev/fd/N</c> (<c>/dev/stdout</c> is
/// a link to <c>/proc/self/fd/1</c>: an open file, not a path), is written straight through the given path, as <c>tee</c>
/// does; run as root, <c>--output /dev/stdout</c> once replaced the machine's <c>/dev/stdout</c> by a regular file.
/// </para>
/// </summary>
public static partial class AtomicFile
{
    /// <summary>How many symbolic links are followed before the chain is refused as a loop (Linux's own limit).</summary>
    private const int MaxLinkHops = 40;

    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path.Length == 0)
        {
            throw new InputException("(empty path): cannot write: give a file name");
        }

        var (full, magic) = Resolve(path);
        if (magic)
        {
            // An open file named through /proc: the given path is opened as it is, truncated like `tee` does.
            switch (Inspect(path, full))
            {
                case FileKind.Directory:
                    throw new InputException(path, null, null, "is a directory; give a file name to write");
                case FileKind.BlockDevice or FileKind.Socket:
                    throw new InputException(path, null, null, "is a block device or socket; refusing to write a report there");
                case FileKind.Missing:
                    throw new InputException(path, null, null, "cannot write: it names no open file");
            }

            await WriteThroughAsync(path, Path.GetFullPath(path), FileMode.Truncate, write, cancellationToken);
            return;
        }

        switch (Inspect(path, full))
        {
            case FileKind.CharacterDevice or FileKind.Fifo:
                await WriteThroughAsync(path, full, FileMode.Open, write, cancellationToken);
                return;
            case FileKind.Directory:
                throw new InputException(path, null, null, "is a directory; give a file name to write");
            case FileKind.BlockDevice or FileKind.Socket:
                throw new InputException(path, null, null, "is a block device or socket; refusing to write a report there");
        }

        var directory = Path.GetDirectoryName(full) ?? throw new InputException(path, null, null, "cannot write: no directory in the path");
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
            FileStream stream;
            try
            {
                stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536, FileOptions.Asynchronous);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new InputException(path, null, null,
                    $"cannot write: the directory '{directory}' does not allow creating the temporary file an atomic replacement needs", e);
            }
            catch (IOException e)
            {
                throw new InputException(path, null, null, $"cannot write: {e.Message.Replace(temp, full, StringComparison.Ordinal)}", e);
            }

            try
            {
                await using (stream.ConfigureAwait(false))
                {
                    await write(stream, cancellationToken);
                    await stream.FlushAsync(cancellationToken);
                    stream.Flush(flushToDisk: true);
                }
            }
            catch (IOException e)
            {
                throw new InputException(path, null, null, $"cannot write: {e.Message.Replace(temp, full, StringComparison.Ordinal)}", e);
            }

            try
            {
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException(path, null, null, $"cannot write: {e.Message.Replace(temp, full, StringComparison.Ordinal)}", e);
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

    /// <summary>
    /// Follows the symbolic links of <paramref name="path"/> (its last component, hop by hop; relative targets against
    /// the link's directory) to the path to write, and whether a hop went through an open file descriptor (<see cref="IsMagic"/>).
    /// </summary>
    private static (string Target, bool Magic) Resolve(string path)
    {
        var current = Path.GetFullPath(path);
        for (var hop = 0; hop <= MaxLinkHops; hop++)
        {
            if (IsMagic(current))
            {
                return (current, true);
            }

            string? target;
            try
            {
                target = new FileInfo(current).LinkTarget;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return (current, false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException(path, null, null, $"cannot write: {e.Message}", e);
            }

            if (target is null)
            {
                return (current, false);
            }

            current = Path.GetFullPath(target, Path.GetDirectoryName(current) ?? "/");
        }

        throw new InputException(path, null, null, $"cannot write: more than {MaxLinkHops} symbolic links (a loop?)");
    }

    /// <summary>
    /// An open file descriptor named as a path: <c>/proc/self/fd/N</c> (also of a pid or a task) or <c>/dev/fd/N</c>.
    /// Only these are written through: any other path under <c>/proc/</c> is a kernel setting or status file, and a
    /// report is never written into one.
    /// </summary>
    private static bool IsMagic(string full) => OperatingSystem.IsLinux() && OpenFileDescriptor().IsMatch(full);

    [GeneratedRegex(@"^(?:/proc/(?:self|thread-self|[0-9]+)(?:/task/[0-9]+)?/fd|/dev/fd)/[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex OpenFileDescriptor();

    /// <summary>A device, FIFO or open file: opened as it is (never created or replaced) and written to.</summary>
    private static async Task WriteThroughAsync(string path, string full, FileMode mode, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            // A device or FIFO is shared by nature (the reader of a FIFO has it open already): no exclusive lock there.
            stream = new FileStream(full, mode, FileAccess.Write, FileShare.ReadWrite, 65536, FileOptions.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot write: {e.Message}", e);
        }

        try
        {
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
        }
        catch (IOException e)
        {
            throw new InputException(path, null, null, $"cannot write: {e.Message}", e);
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
}
