namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// The literal every match of a pattern starts with, right after a token boundary, when the pattern's text says so for
/// certain: it begins with the boundary <c>(?:^|[^A-Za-z0-9_-])</c>, then (optionally inside a <c>(?&lt;secret&gt;</c>
/// group that is not itself quantified) a run of letters, digits, <c>_</c> and <c>-</c>, with no alternation that could
/// bypass them. A keyword hit that does not have that literal at it, exactly (the pattern is case-sensitive), after a
/// character outside <c>[A-Za-z0-9_-]</c> (or at the start of the text) can start no match, so the pattern need not run
/// on its line for that hit (<see cref="SecretAnalyzer"/>). Anything the reading is not sure of gives no literal, and
/// the pattern runs as before.
/// </summary>
internal static class LeadingLiteral
{
    /// <summary>The boundary the literal must follow, as the shipped catalogue writes it.</summary>
    public const string Boundary = "(?:^|[^A-Za-z0-9_-])";

    /// <summary>Whether <paramref name="c"/> is in the class that cannot precede the literal.</summary>
    public static bool IsTokenCharacter(int c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-';

    /// <summary>The literal, or null when the pattern does not certainly begin with one after the boundary.</summary>
    public static string? Of(string pattern, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (ignoreCase || !pattern.StartsWith(Boundary, StringComparison.Ordinal) || HasInlineOptions(pattern))
        {
            return null;
        }

        var at = Boundary.Length;
        var group = pattern.AsSpan(at).StartsWith("(?<secret>") ? 1 : 0;
        at += group == 1 ? "(?<secret>".Length : 0;
        var start = at;
        while (at < pattern.Length && IsTokenCharacter(pattern[at]))
        {
            at++;
        }

        // A quantifier applies to the character before it, which then may be absent (or repeated): not part of the literal.
        var end = at < pattern.Length && pattern[at] is '?' or '*' or '+' or '{' ? at - 1 : at;
        if (end - start < 2 || !NoAlternationAround(pattern, Boundary.Length, group))
        {
            return null;
        }

        return pattern[start..end];
    }

    /// <summary>Whether the pattern sets options inline (<c>(?i)</c>, <c>(?x:</c> ...), which could change how the literal reads.</summary>
    private static bool HasInlineOptions(string pattern)
    {
        for (var i = pattern.IndexOf("(?", StringComparison.Ordinal); i >= 0; i = pattern.IndexOf("(?", i + 2, StringComparison.Ordinal))
        {
            if (i + 2 < pattern.Length && pattern[i + 2] is 'i' or 'm' or 'n' or 's' or 'x' or '-' && (i == 0 || pattern[i - 1] != '\\'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether, from <paramref name="from"/> on, no <c>|</c> sits at the top level or (with <paramref name="group"/>) directly
    /// in the secret group that opens there, and no group that closes at the top level is quantified.
    /// </summary>
    private static bool NoAlternationAround(string pattern, int from, int group)
    {
        var depth = 0;
        // The secret group is the one that opens at 'from' (with group 1) until it first closes; a later group at
        // depth 1 may alternate freely.
        var inSecretGroup = group == 1;
        for (var i = from; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    i = EndOfClass(pattern, i);
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    if (depth < 0)
                    {
                        return false;
                    }

                    if (depth == 0)
                    {
                        inSecretGroup = false;
                        if (group == 1 && i + 1 < pattern.Length && pattern[i + 1] is '?' or '*' or '{')
                        {
                            // The secret group may be absent. Only the first group that closes at the top is the secret
                            // group; a later one's quantifier is harmless, but telling them apart is not worth the risk.
                            return false;
                        }
                    }

                    break;
                case '|' when depth == 0 || (inSecretGroup && depth == 1):
                    return false;
                default:
                    break;
            }
        }

        return depth == 0;
    }

    /// <summary>Where the character class opening at <paramref name="open"/> ends: its first <c>]</c> that is not escaped and not its first character.</summary>
    private static int EndOfClass(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] == '^')
        {
            i++;
        }

        if (i < pattern.Length && pattern[i] == ']')
        {
            i++;
        }

        while (i < pattern.Length && pattern[i] != ']')
        {
            i += pattern[i] == '\\' ? 2 : 1;
        }

        return i;
    }
}
