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

    public IacBaselineAnalyzer(BaselineConfiguration? configuration = null, TimeProvider? clock = null)
    {
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
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(target.Text));
            (resources, file) = SnapshotReader.Read(stream, target.Path);
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
