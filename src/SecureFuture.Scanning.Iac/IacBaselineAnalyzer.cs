using System.Text;
using SecureFuture.Baseline;
using SecureFuture.Baseline.Input;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Iac;

/// <summary>
/// Lets <c>sfi scan</c> evaluate the IaC it meets in a repository with the same controls <c>sfi baseline</c> applies
/// before and after deployment: ARM deployment templates and Terraform plan JSON (<c>terraform show -json</c>). A
/// failing control is reported at the line where the resource is defined, so it lands in code scanning next to the
/// code. Other JSON files are left alone; an IaC file that cannot be read becomes a notification.
/// </summary>
public sealed class IacBaselineAnalyzer : IContentAnalyzer
{
    private readonly BaselineAssessor _assessor;
    private readonly ControlCatalogue _catalogue;

    private readonly string? _root;

    /// <param name="scanRoot">
    /// The directory the scanned paths are relative to, when they are files of a working tree: an ARM template's
    /// deployment parameters file beside it (<c>NAME.parameters.json</c> beside <c>NAME.json</c>, as
    /// <c>azuredeploy.parameters.json</c> beside <c>azuredeploy.json</c>) is then read with it, as <c>sfi baseline</c>
    /// does. Null for texts that are not the working tree's files (the lines a commit added): no parameters are read.
    /// </param>
    public IacBaselineAnalyzer(BaselineConfiguration? configuration = null, TimeProvider? clock = null, string? scanRoot = null)
    {
        _root = scanRoot is null ? null : Path.GetFullPath(scanRoot);
        _catalogue = ControlCatalogue.Default;
        _assessor = new BaselineAssessor(configuration, exceptions: null, clock, _catalogue);
        Rules = [.. _catalogue.Controls.Where(c => c.Formats.Any(IsIacFormat)).Select(c => c.ToRuleDescriptor()).OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sink);
        if (!target.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || !LooksLikeIac(target.Text))
        {
            return;
        }

        IReadOnlyList<TenantResource> resources;
        InputFile file;
        try
        {
            var parameters = SiblingParameters(target, sink);
            try
            {
                (resources, file) = Read(target, parameters);
            }
            catch (InputException e) when (parameters is not null && e.FilePath != target.Path)
            {
                // The parameters file, not the template, could not be read: evaluate the template without its values.
                sink.Notify(new Notification("iac-parameters-skipped", NotificationLevel.Warning, $"{e.Message}; the template was evaluated without parameter values") { Path = target.Path });
                (resources, file) = Read(target, parameters: null);
            }
        }
        catch (InputException e)
        {
            sink.Notify(new Notification("iac-unreadable", NotificationLevel.Warning, "not evaluated as IaC: " + e.Message) { Path = target.Path });
            return;
        }

        if (file.Format is not (InputFormat.ArmTemplate or InputFormat.TerraformPlan))
        {
            return;
        }

        var assessment = _assessor.Assess(new TenantSnapshot { Resources = resources, Files = [file] });
        var lineStarts = LineStarts(target.Text);
        foreach (var failure in assessment.Failures)
        {
            var control = _catalogue[failure.ControlId];
            var (start, length) = Span(target.Text, lineStarts, failure.Resource.Source);
            var name = failure.Resource.Name ?? failure.Resource.Id;
            sink.Report(new Detection(control.Id, control.Severity, $"{control.Title}: {name}: {failure.Evidence}", start, length, Secret: null));
        }
    }

    private static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(ScanTarget target, string? parameters)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(target.Text));
        return parameters is null
            ? SnapshotReader.Read(stream, target.Path)
            : SnapshotReader.Read(stream, target.Path, parameters, SnapshotReader.SiblingParametersFile(target.Path).Replace('\\', '/'));
    }

    /// <summary>
    /// The full path of the deployment parameters file beside <paramref name="target"/>, when there is a scan root and
    /// one is there: a regular file inside the root that is not a symbolic link (the walker follows none, and a link
    /// could lead out of the repository) and is not larger than <see cref="MaxParametersFileSize"/>. A file refused
    /// for those reasons is a notification, and the template is evaluated without it.
    /// </summary>
    private string? SiblingParameters(ScanTarget target, IDetectionSink sink)
    {
        if (_root is null)
        {
            return null;
        }

        var relative = SnapshotReader.SiblingParametersFile(target.Path).Replace('\\', '/');
        var full = Path.GetFullPath(Path.Combine(_root, relative));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return null;
        }

        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            sink.Notify(new Notification("iac-parameters-skipped", NotificationLevel.Warning, "a symbolic link is not read as the template's parameters file; the template was evaluated without parameter values") { Path = relative });
            return null;
        }

        if (!info.Exists)
        {
            return null;
        }

        var problem = FileKinds.NotARegularFile(full) ?? (info.Length > MaxParametersFileSize ? $"larger than {MaxParametersFileSize / 1024 / 1024} MiB" : null);
        if (problem is not null)
        {
            sink.Notify(new Notification("iac-parameters-skipped", NotificationLevel.Warning, $"not read as the template's parameters file ({problem}); the template was evaluated without parameter values") { Path = relative });
            return null;
        }

        return full;
    }

    /// <summary>Deployment parameters files are a few KiB; ARM itself accepts at most 4 MB for a whole deployment request.</summary>
    private const long MaxParametersFileSize = 4 * 1024 * 1024;

    private static bool IsIacFormat(string format) => format is "terraform" or "arm";

    /// <summary>A cheap look before parsing: templates name the deployment template schema, plans carry resource_changes.</summary>
    private static bool LooksLikeIac(string text)
        => text.Contains("deploymentTemplate.json#", StringComparison.OrdinalIgnoreCase)
           || (text.Contains("\"format_version\"", StringComparison.Ordinal) && text.Contains("\"resource_changes\"", StringComparison.Ordinal));

    private static List<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        return starts;
    }

    /// <summary>The resource's definition line, from its column to the end of the line (columns are bytes; ASCII JSON is the norm).</summary>
    private static (int Start, int Length) Span(string text, List<int> lineStarts, SourceLocation? source)
    {
        if (source is null || source.Line < 1 || source.Line > lineStarts.Count)
        {
            return (0, 0);
        }

        var lineStart = lineStarts[source.Line - 1];
        var lineEnd = source.Line < lineStarts.Count ? lineStarts[source.Line] - 1 : text.Length;
        var start = Math.Min(lineEnd, lineStart + Math.Max(0, source.Column - 1));
        return (start, Math.Max(0, lineEnd - start));
    }
}
