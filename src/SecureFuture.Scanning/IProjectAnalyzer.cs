using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// An analyzer that needs many files at once (a C# compilation, a lock file beside its manifest): the scanner hands it
/// every walked file it <see cref="Wants"/>, after the per-file pass, in one call. Unlike
/// <see cref="IContentAnalyzer"/>, its detections name their file.
/// </summary>
public interface IProjectAnalyzer
{
    /// <summary>The rules this analyzer can report, in a stable order.</summary>
    IReadOnlyList<RuleDescriptor> Rules { get; }

    /// <summary>Whether the file (relative to the scan root, with '/') is one this analyzer reads.</summary>
    bool Wants(string relativePath);

    void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken);
}

/// <summary>The files an <see cref="IProjectAnalyzer"/> asked for, decoded, in path order.</summary>
/// <param name="Root">The scan root, absolute.</param>
public sealed record ProjectInput(string Root, IReadOnlyList<ScanTarget> Files);

/// <summary>Receives what a project analyzer finds. Calls may come from several threads.</summary>
public interface IProjectSink
{
    /// <summary>A detection in <paramref name="path"/> (one of the input's files); offsets are into that file's text.</summary>
    void Report(string path, Detection detection);

    /// <summary>Figures for the run's properties (lines per language, unsafe-code inventory...).</summary>
    void Count(string statistic, long value);

    void Notify(Notification notification);
}

/// <summary>One step of a detection's data-flow path, by offsets into a file's text; the scanner turns it into a <see cref="FlowStep"/>.</summary>
public sealed record DetectionStep(string Path, int Start, int Length, string Message);
