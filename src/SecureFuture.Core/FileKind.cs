using System.Runtime.InteropServices;

namespace SecureFuture.Core;

/// <summary>What a path names, after following symbolic links.</summary>
public enum FileKind
{
    /// <summary>Nothing: the path can be created.</summary>
    Missing,
    Regular,
    Directory,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// <summary>
/// Tells regular files from devices and FIFOs, which .NET's file APIs do not (a character device is just a "file" to
/// <see cref="FileInfo"/>). On Linux this is statx(2), whose buffer layout is the same on every architecture; on other
/// systems only files and directories are told apart.
/// </summary>
public static class FileKinds
{
    // statx(2): AT_FDCWD resolves relative paths against the working directory; flags 0 follows symbolic links;
    // STATX_TYPE asks for the type bits of stx_mode, a __u16 at offset 28 of struct statx (linux/stat.h).
    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int NoSuchEntry = 2; // ENOENT
    private const int NotADirectory = 20; // ENOTDIR

    /// <exception cref="IOException">The path cannot be inspected (a symbolic link loop, a component that denies search).</exception>
    public static FileKind Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Regular : FileKind.Missing;
        }

        var buffer = new byte[StatxSize];
        if (Statx(AtCurrentDirectory, path, 0, StatxType, buffer) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error is NoSuchEntry or NotADirectory
                ? FileKind.Missing
                : throw new IOException($"cannot inspect '{path}': {Marshal.GetPInvokeErrorMessage(error)}");
        }

        return (MemoryMarshal.Read<ushort>(buffer.AsSpan(StatxModeOffset)) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Regular, // a symbolic link is followed, so nothing else is left
        };
    }

    /// <summary>
    /// Refuses, as an input error naming the path, anything but a regular file: a FIFO or a device given as an input
    /// would block the read forever or never end, and a directory is not a file to read.
    /// </summary>
    /// <param name="path">The input's path.</param>
    /// <param name="what">What the file was meant to be, for the message ("file", "template file").</param>
    /// <exception cref="InputException">The path is missing or is not a regular file.</exception>
    public static void RequireRegularFile(string path, string what = "file")
    {
        if (NotARegularFile(path) is { } problem)
        {
            throw new InputException(path, null, null, $"{what} {problem}");
        }
    }

    /// <summary>Why <paramref name="path"/> cannot be read as a file ("not found", "is a FIFO, not a regular file"), or null when it can.</summary>
    public static string? NotARegularFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Of(path) switch
            {
                FileKind.Regular => null,
                FileKind.Missing => "not found",
                var kind => $"is a {Describe(kind)}, not a regular file",
            };
        }
        catch (IOException e)
        {
            return $"cannot be inspected: {e.Message}";
        }
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "directory",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Fifo => "FIFO",
        FileKind.Socket => "socket",
        _ => kind.ToString(),
    };

    // DllImport rather than LibraryImport: the latter needs unsafe code in this project for a single call.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true, ExactSpelling = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
