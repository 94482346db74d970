using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// One data-driven test over the whole catalogue: every detector's own examples, run through the real analyzer
/// with every other detector switched on, exactly as a scan would run them.
/// </summary>
public sealed class RuleExampleTests
{
    /// <summary>Examples are judged on a fixed day so that SAS expiry examples never change verdict.</summary>
    public static readonly DateTimeOffset Today = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly SecretAnalyzer Analyzer = new(
        SecretRuleCatalog.Default,
        new SecretScanSettings { Clock = new FakeTimeProvider(Today) });

    public static TheoryData<string> RuleIds => [.. SecretRuleCatalog.Default.Rules.Select(r => r.Id)];

    /// <summary>
    /// Scans a text as the repository scanner does (as its UTF-8 bytes, so an ASCII text takes the byte-level keyword
    /// search, windows and encoded-value search) and checks that the text alone (the reference search) reports exactly the same.
    /// </summary>
    internal static List<Detection> Scan(string text, string path) => ScanBothWays(Analyzer, text, path);

    internal static List<Detection> ScanBothWays(SecretAnalyzer analyzer, string text, string path)
    {
        var fromBytes = new CollectingSink();
        analyzer.Analyze(ScanTarget.FromUtf8(path, System.Text.Encoding.UTF8.GetBytes(text)), fromBytes, CancellationToken.None);
        Assert.Empty(fromBytes.Notifications);
        var fromText = new CollectingSink();
        analyzer.Analyze(new ScanTarget(path, text), fromText, CancellationToken.None);
        Assert.Equal(fromText.Detections.Select(Describe), fromBytes.Detections.Select(Describe));
        return fromBytes.Detections;
    }

    /// <summary>Everything a detection says, as one string to compare.</summary>
    internal static string Describe(Detection d) =>
        $"{d.RuleId} {d.Severity} {d.Start}+{d.Length} {d.Secret} {d.Message} {string.Join(',', (d.Properties ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}";

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void MatchExamples_AreReported(string id)
    {
        var rule = SecretRuleCatalog.Default.Rules.Single(r => r.Id == id);
        Assert.True(rule.Examples.Match.Count >= 2, $"{rule.SourceFile}: needs at least two match examples");
        foreach (var (example, i) in rule.Examples.Match.Select((e, i) => (e, i)))
        {
            var detections = Scan(example.Text ?? string.Empty, example.Path ?? "example.txt");
            var hit = detections.FirstOrDefault(d => d.RuleId == id);
            Assert.True(hit is not null, $"{rule.SourceFile}: match example {i + 1} was not reported (reported: {string.Join(", ", detections.Select(d => d.RuleId))})");
            if (example.Severity is not null)
            {
                Assert.True(SeverityExtensions.TryParseSeverity(example.Severity, out var expected), $"{rule.SourceFile}: example {i + 1} has an invalid severity");
                Assert.True(expected == hit.Severity, $"{rule.SourceFile}: match example {i + 1} has severity {hit.Severity.ToToken()}, expected {example.Severity}");
            }

            if (example.Secret is not null)
            {
                Assert.True(example.Secret == hit.Secret, $"{rule.SourceFile}: match example {i + 1} extracted a different secret");
            }

            Assert.False(hit.Secret is { Length: >= 8 } s && hit.Message.Contains(s, StringComparison.Ordinal), $"{rule.SourceFile}: the message contains the secret");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void NoMatchExamples_AreNotReported(string id)
    {
        var rule = SecretRuleCatalog.Default.Rules.Single(r => r.Id == id);
        Assert.True(rule.Examples.NoMatch.Count >= 2, $"{rule.SourceFile}: needs at least two noMatch examples");
        foreach (var (example, i) in rule.Examples.NoMatch.Select((e, i) => (e, i)))
        {
            var detections = Scan(example.Text ?? string.Empty, example.Path ?? "example.txt");
            Assert.False(detections.Any(d => d.RuleId == id), $"{rule.SourceFile}: noMatch example {i + 1} was reported");
        }
    }

    [Fact]
    public void Catalogue_HasAtLeastTwoHundredFiftyDetectors_EachWithGuidance()
    {
        var rules = SecretRuleCatalog.Default.Rules;
        Assert.True(rules.Count >= 250, $"only {rules.Count} detectors (issue 17: at least 250)");
        Assert.All(rules, r => Assert.StartsWith($"# {r.Id}", r.Descriptor.HelpMarkdown, StringComparison.Ordinal));
        Assert.All(rules, r => Assert.NotEqual(r.Id, r.Descriptor.Name));
    }

    internal sealed class CollectingSink : IDetectionSink
    {
        public List<Detection> Detections { get; } = [];

        public List<Notification> Notifications { get; } = [];

        public void Report(Detection detection) => Detections.Add(detection);

        public void Notify(Notification notification) => Notifications.Add(notification);
    }
}
