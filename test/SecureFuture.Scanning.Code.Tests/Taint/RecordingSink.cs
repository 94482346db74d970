using System.Collections.Concurrent;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>An <see cref="IProjectSink"/> that keeps what the analyzer reports, for assertions.</summary>
internal sealed class RecordingSink : IProjectSink
{
    public ConcurrentQueue<(string Path, Detection Detection)> Detections { get; } = new();

    public ConcurrentQueue<Notification> Notifications { get; } = new();

    public ConcurrentDictionary<string, long> Statistics { get; } = new(StringComparer.Ordinal);

    public void Report(string path, Detection detection) => Detections.Enqueue((path, detection));

    public void Count(string statistic, long value) => Statistics.AddOrUpdate(statistic, value, (_, v) => v + value);

    public void Notify(Notification notification) => Notifications.Enqueue(notification);

    public IReadOnlyList<(string Path, Detection Detection)> Of(string ruleId) => [.. Detections.Where(d => d.Detection.RuleId == ruleId)];

    /// <summary>Runs the real analyzer (every check it ships with) over the files.</summary>
    public static RecordingSink Analyze(params (string Path, string Text)[] files)
    {
        var sink = new RecordingSink();
        new CodeAnalyzer().Analyze(new ProjectInput("/repo", [.. files.Select(f => new ScanTarget(f.Path, f.Text))]), sink, CancellationToken.None);
        return sink;
    }

    public string Describe() => string.Join(Environment.NewLine, Detections.Select(d =>
        $"{d.Detection.RuleId} {d.Path}@{d.Detection.Start}: {d.Detection.Message}"
        + string.Concat(d.Detection.Flow?.Select(s => $"{Environment.NewLine}    {s.Path}@{s.Start}: {s.Message}") ?? [])).ToArray())
        + string.Concat(Notifications.Select(n => $"{Environment.NewLine}[{n.Id}] {n.Path} {n.Message}"));
}
