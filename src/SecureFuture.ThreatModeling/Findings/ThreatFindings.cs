using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Findings;

/// <summary>
/// Maps threats to Core <see cref="Finding"/>s so the SARIF, JSON and text writers report them like any other
/// analysis. A YAML model's threat points at the flow's line; a <c>.tm7</c> threat (one-line XML) names the model
/// element. Every finding carries <c>category</c>, <c>state</c> and <c>interaction</c> (source:flow:target) in
/// its properties. Mitigated and not-applicable threats are suppressed with their justification, so they do not
/// trip a gate.
/// </summary>
public static class ThreatFindings
{
    public const string ToolName = "sfi threatmodel";

    public static Finding ToFinding(Threat threat, ThreatModel model)
    {
        ArgumentNullException.ThrowIfNull(threat);
        ArgumentNullException.ThrowIfNull(model);
        var flow = model.Flows.FirstOrDefault(f => f.Id == threat.Key.FlowId);
        var source = model.FindElement(threat.Key.SourceId);
        var target = model.FindElement(threat.Key.TargetId);
        var isYaml = model.SourcePath is { } p && (p.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".yml", StringComparison.OrdinalIgnoreCase));
        Region? region = isYaml && flow?.Position is { } pos ? new Region(pos.Line, pos.Column, pos.Line, pos.Column + 1) : null;
        var location = new FindingLocation
        {
            Path = model.SourcePath,
            Region = region,
            ModelElement = threat.Key.Interaction,
        };
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["category"] = threat.Category,
            ["state"] = Threat.StateToken(threat.State),
            ["interaction"] = threat.Key.Interaction,
            ["title"] = threat.Title,
        };
        if (source is not null && target is not null && flow is not null)
        {
            properties["interactionNames"] = $"{source.Name} → {flow.Name} → {target.Name}";
        }

        if (threat.Justification is { Length: > 0 } j)
        {
            properties["justification"] = j;
        }

        if (threat.DiagramId is { } d)
        {
            properties["diagram"] = d;
        }

        if (threat.References.Count > 0)
        {
            properties["references"] = string.Join(", ", threat.References);
        }

        var suppressed = threat.State is ThreatState.Mitigated or ThreatState.NotApplicable;
        return new Finding
        {
            RuleId = threat.RuleId,
            Severity = threat.Severity,
            Message = string.IsNullOrWhiteSpace(threat.Description) ? threat.Title : $"{threat.Title}. {threat.Description}",
            Location = location,
            Fingerprints = new Fingerprints(null, MaskedEvidence.Hash($"{threat.RuleId}|{model.SourcePath}|{threat.Key.Interaction}")),
            Suppression = suppressed ? new Suppression("external", $"{Threat.StateToken(threat.State)}: {threat.Justification ?? "(no justification)"}") : null,
            Properties = properties,
        };
    }

    /// <summary>Rule descriptors for every threat type of a template (SARIF needs them for <c>rules[]</c>).</summary>
    public static IReadOnlyList<RuleDescriptor> Descriptors(KnowledgeBase template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (ReferenceEquals(template, RuleCatalogue.Default.Template))
        {
            return RuleCatalogue.Default.Descriptors();
        }

        return [.. template.ThreatTypes.Select(t => new RuleDescriptor
        {
            Id = t.Id,
            Name = PascalName(t),
            DefaultSeverity = t.Severity,
            ShortDescription = t.Title,
            FullDescription = string.IsNullOrWhiteSpace(t.Description) ? t.Title : t.Description,
            HelpMarkdown = string.IsNullOrWhiteSpace(t.Description) ? t.Title : t.Description,
            Tags = ["security", "threat-model", template.FindCategory(t.CategoryId)?.Name ?? t.CategoryId],
            Frameworks = t.References,
        })];
    }

    /// <summary>
    /// Builds the run the Core writers take: one finding per current threat. With <paramref name="compareToRecorded"/>
    /// the findings carry SARIF baseline states against the threats recorded in the model (new, unchanged, and
    /// resolved ones as absent), so a gate trips only on new threats; without it every current threat counts.
    /// </summary>
    public static AnalysisRun ToRun(ThreatModel model, ThreatReconciliation result, KnowledgeBase template, string toolVersion, DateTimeOffset start, DateTimeOffset end, bool compareToRecorded = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(template);
        var newKeys = result.New.Select(t => t.Key).ToHashSet();
        return new AnalysisRun
        {
            ToolName = ToolName,
            ToolVersion = toolVersion,
            Rules = Descriptors(template),
            // SARIF §3.27.24: "absent" is a result of the baseline that the current run no longer produces.
            Findings = compareToRecorded
                ?
                [
                    .. result.Current.Select(t => ToFinding(t, model) with { BaselineState = newKeys.Contains(t.Key) ? BaselineState.New : BaselineState.Unchanged }),
                    .. result.Resolved.Select(t => ToFinding(t, model) with { BaselineState = BaselineState.Absent }),
                ]
                : [.. result.Current.Select(t => ToFinding(t, model))],
            StartTime = start,
            EndTime = end,
            Statistics = new Dictionary<string, long>
            {
                ["threats"] = result.Current.Count,
                ["newThreats"] = result.New.Count,
                ["resolvedThreats"] = result.Resolved.Count,
            },
        };
    }

    /// <summary>A model problem that does not stop analysis (a dangling flow, an unknown stencil) as a SARIF notification (§3.58).</summary>
    public static Notification ToNotification(ModelIssue issue, ThreatModel model)
    {
        ArgumentNullException.ThrowIfNull(issue);
        ArgumentNullException.ThrowIfNull(model);
        return new Notification(issue.Id, NotificationLevel.Warning, issue.Message)
        {
            Path = model.SourcePath,
            Region = issue.Position is { } p ? new Region(p.Line, p.Column, p.Line, p.Column + 1) : null,
        };
    }

    private static string PascalName(ThreatType type)
    {
        var words = new string([.. type.Title.Where(c => char.IsLetterOrDigit(c) || c == ' ')])
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !w.Contains('{', StringComparison.Ordinal))
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..]);
        var name = string.Concat(words);
        // SARIF §3.49.7: a rule's name must differ from its id.
        return name.Length == 0 || name == type.Id ? "Threat" + new string([.. type.Id.Where(char.IsLetterOrDigit)]) : name;
    }
}
