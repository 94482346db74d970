using System.ComponentModel;
using System.Runtime.InteropServices;

namespace SecureFuture.Testing;

/// <summary>
/// Makes FIFOs and character devices with the C library's own calls, as the <c>mkfifo</c> and <c>mknod</c> programs do,
/// so that a unit test needs no child process for them (.NET has no API for either). Linux only.
/// </summary>
internal static class SpecialFiles
{
    private const uint OwnerReadWrite = 0b110_000_000; // 0600
    private const uint EveryoneReadWrite = 0b110_110_110; // 0666, as /dev/null
    private const uint CharacterDeviceType = 0x2000; // S_IFCHR

    /// <summary>A FIFO (named pipe) at <paramref name="path"/>, readable and writable by its owner.</summary>
    public static void CreateFifo(string path)
    {
        if (MkFifo(path, OwnerReadWrite) != 0)
        {
            throw new IOException($"mkfifo {path}: " + new Win32Exception(Marshal.GetLastPInvokeError()).Message);
        }
    }

    /// <summary>A character device node at <paramref name="path"/> (mode 0666); needs root (CAP_MKNOD).</summary>
    public static void CreateCharacterDevice(string path, uint major, uint minor)
    {
        if (MkNod(path, CharacterDeviceType | EveryoneReadWrite, MakeDevice(major, minor)) != 0)
        {
            throw new IOException($"mknod {path} c {major} {minor}: " + new Win32Exception(Marshal.GetLastPInvokeError()).Message);
        }
    }

    /// <summary>glibc's <c>makedev</c> (sys/sysmacros.h): the 64-bit dev_t of a major and a minor number.</summary>
    private static ulong MakeDevice(uint major, uint minor)
        => ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    // DllImport rather than LibraryImport: the latter needs unsafe code in every test project that links this file.
    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true, ExactSpelling = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", EntryPoint = "mknod", SetLastError = true, ExactSpelling = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MkNod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, ulong device);
}
