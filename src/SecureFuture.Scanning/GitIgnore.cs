using System.Text;
using System.Text.RegularExpressions;

namespace SecureFuture.Scanning;

/// <summary>
/// The patterns of one ignore file (<c>.gitignore</c>, <c>.sfiignore</c>, <c>.git/info/exclude</c>), with git's
/// semantics (gitignore(5)): <c>#</c> comments, <c>!</c> negation, a trailing <c>/</c> for directories only, a
/// leading or inner <c>/</c> anchoring the pattern to the file's directory, <c>*</c>, <c>?</c>, <c>[...]</c>
/// and <c>**</c>. The last matching pattern of a file wins.
/// </summary>
public sealed class GitIgnore
{
    private readonly List<Pattern> _patterns;

    private GitIgnore(string baseDirectory, List<Pattern> patterns)
    {
        BaseDirectory = baseDirectory;
        _patterns = patterns;
    }

    /// <summary>The directory the file applies to, relative to the scan root ("" for the root), with '/'.</summary>
    public string BaseDirectory { get; }

    public int Count => _patterns.Count;

    public static GitIgnore Parse(string baseDirectory, string content)
    {
        ArgumentNullException.ThrowIfNull(baseDirectory);
        ArgumentNullException.ThrowIfNull(content);
        var patterns = new List<Pattern>();
        foreach (var raw in content.Split('\n'))
        {
            if (TryParseLine(raw.TrimEnd('\r'), out var pattern))
            {
                patterns.Add(pattern);
            }
        }

        return new GitIgnore(baseDirectory.Trim('/'), patterns);
    }

    /// <summary>
    /// Whether the last pattern matching <paramref name="relativePath"/> (relative to the scan root) ignores it
    /// (true), re-includes it (false), or no pattern matches (null).
    /// </summary>
    public bool? Match(string relativePath, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        ReadOnlySpan<char> local;
        if (BaseDirectory.Length == 0)
        {
            local = relativePath;
        }
        else if (relativePath.Length > BaseDirectory.Length && relativePath.StartsWith(BaseDirectory, StringComparison.Ordinal) && relativePath[BaseDirectory.Length] == '/')
        {
            local = relativePath.AsSpan(BaseDirectory.Length + 1);
        }
        else
        {
            return null;
        }

        var name = local[(local.LastIndexOf('/') + 1)..];
        for (var i = _patterns.Count - 1; i >= 0; i--)
        {
            var p = _patterns[i];
            if (p.DirectoryOnly && !isDirectory)
            {
                continue;
            }

            if (p.IsMatch(p.Anchored ? local : name))
            {
                return !p.Negate;
            }
        }

        return null;
    }

    private static bool TryParseLine(string line, out Pattern pattern)
    {
        pattern = default!;
        if (line.Length == 0 || line[0] == '#')
        {
            return false;
        }

        // Trailing spaces are ignored unless escaped with a backslash.
        var end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && (end < 2 || line[end - 2] != '\\'))
        {
            end--;
        }

        line = line[..end];
        var negate = false;
        if (line.StartsWith('!'))
        {
            negate = true;
            line = line[1..];
        }
        else if (line.StartsWith("\\!", StringComparison.Ordinal) || line.StartsWith("\\#", StringComparison.Ordinal))
        {
            line = line[1..];
        }

        var directoryOnly = false;
        if (line.EndsWith('/'))
        {
            directoryOnly = true;
            line = line.TrimEnd('/');
        }

        if (line.Length == 0)
        {
            return false;
        }

        // A slash at the start or in the middle anchors the pattern to the ignore file's directory.
        var anchored = line.Contains('/', StringComparison.Ordinal);
        line = line.TrimStart('/');
        if (line.Length == 0)
        {
            return false;
        }

