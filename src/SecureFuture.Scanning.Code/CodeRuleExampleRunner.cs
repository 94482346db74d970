using System.Collections.Concurrent;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// A code rule's own examples through the real analyzer (<c>sfi rules test</c>): each vulnerable example must be
/// reported by the rule, each safe look-alike must not. Every example is compiled on its own, as one file.
/// </summary>
public static class CodeRuleExampleRunner
{
    /// <summary>Each example that does not behave: its key in the rule file (<c>examples.vulnerable[0]</c>) and what went wrong.</summary>
    public static IEnumerable<(string Key, string Problem)> Check(CodeAnalyzer analyzer, CodeRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        ArgumentNullException.ThrowIfNull(rule);
        foreach (var (examples, kind, mustReport) in new[] { (rule.Document.Examples.Vulnerable, "vulnerable", true), (rule.Document.Examples.Safe, "safe", false) })
        {
            for (var i = 0; i < examples.Count; i++)
            {
                var sink = new Sink();
                analyzer.Analyze(new ProjectInput(Directory.GetCurrentDirectory(), [new ScanTarget($"Example{i + 1}.cs", examples[i])]), sink, cancellationToken);
                var reported = sink.Rules.Contains(rule.Id);
                if (sink.Failures.FirstOrDefault() is { } failure)
                {
                    yield return ($"examples.{kind}[{i}]", $"{kind} example {i + 1}: {failure}");
                }
                else if (reported != mustReport)
                {
                    yield return ($"examples.{kind}[{i}]", mustReport ? $"vulnerable example {i + 1} is not reported" : $"safe example {i + 1} is reported");
                }
            }
        }
    }

    private sealed class Sink : IProjectSink
    {
        public ConcurrentBag<string> Rules { get; } = [];

        public ConcurrentQueue<string> Failures { get; } = new();

        public void Report(string path, Detection detection) => Rules.Add(detection.RuleId);

        public void Count(string statistic, long value)
        {
        }

        public void Notify(Notification notification)
        {
            if (notification.Level == NotificationLevel.Error)
            {
                Failures.Enqueue(notification.Message);
            }
        }
    }
}
