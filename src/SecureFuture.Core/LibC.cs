using System.Runtime.InteropServices;

namespace SecureFuture.Core;

/// <summary>
/// The few calls of the C library that .NET does not expose (opening a directory, <c>O_DSYNC</c>, syncing a directory),
/// with the open(2) flags they use as Linux x86-64 and arm64 define them. Linux only: callers check the platform.
/// </summary>
internal static class LibC
{
    public const int ReadOnly = 0x0; // O_RDONLY
    public const int ReadWrite = 0x2; // O_RDWR
    public const int Create = 0x40; // O_CREAT
    public const int Exclusive = 0x80; // O_EXCL
    public const int DataSync = 0x1000; // O_DSYNC
    public const int Directory = 0x10000; // O_DIRECTORY
    public const int CloseOnExec = 0x80000; // O_CLOEXEC

    // DllImport rather than LibraryImport: the latter needs unsafe code in this project (as FileKinds' statx).
    [DllImport("libc", EntryPoint = "open", SetLastError = true, ExactSpelling = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Close(int fd);
}
