using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>The lines one commit added to one file, joined, with the line number each had in that commit.</summary>
public sealed record HistoryChunk(string Commit, string Date, string Path, string Text, IReadOnlyList<int> Lines)
{
    /// <summary>
    /// For a file git calls binary (it shows no lines for it): the whole content the commit (or the index) gave it,
    /// read from the object store, and <see cref="Text"/> is empty. Archives and key files arrive this way.
    /// </summary>
    public byte[]? Binary { get; init; }

    /// <summary>The git object id of <see cref="Binary"/>.</summary>
    public string? Blob { get; init; }
}

/// <summary>Which commits a history scan reads: all branches and tags unless one of the two is given.</summary>
/// <param name="SinceCommit"><c>--since-commit REV</c>: the commits after REV (exclusive) up to HEAD.</param>
/// <param name="LogOptions"><c>--log-opts</c>: the user's revisions, filters and paths; replaces <c>--all</c>.</param>
public sealed record HistoryRange(string? SinceCommit = null, GitLogOptions? LogOptions = null)
{
    /// <summary>The option named in errors: the one that chose the range.</summary>
    public string OptionName => SinceCommit is not null ? "--since-commit" : LogOptions is not null ? "--log-opts" : "--history";
}

/// <summary>
/// Reads every line added in a repository's history, on every branch and tag, by streaming
/// <c>git log --all -p --unified=0</c>: secrets removed from the working tree are still in the history and still
/// leaked. Merge commits show no diff of their own, so each added line is seen once, in the commit that
/// introduced it. A file git calls binary has no lines in the diff: the new version's blob (named by the diff's
/// <c>index</c> line) is read whole with <c>git cat-file</c>, up to the size limit, so that archives and key files
/// committed and later deleted are still found.
/// </summary>
public static class GitHistory
{
    private const char HeaderMarker = '\u0001';

    public static IEnumerable<HistoryChunk> Enumerate(string repository, long maxChunkLength, Action<Notification> notify, CancellationToken cancellationToken = default) =>
        Enumerate(repository, maxChunkLength, notify, new HistoryRange(), cancellationToken);

    /// <summary>
    /// The lines added by the commits <paramref name="range"/> chooses: every branch and tag by default, the commits
    /// after <see cref="HistoryRange.SinceCommit"/> up to HEAD, and the commits and paths of <see cref="HistoryRange.LogOptions"/>.
    /// The user's revisions follow <c>--end-of-options</c> and their paths <c>--</c>, so neither can be read as an option.
    /// </summary>
    public static IEnumerable<HistoryChunk> Enumerate(string repository, long maxChunkLength, Action<Notification> notify, HistoryRange range, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        var log = range.LogOptions;
        string[] command =
        [
            "log", .. log?.Options ?? [],
            "-p", "--unified=0", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--date-order", "--format=" + HeaderMarker + "%H %aI",
            .. range.SinceCommit is null && log is null ? ["--all"] : Array.Empty<string>(),
            "--end-of-options",
            .. range.SinceCommit is { } since ? [since + "..HEAD"] : Array.Empty<string>(),
            .. log?.Revisions ?? [],
            "--", .. log?.Paths ?? [],
        ];
        return Run(repository, maxChunkLength, notify, range.OptionName, null, cancellationToken, command);
    }

