using System.Text.RegularExpressions;

namespace WebApp.Services;

public sealed partial class ModerationService
{
    /// <summary>Called by ChatHub.Search: a user-supplied pattern, run against every message in the room.</summary>
    public bool MatchesFilter(string text, string pattern) =>
        Regex.IsMatch(text, pattern); // VULN: regex-injection

    public bool MatchesWord(string text, string word) =>
        Regex.IsMatch(text, Regex.Escape(word), RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100)); // SAFE: regex-injection

    public bool IsAllowed(string message) =>
        !BlockList().IsMatch(message); // SAFE: regex-injection

    [GeneratedRegex(@"\b(spam|scam)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 100)]
    private static partial Regex BlockList();
}
