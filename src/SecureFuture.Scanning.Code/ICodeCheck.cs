using Microsoft.CodeAnalysis;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// One family of code rules (taint rules, semantic pattern rules...) run over each compilation. Checks are stateless
/// between calls and may run concurrently on different compilations.
/// </summary>
internal interface ICodeCheck
{
    IReadOnlyList<RuleDescriptor> Rules { get; }

    void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken);
}

/// <summary>Where a check reports: Roslyn locations in, scanner detections out.</summary>
internal sealed class CodeSink(CodeCompilation compilation, IProjectSink sink)
{
    /// <summary>Reports a result at <paramref name="location"/>; <paramref name="flow"/> goes source first, sink last.</summary>
    /// <param name="evidence">
    /// What identifies the result across line moves (e.g. the sink's text, or source + sink): hashed into the content
    /// fingerprint, never printed.
    /// </param>
    /// <param name="properties">Properties written with the result (<c>confidence: low</c>), besides the evidence.</param>
    public void Report(string ruleId, Severity severity, string message, Location location, string evidence, IReadOnlyList<(Location Location, string Message)>? flow = null,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        var path = compilation.PathOf(location.SourceTree);
        if (path is null)
        {
            return;
        }

        if (GeneratedCode.IsGenerated(path, location.SourceTree))
        {
            sink.Count("codeResultsInGeneratedFiles", 1);
            return;
        }

        sink.Report(path, new Detection(ruleId, severity, message, location.SourceSpan.Start, location.SourceSpan.Length, null)
        {
            Properties = new Dictionary<string, string>(properties ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [Detection.EvidenceKey] = evidence },
            Flow = flow?
                .Select(s => (Path: compilation.PathOf(s.Location.SourceTree), s.Location, s.Message))
                .Where(s => s.Path is not null)
                .Select(s => new DetectionStep(s.Path!, s.Location.SourceSpan.Start, s.Location.SourceSpan.Length, s.Message))
                .ToList(),
        });
    }

    /// <summary>Adds to a run statistic (see <see cref="IProjectSink.Count"/>).</summary>
    public void Count(string statistic, long value) => sink.Count(statistic, value);

    public void Notify(Notification notification) => sink.Notify(notification);
}
