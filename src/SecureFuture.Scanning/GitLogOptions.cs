using System.Text;
using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// <c>sfi scan --log-opts "..."</c>: the user's choice of commits and paths for a history scan, split into arguments
/// the way a POSIX shell splits words (quotes and backslashes; no variables, globs or <c>~</c>, and no shell is run),
/// and checked against an allow-list. Only options that choose which commits and paths git log walks are accepted:
/// an option that changes the output (<c>--format</c>, <c>--pretty</c>, <c>--stat</c>, <c>-p</c> variants,
/// <c>--word-diff</c>, <c>--color</c>...), writes a file (<c>--output</c>) or runs a program (<c>--ext-diff</c>,
/// <c>--textconv</c>) would either blind the parser or act for whoever wrote the CI variable; it is refused, not
/// ignored. Revisions are passed after <c>--end-of-options</c>, paths after <c>--</c>, so neither is read as an option.
/// </summary>
public sealed class GitLogOptions
{
    private const string OptionName = "--log-opts";

    /// <summary>Options that take no value (<c>--branches</c>, <c>--tags</c>, <c>--remotes</c> also take <c>=PATTERN</c>).</summary>
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal)
    {
        "--all", "--branches", "--tags", "--remotes", "--not", "--no-merges", "--merges", "--first-parent", "--ancestry-path",
        "--full-history", "--simplify-merges", "--dense", "--sparse", "--simplify-by-decoration", "--remove-empty",
        "--reverse", "--topo-order", "--date-order", "--author-date-order", "--cherry-pick", "--left-only", "--right-only",
        "--regexp-ignore-case", "-i", "--extended-regexp", "-E", "--fixed-strings", "-F", "--basic-regexp", "--perl-regexp", "-P",
        "--all-match", "--invert-grep", "--pickaxe-all", "--pickaxe-regex", "--no-min-parents", "--no-max-parents",
    };

    /// <summary>Long options that take a value, as <c>--since=2.weeks</c> or <c>--since 2.weeks</c>.</summary>
    private static readonly HashSet<string> Valued = new(StringComparer.Ordinal)
    {
        "--since", "--after", "--until", "--before", "--since-as-filter", "--author", "--committer", "--grep", "--max-count",
        "--skip", "--min-parents", "--max-parents", "--exclude", "--glob", "--branches", "--tags", "--remotes", "--max-age", "--min-age",
    };

    /// <summary>Short options that take a value, joined (<c>-n5</c>, <c>-Spassword</c>) or as the next word.</summary>
    private static readonly HashSet<char> ValuedShort = ['n', 'S', 'G'];

    private GitLogOptions(IReadOnlyList<string> options, IReadOnlyList<string> revisions, IReadOnlyList<string> paths)
    {
        Options = options;
        Revisions = revisions;
        Paths = paths;
    }

    /// <summary>The accepted options, each one argument (<c>--since=2.weeks</c>).</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>Revisions and ranges (<c>main..HEAD</c>, <c>v1.0</c>); none means git's default, <c>HEAD</c>.</summary>
    public IReadOnlyList<string> Revisions { get; }

    /// <summary>Pathspecs after <c>--</c>.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Whether the options themselves choose revisions (<c>--all</c>, <c>--branches</c>...), not only filter them.</summary>
    public bool SelectsRevisions => Revisions.Count > 0 || Options.Any(o => o is "--all" or "--not"
        || o.StartsWith("--branches", StringComparison.Ordinal) || o.StartsWith("--tags", StringComparison.Ordinal)
        || o.StartsWith("--remotes", StringComparison.Ordinal) || o.StartsWith("--glob=", StringComparison.Ordinal));

    /// <exception cref="InputException">The text has an unterminated quote, or names an option that is not allowed.</exception>
    public static GitLogOptions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Split(text);
        var options = new List<string>();
        var revisions = new List<string>();
        var paths = new List<string>();
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word == "--")
            {
                paths.AddRange(words.Skip(i + 1));
                break;
            }

            if (word.Length == 0)
            {
                throw new InputException($"{OptionName}: an empty argument is not a revision or an option");
            }

            if (word[0] != '-' || word == "-")
            {
                revisions.Add(word);
                continue;
            }

            if (word.Length > 1 && word[1..].All(char.IsAsciiDigit))
            {
                // -5: the last five commits.
                options.Add(word);
                continue;
            }

            if (word.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = word.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? word : word[..equals];
                if (equals < 0 && Flags.Contains(name))
                {
                    options.Add(word);
                }
                else if (Valued.Contains(name))
                {
                    options.Add(equals >= 0 ? word : name + "=" + ValueOf(words, ref i, name));
                }
                else
                {
                    throw NotAllowed(word);
                }

                continue;
            }

            if (Flags.Contains(word))
            {
                options.Add(word);
            }
            else if (ValuedShort.Contains(word[1]))
            {
                // -n5 or -n 5; -Sneedle or -S needle: passed joined, so that git reads exactly one word.
                options.Add(word.Length > 2 ? word : word + ValueOf(words, ref i, word));
            }
            else
            {
                throw NotAllowed(word);
            }
        }

        return new GitLogOptions(options, revisions, paths);
    }

    private static string ValueOf(List<string> words, ref int i, string option)
    {
        if (i + 1 >= words.Count || words[i + 1] == "--")
        {
            throw new InputException($"{OptionName}: {option} needs a value");
        }

        return words[++i];
    }

    private static InputException NotAllowed(string word)
    {
        var name = word.Split('=', 2)[0];
        return new InputException(
            $"{OptionName}: '{name}' is not allowed: only options that choose commits and paths are (revisions and ranges, "
            + "--all, --branches, --tags, --since, --until, --author, --grep, --max-count/-n, --first-parent, --no-merges, -S, -G, -- PATHS...; "
            + "see the README, History ranges). Options that change git's output or run programs "
            + "(--format, --pretty, --output, --ext-diff, --textconv, -p, --stat...) would defeat the scan.");
    }

    /// <summary>Splits words as a POSIX shell does, without expanding anything: 'single', "double" (\ escapes \ " $ `), and \ outside quotes.</summary>
    internal static List<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new InputException($"{OptionName}: unterminated ' quote");
                    }

                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i >= text.Length)
                        {
                            throw new InputException($"{OptionName}: unterminated \" quote");
                        }

                        if (text[i] == '"')
                        {
                            break;
                        }

                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '\\' or '"' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(text[i]);
                    }

                    break;
                case '\\' when i + 1 < text.Length:
                    word.Append(text[++i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
