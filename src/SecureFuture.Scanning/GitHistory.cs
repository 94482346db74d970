using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>The lines one commit added to one file, joined, with the line number each had in that commit.</summary>
public sealed record HistoryChunk(string Commit, string Date, string Path, string Text, IReadOnlyList<int> Lines);

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
/// introduced it.
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
            "-p", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--date-order", "--format=" + HeaderMarker + "%H %aI",
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
            "diff", "--cached", "-p", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames");

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

            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                if (parser.Accept(line) is { } chunk)
                {
                    yield return chunk;
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
                _inFileHeader = true;
                return chunk;
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
}