        Regex regex;
        var literals = new Literals();
        try
        {
            regex = new Regex("^" + Translate(line, literals) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        }
        catch (RegexParseException)
        {
            // A bracket range written backwards ("[9-0]") matches no character in git's wildmatch, so the pattern
            // matches no path: it is skipped, as one that cannot match. It threw out of the scan (found by fuzzing).
            // (Negated, "[!9-0]" would match any character in git; such a pattern is not honoured here.)
            return false;
        }

        pattern = new Pattern(regex, negate, directoryOnly, anchored, literals.Suffix, literals.Longest);
        return true;
    }

    /// <summary>
    /// Translates a glob to a regular expression, and notes in <paramref name="literals"/> the runs of characters it
    /// matches only as themselves (every other token ends a run, including <c>**/</c> whose slash is optional).
    /// </summary>
    private static string Translate(string glob, Literals literals)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c is not ('*' or '?' or '[' or '\\'))
            {
                literals.Append(c);
                sb.Append(Regex.Escape(c.ToString()));
                continue;
            }

            literals.Break();
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    var atStart = i == 0 || glob[i - 1] == '/';
                    var atEnd = i + 2 == glob.Length;
                    var slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                    if (atStart && slashAfter)
                    {
                        sb.Append("(?:.*/)?");
                        i += 2;
                    }
                    else if (atStart && atEnd)
                    {
                        sb.Append(".*");
                        i += 1;
                    }
                    else
                    {
                        // "a**b" is an ordinary pair of stars.
                        sb.Append("[^/]*");
                        i += 1;
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = glob.IndexOf(']', Math.Min(i + 2, glob.Length)); // "[" last: no class (found by fuzzing)
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var body = glob[(i + 1)..close];
                    if (body.StartsWith('!'))
                    {
                        body = "^" + body[1..];
                    }

                    sb.Append('[').Append(body.Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                case '\\' when i + 1 < glob.Length:
                    sb.Append(Regex.Escape(glob[++i].ToString()));
                    break;
                default: // a trailing backslash
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        literals.End();
        return sb.ToString();
    }

    /// <summary>
    /// One pattern. <see cref="Suffix"/> and <see cref="Required"/> are literal text every path it matches ends with
    /// and contains (the regex is anchored at both ends and case-sensitive): a path without them is refused without
    /// running the regex, which the rules' path globs (<c>**/.netrc</c>, <c>**/*.pubxml</c>) meet on every file.
    /// </summary>
    private sealed record Pattern(Regex Regex, bool Negate, bool DirectoryOnly, bool Anchored, string Suffix, string Required)
    {
        public bool IsMatch(ReadOnlySpan<char> subject) =>
            subject.EndsWith(Suffix, StringComparison.Ordinal)
            && subject.Contains(Required, StringComparison.Ordinal)
            && Regex.IsMatch(subject);
    }

    /// <summary>The runs of literal characters of a glob, collected as it is translated.</summary>
    private sealed class Literals
    {
        private readonly StringBuilder _run = new();

        /// <summary>The run the glob ends with ("" when it ends with a wildcard).</summary>
        public string Suffix { get; private set; } = string.Empty;

        /// <summary>The longest run.</summary>
        public string Longest { get; private set; } = string.Empty;

        public void Append(char c) => _run.Append(c);

        public void Break()
        {
            Close();
            _run.Clear();
        }

        public void End()
        {
            Close();
            Suffix = _run.ToString();
        }

        private void Close()
        {
            if (_run.Length > Longest.Length)
            {
                Longest = _run.ToString();
            }
        }
    }
}

/// <summary>The ignore files that apply at one point of the walk, deepest last.</summary>
public sealed class IgnoreRules
{
    private readonly List<GitIgnore> _files;

    public IgnoreRules()
        : this([])
    {
    }

    private IgnoreRules(List<GitIgnore> files) => _files = files;

    public IgnoreRules With(GitIgnore file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Count == 0 ? this : new IgnoreRules([.. _files, file]);
    }

    /// <summary>Deeper ignore files take precedence over shallower ones (gitignore(5)).</summary>
    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        for (var i = _files.Count - 1; i >= 0; i--)
        {
            if (_files[i].Match(relativePath, isDirectory) is { } verdict)
            {
                return verdict;
            }
        }

        return false;
    }
}
