namespace SecureFuture.Server;

/// <summary>
/// The data directory holds the store (the admin key's hash, client registrations, the audit log) and the default
/// HSM token with its PIN file, so only the user running <c>sfi serve</c> may read it. On start: a missing directory is
/// created 0700; an existing one that others may write to is refused (they could have replaced files in it, so its
/// contents can no longer be trusted); one that others may only read or enter is narrowed to 0700, with a notice; and
/// every file in it (SQLite's database, <c>-wal</c> and <c>-shm</c>, the lock, the token's files) is narrowed to 0600.
/// The database file is created 0600 before SQLite opens it, and SQLite gives its <c>-wal</c> and <c>-shm</c> files the
/// database's mode.
/// </summary>
internal static class DataDirectory
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates or checks <paramref name="path"/> as described above; notices go to <paramref name="console"/>.</summary>
    public static async Task PrepareAsync(string path, string? sqliteDatabase, TextWriter console)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path); // ACLs, not modes; inherited from the parent
            return;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, Private);
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & OthersWrite) != 0)
        {
            throw new ServerStartException($"--data-dir: {path} is writable by {Who(mode, UnixFileMode.GroupWrite, UnixFileMode.OtherWrite)} (mode {Octal(mode)}), so its store and key token can no longer be trusted; use a directory only its owner can write to (chmod 700 after checking its contents)");
        }

        if ((mode & Others) != 0)
        {
            File.SetUnixFileMode(path, mode & ~Others);
            await console.WriteLineAsync($"sfi serve: {path} was readable by others (mode {Octal(mode)}); narrowed to {Octal(mode & ~Others)}");
        }

        if (sqliteDatabase is not null && !File.Exists(sqliteDatabase))
        {
            using (File.Open(sqliteDatabase, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }))
            {
            }
        }

        NarrowFiles(path);
    }

    /// <summary>Takes group and other permissions off every file and directory below <paramref name="directory"/>, without following links.</summary>
    public static void NarrowFiles(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }))
        {
            if (entry.LinkTarget is null && (entry.UnixFileMode & Others) != 0)
            {
                entry.UnixFileMode &= ~Others;
            }
        }
    }

    private static string Who(UnixFileMode mode, UnixFileMode group, UnixFileMode other)
        => (mode & group) != 0 && (mode & other) != 0 ? "its group and everyone" : (mode & group) != 0 ? "its group" : "everyone";

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
