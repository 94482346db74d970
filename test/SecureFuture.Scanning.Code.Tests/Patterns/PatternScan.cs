using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Tests.Patterns;

/// <summary>Runs C# sources through the real <see cref="CodeAnalyzer"/> (every check on, as <c>sfi scan</c> runs it) and collects what it reports.</summary>
internal sealed class PatternScan : IProjectSink
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _texts;

    private PatternScan(IEnumerable<ScanTarget> files) => _texts = files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);

    public List<Result> Results { get; } = [];

    public List<Notification> Notifications { get; } = [];

    public static PatternScan Run(params (string Path, string Text)[] files) => Run(new CodeAnalyzer(), files);

    internal static PatternScan Run(CodeAnalyzer analyzer, params (string Path, string Text)[] files)
    {
        var targets = files.Select(f => new ScanTarget(f.Path, f.Text)).ToList();
        var scan = new PatternScan(targets);
        analyzer.Analyze(new ProjectInput("/scan", targets), scan, CancellationToken.None);
        return scan;
    }

    public static PatternScan Run(string source) => Run(("src/Example.cs", source));

    public IEnumerable<Result> Of(string ruleId) => Results.Where(r => r.RuleId == ruleId);

    public void Report(string path, Detection detection)
    {
        var text = _texts[path];
        var line = 1 + text.AsSpan(0, detection.Start).Count('\n');
        lock (_gate)
        {
            Results.Add(new Result(detection.RuleId, path, line, text.Substring(detection.Start, detection.Length), detection.Properties?["evidenceKey"] ?? string.Empty, detection.Message));
        }
    }

    public void Count(string statistic, long value)
    {
    }

    public void Notify(Notification notification)
    {
        lock (_gate)
        {
            Notifications.Add(notification);
        }
    }

    /// <summary>One result: its rule, where it is (1-based line), the exact text it points at, and its evidence key.</summary>
    internal sealed record Result(string RuleId, string Path, int Line, string Text, string EvidenceKey, string Message);
}
