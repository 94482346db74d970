namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// Composite rules (<c>requires: { rule: ID, within: N }</c>): a detection of such a rule stands only when the required
/// rule has a detection of its own in the same text, from N lines above to N lines below. An AWS secret key is 40
/// characters that many other values share; next to an access key ID it is the credential.
/// </summary>
internal static class CompositeRules
{
    /// <summary>Removes, in place, every detection whose rule's requirement is not met.</summary>
    /// <param name="locate">A detection's rule and the offset of its secret (not of its match, which may begin with the line break before it).</param>
    /// <param name="text">The text, asked for only when a detection has a requirement (it may have to be decoded).</param>
    public static void Filter<T>(List<T> detections, Func<T, (string RuleId, int Offset)> locate, IReadOnlyDictionary<string, SecretRequirement> requirements, Func<string> text)
    {
        if (!detections.Any(d => requirements.ContainsKey(locate(d).RuleId)))
        {
            return;
        }

        var lineStarts = LineStarts(text());
        var linesByRule = detections
            .Select(locate)
            .GroupBy(d => d.RuleId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(d => LineOf(lineStarts, d.Offset)).ToList(), StringComparer.Ordinal);
        detections.RemoveAll(item =>
        {
            var (ruleId, offset) = locate(item);
            if (!requirements.TryGetValue(ruleId, out var requirement))
            {
                return false;
            }

            var line = LineOf(lineStarts, offset);
            return !(linesByRule.TryGetValue(requirement.RuleId, out var lines) && lines.Any(l => Math.Abs(l - line) <= requirement.Within));
        });
    }

    private static List<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                starts.Add(i + 1);
            }
        }

        return starts;
    }

    /// <summary>0-based line of an offset.</summary>
    private static int LineOf(List<int> lineStarts, int offset)
    {
        var index = lineStarts.BinarySearch(offset);
        return index >= 0 ? index : ~index - 1;
    }
}
