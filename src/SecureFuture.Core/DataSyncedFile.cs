using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SecureFuture.Core;

/// <summary>
/// A new file each of whose writes returns once its data is on disk (<c>O_DSYNC</c>): with the file's blocks already
/// written (preallocated with zeros), an overwrite changes no metadata needed to read it back, so the kernel has only
/// the data and a cache flush to wait for, where <c>O_SYNC</c> or a growing file also writes the inode (on a journalled
/// file system, a journal commit per write). .NET's <see cref="FileOptions.WriteThrough"/> is <c>O_SYNC</c>; so on
/// Linux this is open(2) itself, and elsewhere <see cref="FileOptions.WriteThrough"/>.
/// </summary>
public static class DataSyncedFile
{
    private const int OwnerReadWrite = 0x180; // 0600

    /// <summary>Creates <paramref name="path"/> (it must not exist), readable and writable by its owner only.</summary>
    /// <exception cref="IOException">It exists, or cannot be created (the error number is in the message).</exception>
    public static SafeFileHandle CreateNew(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.WriteThrough);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(handle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return handle;
        }

        var fd = LibC.Open(path, LibC.ReadWrite | LibC.Create | LibC.Exclusive | LibC.DataSync | LibC.CloseOnExec, OwnerReadWrite);
        if (fd < 0)
        {
            throw new IOException($"cannot create {path} (errno {Marshal.GetLastPInvokeError()})");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
