namespace SecureFuture.Core.Writers;

/// <summary>Writes an <see cref="AnalysisRun"/> in one output format.</summary>
public interface IReportWriter
{
    /// <summary>The value of <c>--format</c> that selects this writer.</summary>
    string Format { get; }

    Task WriteAsync(AnalysisRun run, Stream output, CancellationToken cancellationToken = default);
}

/// <summary>The writers every analysis supports, by <c>--format</c> name.</summary>
public static class ReportWriters
{
    public static IReadOnlyList<string> Formats { get; } = ["text", "json", "sarif"];

    /// <summary>Formats for file findings only (<c>sfi scan</c>): GitLab's SAST and secret-detection reports.</summary>
    public static IReadOnlyList<string> FileFormats { get; } = [.. Formats, "gitlab-sast", "gitlab-secrets"];

    public static IReportWriter Create(string format, ReportOptions? options = null) => format switch
    {
        "sarif" => new SarifWriter(),
        "json" => new JsonReportWriter(),
        "text" => new TextReportWriter(options ?? new ReportOptions()),
        "gitlab-sast" => new GitLabReportWriter(GitLabReportKind.Sast),
        "gitlab-secrets" => new GitLabReportWriter(GitLabReportKind.SecretDetection),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown output format."),
    };
}

/// <summary>Options shared by the writers.</summary>
public sealed record ReportOptions
{
    /// <summary>Use colours and styles (an interactive terminal).</summary>
    public bool Ansi { get; init; }

    /// <summary>Show suppressed findings in text output.</summary>
    public bool ShowSuppressed { get; init; }
}
