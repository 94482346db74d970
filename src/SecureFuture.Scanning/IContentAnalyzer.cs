using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// A family of detectors that reads a text and reports what it finds. Analyzers are CPU-bound and called
/// concurrently from several threads, one text per call; they keep no per-file state between calls.
/// </summary>
public interface IContentAnalyzer
{
    /// <summary>The rules this analyzer can report, in a stable order.</summary>
    IReadOnlyList<RuleDescriptor> Rules { get; }

    void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken);
}

/// <summary>One text to analyze: a file of the working tree, or the lines a commit added to a file.</summary>
/// <param name="Path">Relative to the scan root, with '/'.</param>
public sealed record ScanTarget(string Path, string Text);

/// <summary>Receives what an analyzer finds. Thread-safe implementations are not required: one sink per text.</summary>
public interface IDetectionSink
{
    void Report(Detection detection);

    void Notify(Notification notification);
}

/// <summary>
/// A raw match, before the orchestrator turns it into a <see cref="Finding"/>: it computes the region,
/// fingerprints and masked evidence, and applies suppressions, so that no analyzer handles the secret's output.
/// </summary>
/// <param name="Start">Offset of the reported region in the text (UTF-16 code units).</param>
/// <param name="Length">Length of the reported region.</param>
/// <param name="Secret">The secret value, used only to mask evidence and fingerprint; never written out.</param>
public sealed record Detection(string RuleId, Severity Severity, string Message, int Start, int Length, string? Secret)
{
    /// <summary>
    /// The property that, when present, identifies the result across line moves instead of the matched text (code
    /// analysis puts the sink's code here): the scanner hashes it into the content fingerprint and removes it from the
    /// finding's properties, so it is never written out.
    /// </summary>
    public const string EvidenceKey = "evidenceKey";

    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>For data-flow results: source first, sink last (see <see cref="Finding.Flow"/>).</summary>
    public IReadOnlyList<DetectionStep>? Flow { get; init; }
}
