using System.Runtime.InteropServices;

namespace SecureFuture.Core;

/// <summary>
/// Makes a directory's entries durable: a file just created or renamed in it is on disk only once the directory itself
/// has been synced (fsync(2) of the file covers its data, not the name that finds it). .NET opens no directory as a
/// file, so on Linux this is open(2) with O_DIRECTORY and fsync(2); elsewhere it does nothing.
/// </summary>
public static class DirectorySync
{
    /// <exception cref="IOException">The directory cannot be opened or synced (the error number is in the message).</exception>
    public static void Sync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = LibC.Open(path, LibC.ReadOnly | LibC.Directory | LibC.CloseOnExec, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (LibC.Fsync(fd) != 0)
            {
                throw new IOException($"cannot sync directory {path} (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }
}
