using System.Runtime.InteropServices;

namespace SecureFuture.Core;

/// <summary>
/// Makes a directory's entries durable: a file just created or renamed in it is on disk only once the directory itself
/// has been synced (fsync(2) of the file covers its data, not the name that finds it). .NET opens no directory as a
/// file, so on Linux this is open(2) with O_DIRECTORY and fsync(2); elsewhere it does nothing.
/// </summary>
public static class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY
    private const int Directory = 0x10000; // O_DIRECTORY (x86-64 and arm64)
    private const int CloseOnExec = 0x80000; // O_CLOEXEC

    /// <exception cref="IOException">The directory cannot be opened or synced (the error number is in the message).</exception>
    public static void Sync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(path, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"cannot sync directory {path} (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code in this project (as FileKinds' statx).
    [DllImport("libc", EntryPoint = "open", SetLastError = true, ExactSpelling = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
