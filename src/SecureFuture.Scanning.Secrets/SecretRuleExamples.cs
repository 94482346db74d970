using System.Text.RegularExpressions;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// A rule's own examples, through a real analyzer (every other rule on, as in a scan), and a probe of its pattern with
/// long hostile lines: what <c>sfi rules test</c>, a scan with user rules and the catalogue's tests all check.
/// </summary>
public static class SecretRuleExamples
{
    /// <summary>Each example that does not behave: its key in the rule file (<c>examples.match[0]</c>) and what went wrong.</summary>
    public static IEnumerable<(string Key, string Problem)> Check(SecretAnalyzer analyzer, SecretRule rule)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        ArgumentNullException.ThrowIfNull(rule);
        for (var i = 0; i < rule.Examples.Match.Count; i++)
        {
            var example = rule.Examples.Match[i];
            var (detections, notes) = Scan(analyzer, example);
            var hit = detections.FirstOrDefault(d => d.RuleId == rule.Id);
            var key = $"examples.match[{i}]";
            if (notes.FirstOrDefault(n => n.RuleId == rule.Id) is { } note)
            {
                yield return (key, $"match example {i + 1}: {note.Message}");
            }
            else if (hit is null)
            {
                yield return (key, $"match example {i + 1} is not reported" + (detections.Count > 0 ? $" (reported: {string.Join(", ", detections.Select(d => d.RuleId).Distinct())})" : string.Empty));
            }
            else if (example.Severity is not null && (!SeverityExtensions.TryParseSeverity(example.Severity, out var expected) || expected != hit.Severity))
            {
                yield return (key, $"match example {i + 1} is reported as {hit.Severity.ToToken()}, not {example.Severity}");
            }
            else if (example.Secret is not null && example.Secret != hit.Secret)
            {
                yield return (key, $"match example {i + 1} extracts a different secret than its 'secret'");
            }
        }

        for (var i = 0; i < rule.Examples.NoMatch.Count; i++)
        {
            var (detections, _) = Scan(analyzer, rule.Examples.NoMatch[i]);
            if (detections.Any(d => d.RuleId == rule.Id))
            {
                yield return ($"examples.noMatch[{i}]", $"noMatch example {i + 1} is reported");
            }
        }
    }

    /// <summary>
    /// Runs the pattern over long lines that make nested or overlapping quantifiers backtrack (<c>(a+)+$</c>,
    /// <c>(\w+\s?)*!</c>): a pattern that needs more than the match timeout on one of them would stall every file it
    /// meets. Null when it passes; a timeout is tried twice, as in a scan, so a cold start is not mistaken for one.
    /// </summary>
    public static string? Probe(SecretRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var keyword = rule.Keywords.Count > 0 ? rule.Keywords[0] : "secret";
        string[] fills = ["a", "A", "0", "a1", "a ", "a-", "a/", "=", "\\\"", "aA0+/"];
        foreach (var fill in fills)
        {
            var run = string.Concat(Enumerable.Repeat(fill, ProbeLength / fill.Length));
            foreach (var text in new[] { $"{keyword} = {run}\u0001", $"{keyword}: \"{run}", $"{run}{keyword}{run}!" })
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        for (var m = rule.Regex.Match(text); m.Success; m = m.NextMatch())
                        {
                        }

                        break;
                    }
                    catch (RegexMatchTimeoutException) when (attempt == 1)
                    {
                    }
                    catch (RegexMatchTimeoutException)
                    {
                        return $"'pattern' ran past the {SecretRule.MatchTimeout.TotalMilliseconds} ms match timeout on a {text.Length}-character line of '{fill}': "
                            + "catastrophic backtracking (nested or overlapping quantifiers such as (a+)+ or (\\w+\\s?)*)";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Long enough for exponential backtracking to pass any timeout, short enough for a linear pattern to take microseconds.</summary>
    private const int ProbeLength = 2000;

    private static (List<Detection> Detections, List<Notification> Notes) Scan(SecretAnalyzer analyzer, RuleExample example)
    {
        var sink = new Collector();
        analyzer.Analyze(new ScanTarget(example.Path ?? "example.txt", example.Text ?? string.Empty), sink, CancellationToken.None);
        return (sink.Detections, sink.Notes);
    }

    private sealed class Collector : IDetectionSink
    {
        public List<Detection> Detections { get; } = [];

        public List<Notification> Notes { get; } = [];

        public void Report(Detection detection) => Detections.Add(detection);

        public void Notify(Notification notification) => Notes.Add(notification);
    }
}
