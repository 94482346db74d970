using System.Text;
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

    /// <summary>
    /// Reads content that is not text (a file or an archive entry that <see cref="TextDecoder"/> calls binary). Most
    /// analyzers read only text and keep this default. A detection here has no region: its <see cref="Detection.Start"/>
    /// and <see cref="Detection.Length"/> are 0, and its identity is the <see cref="Detection.EvidenceKey"/> property.
    /// </summary>
    void AnalyzeBinary(BinaryTarget target, IDetectionSink sink, CancellationToken cancellationToken)
    {
    }
}

/// <summary>Content that is not text: a file of the working tree or an entry of an archive found in it.</summary>
/// <param name="Path">Relative to the scan root, with '/'; an archive entry's path names its archive (<c>a.zip!/b.pfx</c>).</param>
public sealed record BinaryTarget(string Path, ReadOnlyMemory<byte> Content);

/// <summary>
/// One text to analyze: a file of the working tree, or the lines a commit added to a file. A file read from disk is
/// kept as its UTF-8 bytes and decoded to <see cref="Text"/> only when something asks for the text: most files of a
/// tree are searched on their bytes and never need it (see <see cref="FromUtf8"/>).
/// </summary>
public sealed class ScanTarget
{
    private string? _text;

    /// <param name="path">Relative to the scan root, with '/'.</param>
    public ScanTarget(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(text);
        Path = path;
        _text = text;
    }

    private ScanTarget(string path, ReadOnlyMemory<byte> utf8)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        Utf8 = utf8;
    }

    /// <summary>
    /// Content given as UTF-8 bytes (no byte-order mark): <see cref="Text"/> is what <see cref="Encoding.UTF8"/> decodes
    /// them to, invalid sequences replaced, as <see cref="TextDecoder.Decode"/> does, computed on first use.
    /// </summary>
    /// <param name="path">Relative to the scan root, with '/'.</param>
    public static ScanTarget FromUtf8(string path, ReadOnlyMemory<byte> utf8) => new(path, utf8);

    /// <summary>Relative to the scan root, with '/'.</summary>
    public string Path { get; }

    /// <summary>
    /// The text. For a target made <see cref="FromUtf8"/>, decoded on first use; two threads asking at once may each
    /// decode it, to the same text.
    /// </summary>
    public string Text => _text ??= Encoding.UTF8.GetString(Utf8.Span);

    /// <summary>Whether <see cref="Text"/> exists yet (it was given, or asked for): what reading it now would cost.</summary>
    public bool IsDecoded => _text is not null;

    /// <summary>
    /// The UTF-8 bytes <see cref="Text"/> was or will be decoded from, without a byte-order mark, when the scanner read
    /// them (empty otherwise: UTF-16 files, git history, text made by an analyzer). An analyzer may search these
    /// instead of the text; when they are all ASCII, a byte's offset is its character's offset in <see cref="Text"/>.
    /// </summary>
    public ReadOnlyMemory<byte> Utf8 { get; init; }
}

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

    /// <summary>
    /// When set, an inline suppression names these instead of the rule id: one of the ids of each group, every group
    /// (a dependency finding's advisories, each by its id or an alias), so that a new advisory brings the finding back.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>>? SuppressionIds { get; init; }
}