    /// <summary>
    /// The lines the index adds to <c>HEAD</c> (<c>git diff --cached</c>): what the next commit would add, for a
    /// pre-commit hook. Chunks carry <see cref="StagedCommit"/> as their commit and the lines of the staged file.
    /// </summary>
    public static IEnumerable<HistoryChunk> EnumerateStaged(string repository, long maxChunkLength, Action<Notification> notify, CancellationToken cancellationToken = default) =>
        Run(repository, maxChunkLength, notify, "--staged", HeaderMarker + StagedCommit, cancellationToken,
            "diff", "--cached", "-p", "--unified=0", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames");

    /// <summary>The commit of a staged chunk: not a commit yet.</summary>
    public const string StagedCommit = "(staged)";

    private static IEnumerable<HistoryChunk> Run(string repository, long maxChunkLength, Action<Notification> notify, string option, string? header, CancellationToken cancellationToken, params string[] command)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(notify);
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false, false),
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in (string[])["-C", repository, "-c", "core.quotePath=false", "-c", "core.fsmonitor=false", .. command])
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InputException(option + " needs git, and it could not be started");
        }
        catch (Win32Exception e)
        {
            throw new InputException(option + " needs git on the PATH (Debian: apt-get install git): " + e.Message, e);
        }

        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var registration = cancellationToken.Register(() => TryKill(process));
            var parser = new Parser(maxChunkLength, notify);
            if (header is not null)
            {
                _ = parser.Accept(header);
            }

            using var blobs = new BlobReader(repository, maxChunkLength, notify);
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                if (parser.Accept(line) is { } chunk)
                {
                    yield return chunk;
                }

                if (parser.TakeBinary() is { } binary && blobs.Read(binary) is { } content)
                {
                    yield return content;
                }
            }

            if (parser.Finish() is { } last)
            {
                yield return last;
            }

            process.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0)
            {
                var message = errors.GetAwaiter().GetResult().Trim();
                if (message.Contains("does not have any commits", StringComparison.Ordinal))
                {
                    yield break;
                }

                // git's first line says why (not a repository, bad revision...); the usage text that may follow does not.
                var reason = message.Length > 0 ? message.Split('\n')[0].Trim() : "git failed";
                if (reason.Contains("unknown option `cached'", StringComparison.Ordinal))
                {
                    reason = "not a git repository";
                }

                throw new InputException(repository, null, null, reason.Contains("not a git repository", StringComparison.OrdinalIgnoreCase)
                    ? option + " needs a git repository: " + reason
                    : option + ": git refused: " + reason);
            }
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>A line-at-a-time parser of <c>git log -p --unified=0</c> output.</summary>
    private sealed class Parser(long maxChunkLength, Action<Notification> notify)
    {
        private readonly StringBuilder _text = new();
        private readonly List<int> _lines = [];
        private string _commit = string.Empty;
        private string _date = string.Empty;
        private string? _path;
        private int _nextLine;
        private bool _truncated;
        private bool _inFileHeader;
        private string? _newBlob;
        private HistoryChunk? _binary;

        /// <summary>The binary file the last line announced (its <see cref="HistoryChunk.Blob"/>, no content yet), once.</summary>
        public HistoryChunk? TakeBinary()
        {
            var binary = _binary;
            _binary = null;
            return binary;
        }

        public HistoryChunk? Accept(string line)
        {
            if (line.Length > 0 && line[0] == HeaderMarker)
            {
                var chunk = Finish();
                var parts = line[1..].Split(' ', 2);
                _commit = parts[0];
                _date = parts.Length > 1 ? parts[1] : string.Empty;
                _path = null;
                return chunk;
            }

            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                var chunk = Finish();
                _path = null;
                _newBlob = null;
                _inFileHeader = true;
                return chunk;
            }

            if (_inFileHeader && line.StartsWith("index ", StringComparison.Ordinal))
            {
                // "index <old>..<new>[ <mode>]" (full ids with --full-index): the blob the change leaves behind.
                var range = line.AsSpan(6);
                var space = range.IndexOf(' ');
                range = space < 0 ? range : range[..space];
                var dots = range.IndexOf("..", StringComparison.Ordinal);
                _newBlob = dots < 0 ? null : range[(dots + 2)..].ToString();
                return null;
            }

            if (_inFileHeader && line.StartsWith("Binary files ", StringComparison.Ordinal) && line.EndsWith(" differ", StringComparison.Ordinal))
            {
                _inFileHeader = false;
                if (BinaryPath(line["Binary files ".Length..^" differ".Length]) is { } path && _newBlob is { } blob && blob.Trim('0').Length > 0)
                {
                    _binary = new HistoryChunk(_commit, _date, path, string.Empty, []) { Blob = blob };
                }

                return null;
            }

            if (_inFileHeader && line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                var target = line[4..];
                if (target == "/dev/null")
                {
                    _path = null;
                }
                else
                {
                    var unquoted = Unquote(target);
                    _path = unquoted.StartsWith("b/", StringComparison.Ordinal) ? unquoted[2..] : unquoted;
                }

                return null;
            }

            if (line.StartsWith("@@ ", StringComparison.Ordinal))
            {
                _inFileHeader = false;
                // "@@ -a[,b] +c[,d] @@": added lines are numbered from c.
                var plus = line.IndexOf(" +", StringComparison.Ordinal);
                if (plus > 0)
                {
                    var end = plus + 2;
                    while (end < line.Length && char.IsAsciiDigit(line[end]))
                    {
                        end++;
                    }

                    _ = int.TryParse(line.AsSpan(plus + 2, end - plus - 2), NumberStyles.None, CultureInfo.InvariantCulture, out _nextLine);
                }

                return null;
            }

            if (_path is not null && !_inFileHeader && line.Length > 0 && line[0] == '+')
            {
                if (_text.Length + line.Length > maxChunkLength)
                {
                    if (!_truncated)
                    {
                        _truncated = true;
                        notify(new Notification("history-chunk-truncated", NotificationLevel.Note,
                            $"Lines added by commit {_commit[..Math.Min(12, _commit.Length)]} are over the size limit; the rest of them were not scanned")
                        { Path = _path });
                    }

                    _nextLine++;
                    return null;
                }

                _text.Append(line, 1, line.Length - 1).Append('\n');
                _lines.Add(_nextLine++);
            }

            return null;
        }

        public HistoryChunk? Finish()
        {
            if (_path is null || _lines.Count == 0)
            {
                _text.Clear();
                _lines.Clear();
                _truncated = false;
                return null;
            }

            var chunk = new HistoryChunk(_commit, _date, _path, _text.ToString(), [.. _lines]);
            _text.Clear();
            _lines.Clear();
            _truncated = false;
            return chunk;
        }

        /// <summary>
        /// The new path of "<c>A and B</c>" in "Binary files A and B differ", or null when the file was deleted. Without
        /// renames A and B name the same path (<c>a/P and b/P</c>), so an unquoted pair splits at its middle even when
        /// P contains " and "; a quoted B (unusual characters) is the C string at the end.
        /// </summary>
        private static string? BinaryPath(string pair)
        {
            const string NewFile = "/dev/null and ";
            string target;
            if (pair.EndsWith(" and /dev/null", StringComparison.Ordinal))
            {
                return null;
            }

            if (pair.StartsWith(NewFile, StringComparison.Ordinal))
            {
                target = pair[NewFile.Length..];
            }
            else if (pair.EndsWith('"') && pair.LastIndexOf(" and \"", StringComparison.Ordinal) is > 0 and var quoted)
            {
                target = pair[(quoted + 5)..];
            }
            else if ((pair.Length - " and ".Length) % 2 == 0)
            {
                target = pair[((pair.Length + " and ".Length) / 2)..];
            }
            else
            {
                return null;
            }

            var unquoted = Unquote(target);
            return unquoted.StartsWith("b/", StringComparison.Ordinal) ? unquoted[2..] : null;
        }

        /// <summary>git quotes paths with unusual characters as C strings.</summary>
        private static string Unquote(string path)
        {
            if (path.Length < 2 || path[0] != '"' || path[^1] != '"')
            {
                return path;
            }

            var bytes = new List<byte>();
            for (var i = 1; i < path.Length - 1; i++)
            {
                var c = path[i];
                if (c != '\\' || i + 1 >= path.Length - 1)
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                    continue;
                }

                var n = path[++i];
                switch (n)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case '"': bytes.Add((byte)'"'); break;
                    case '\\': bytes.Add((byte)'\\'); break;
                    case >= '0' and <= '7' when i + 2 < path.Length - 1:
                        bytes.Add(Convert.ToByte(path.Substring(i, 3), 8));
                        i += 2;
                        break;
                    default: bytes.Add((byte)n); break;
                }
            }

            return Encoding.UTF8.GetString([.. bytes]);
        }
    }

    /// <summary>
    /// Reads whole blobs for the binary files of a diff through one <c>git cat-file --batch-command</c> process,
    /// started at the first one: their size is asked first, so a blob over the limit is a notification and is never
    /// read into memory.
    /// </summary>
    private sealed class BlobReader(string repository, long maxLength, Action<Notification> notify) : IDisposable
    {
        private Process? _process;
        private bool _failed;

        /// <summary>The chunk with its content, or null (too large, missing, or git could not be asked).</summary>
        public HistoryChunk? Read(HistoryChunk binary)
        {
            var blob = binary.Blob;
            if (_failed || blob is null || !IsObjectId(blob))
            {
                return null;
            }

            try
            {
                var process = _process ??= Start();
                process.StandardInput.Write("info " + blob + "\n");
                process.StandardInput.Flush();
                var output = process.StandardOutput.BaseStream;
                var size = SizeOf(ReadHeader(output));
                if (size is null)
                {
                    return null;
                }

                if (size > maxLength)
                {
                    notify(new Notification("file-too-large", NotificationLevel.Note,
                        $"Skipped: the version committed in {binary.Commit[..Math.Min(12, binary.Commit.Length)]} is larger than the --max-file-size limit ({FileWalker.FormatSize(maxLength)})")
                    { Path = binary.Path });
                    return null;
                }

                process.StandardInput.Write("contents " + blob + "\n");
                process.StandardInput.Flush();
                if (SizeOf(ReadHeader(output)) != size)
                {
                    throw new IOException("git cat-file answered for a different object");
                }

                var content = new byte[size.Value];
                output.ReadExactly(content);
                if (output.ReadByte() != '\n')
                {
                    throw new IOException("unexpected answer from git cat-file");
                }

                return binary with { Binary = content };
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or Win32Exception or EndOfStreamException)
            {
                _failed = true;
                notify(new Notification("history-blob-unreadable", NotificationLevel.Warning,
                    $"Binary files in the history could not be read with git cat-file ({e.Message}); archives and key files committed from here on were not scanned")
                { Path = binary.Path });
                return null;
            }
        }

        public void Dispose()
        {
            if (_process is null)
            {
                return;
            }

            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000))
                {
                    TryKill(_process);
                }
            }
            catch (IOException)
            {
                TryKill(_process);
            }

            _process.Dispose();
        }

        private Process Start()
        {
            var start = new ProcessStartInfo("git")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["-C", repository, "cat-file", "--batch-command"])
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("git could not be started");
            process.StandardInput.AutoFlush = false;
            return process;
        }

        private static bool IsObjectId(string id) => id.Length is 40 or 64 && id.All(char.IsAsciiHexDigitLower);

        /// <summary>"&lt;id&gt; blob &lt;size&gt;": the size; "&lt;id&gt; missing" (a partial clone) or another type: null.</summary>
        private static long? SizeOf(string header)
        {
            var parts = header.Split(' ');
            return parts.Length == 3 && parts[1] == "blob" && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
        }

        private static string ReadHeader(Stream output)
        {
            var bytes = new List<byte>(64);
            int b;
            while ((b = output.ReadByte()) is >= 0 and not '\n')
            {
                if (bytes.Count > 200)
                {
                    throw new IOException("unexpected answer from git cat-file");
                }

                bytes.Add((byte)b);
            }

            return b < 0 ? throw new EndOfStreamException("git cat-file stopped") : Encoding.ASCII.GetString([.. bytes]);
        }
    }
}
