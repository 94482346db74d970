using System.CommandLine;

namespace SecureFuture.Cli;

/// <summary>"Did you mean" for a mistyped command: <c>sfi scna .</c> names <c>sfi scan</c>.</summary>
internal static class CommandSuggestions
{
    /// <summary>
    /// The closest subcommand of the command that was reached to the first token nothing matched (at most a third of its
    /// letters wrong, and never fewer than one right), as "sfi area verb"; null when nothing is close.
    /// </summary>
    public static string? For(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-')) is not { } typed)
        {
            return null;
        }

        var reached = parse.CommandResult.Command;
        var best = reached.Subcommands
            .Where(c => !c.Hidden)
            .Select(c => (Name: c.Name, Distance: Distance(typed.ToLowerInvariant(), c.Name)))
            .Where(c => c.Distance <= Math.Max(1, c.Name.Length / 3) && c.Distance < c.Name.Length)
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best.Name is null)
        {
            return null;
        }

        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            path.Insert(0, result.Command is RootCommand ? "sfi" : result.Command.Name);
        }

        return string.Join(' ', [.. path, best.Name]);
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
