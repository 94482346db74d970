using System.Globalization;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>A file the walker hands to the scanner.</summary>
/// <param name="RelativePath">Relative to the scan root, with '/'.</param>
public sealed record WalkedFile(string FullPath, string RelativePath, long Length);

/// <summary>
/// Enumerates the files under a root: honours <c>.gitignore</c>, <c>.sfiignore</c> and <c>.git/info/exclude</c>
/// unless told not to, never descends into <c>.git</c>, never follows a symbolic link (so it can neither leave
/// the root nor loop), skips files over the size limit, and turns every file-system fault into a notification.
/// The walk is iterative, so a tree thousands of directories deep cannot overflow the stack.
/// </summary>
public sealed class FileWalker(string root, bool useIgnoreFiles, long maxFileSize, Action<Notification> notify)
{
    public const string IgnoreFileName = ".sfiignore";

    private readonly string _root = root;
    private readonly bool _useIgnoreFiles = useIgnoreFiles;
    private readonly long _maxFileSize = maxFileSize;
    private readonly Action<Notification> _notify = notify;

    public long SkippedForSize { get; private set; }

    public long SkippedIgnored { get; private set; }

    public IEnumerable<WalkedFile> Enumerate(CancellationToken cancellationToken = default)
    {
        var rootIgnores = new IgnoreRules();
        if (_useIgnoreFiles)
        {
            rootIgnores = rootIgnores.With(LoadIgnore(Path.Combine(_root, ".git", "info", "exclude"), string.Empty));
        }

        var stack = new Stack<(string FullPath, string RelativePath, IgnoreRules Ignores)>();
        stack.Push((_root, string.Empty, rootIgnores));
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };

        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (directory, relativeDirectory, inherited) = stack.Pop();
            var ignores = inherited;
            if (_useIgnoreFiles)
            {
                ignores = ignores.With(LoadIgnore(Path.Combine(directory, ".gitignore"), relativeDirectory))
                    .With(LoadIgnore(Path.Combine(directory, IgnoreFileName), relativeDirectory));
            }

            List<FileSystemInfo> entries;
            try
            {
                entries = [.. new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                _notify(new Notification("directory-unreadable", NotificationLevel.Warning, $"Cannot read directory: {e.Message}")
                {
                    Path = relativeDirectory.Length == 0 ? "." : relativeDirectory,
                });
                continue;
            }

            // Sorted so that runs are deterministic; directories are pushed in reverse to be visited in order.
            entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subdirectories = new List<(string, string, IgnoreRules)>();
            foreach (var entry in entries)
            {
                var relative = relativeDirectory.Length == 0 ? entry.Name : relativeDirectory + "/" + entry.Name;
                // The attributes came with the listing (ReparsePoint is a symbolic link); asking every entry for its
                // link target would cost a readlink call per file.
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0 && entry.LinkTarget is not null)
                {
                    ReportLink(entry, relative);
                    continue;
                }

                var isDirectory = (entry.Attributes & FileAttributes.Directory) != 0;
                if (isDirectory && entry.Name == ".git")
                {
                    continue;
                }

                if (ignores.IsIgnored(relative, isDirectory))
                {
                    SkippedIgnored++;
                    continue;
                }

                if (isDirectory)
                {
                    subdirectories.Add((entry.FullName, relative, ignores));
                    continue;
                }

                if (entry is not FileInfo file)
                {
                    continue;
                }

                long length;
                try
                {
                    length = file.Length;
                }
                catch (IOException)
                {
                    // Vanished between listing and stat: nothing to scan.
                    continue;
                }

                // Empty files hold nothing to find. FIFOs, sockets and devices also report a length of 0, and
                // skipping them here is what keeps a FIFO in the tree from blocking the scan forever.
                if (length == 0)
                {
                    continue;
                }

                if (length > _maxFileSize)
                {
                    SkippedForSize++;
                    _notify(new Notification("file-too-large", NotificationLevel.Note,
                        string.Create(CultureInfo.InvariantCulture, $"Skipped: {FormatSize(length)} is over the --max-file-size limit of {FormatSize(_maxFileSize)}"))
                    {
                        Path = relative,
                    });
                    continue;
                }

                yield return new WalkedFile(file.FullName, relative, length);
            }

            for (var i = subdirectories.Count - 1; i >= 0; i--)
            {
                stack.Push(subdirectories[i]);
            }
        }
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };

    private void ReportLink(FileSystemInfo entry, string relative)
    {
        string? target;
        try
        {
            target = entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException e)
        {
            _notify(new Notification("symlink-unresolvable", NotificationLevel.Note, $"Symbolic link not followed: {e.Message}") { Path = relative });
            return;
        }

        // Links inside the root are not followed either: their targets are scanned where they are.
        if (target is not null && !IsUnder(target, _root))
        {
            _notify(new Notification("symlink-outside-root", NotificationLevel.Note, "Symbolic link to a location outside the scan root was not followed") { Path = relative });
        }
    }

    private static bool IsUnder(string path, string root)
    {
        var full = Path.GetFullPath(path);
        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return full == rootFull || full.StartsWith(rootFull + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private GitIgnore LoadIgnore(string path, string relativeDirectory) => LoadIgnoreFile(path, relativeDirectory, _notify);

    /// <summary>
    /// Reads one ignore file; a missing file, a symbolic link or a file over 1 MB counts as empty, and an unreadable
    /// one is reported and counts as empty, so a hostile repository cannot steer the scan through its ignore files.
    /// </summary>
    public static GitIgnore LoadIgnoreFile(string path, string relativeDirectory, Action<Notification> notify)
    {
        ArgumentNullException.ThrowIfNull(notify);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null || info.Length > 1 << 20)
            {
                return GitIgnore.Parse(relativeDirectory, string.Empty);
            }

            return GitIgnore.Parse(relativeDirectory, File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            notify(new Notification("ignore-file-unreadable", NotificationLevel.Warning, $"Cannot read ignore file: {e.Message}") { Path = Path.GetFileName(path) });
            return GitIgnore.Parse(relativeDirectory, string.Empty);
        }
    }
}
