using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>Framework mappings of a control, as the catalogue lists them.</summary>
public sealed record ControlReferences(
    IReadOnlyList<string> Mcsb,
    IReadOnlyList<string> Cis,
    IReadOnlyList<string> Scuba,
    IReadOnlyList<string> Other);

/// <summary>Whether a safe programmatic fix exists; otherwise the manual steps.</summary>
public sealed record ControlFix(bool Programmatic, string? Note, string? ManualSteps);

/// <summary>One control of the baseline: metadata only. Evaluation lives in <c>IControlEvaluator</c> classes.</summary>
public sealed record ControlDefinition
{
    public required string Id { get; init; }

    public required string Domain { get; init; }

    /// <summary>PascalCase name, never equal to the id (SARIF §3.49.7).</summary>
    public required string Name { get; init; }

    public required string Title { get; init; }

    public required string Rationale { get; init; }

    public required Severity Severity { get; init; }

    /// <summary>Input formats the control reads: <c>graph</c>, <c>arm</c>, <c>terraform</c>.</summary>
    public required IReadOnlyList<string> Formats { get; init; }

    /// <summary>Resource types it reads: ARM types, <c>graph:&lt;entity&gt;</c>, or <c>azurerm_*</c>.</summary>
    public required IReadOnlyList<string> ResourceTypes { get; init; }

    /// <summary>The fields it reads, as the catalogue documents them.</summary>
    public required string Fields { get; init; }

    public required ControlReferences References { get; init; }

    public required ControlFix Fix { get; init; }

    /// <summary>Default thresholds; a baseline configuration file may override them.</summary>
    public required IReadOnlyDictionary<string, double> Thresholds { get; init; }

    /// <summary>The control as a Core rule, so that findings carry the same id, name and mappings.</summary>
    public RuleDescriptor ToRuleDescriptor() => new()
    {
        Id = Id,
        Name = Name,
        DefaultSeverity = Severity,
        Confidence = Confidence.High,
        ShortDescription = Title,
        FullDescription = Rationale,
        HelpMarkdown = $"**{Id} {Title}** ({Domain})\n\n{Rationale}\n\nReads: {Fields}\n\n"
            + (Fix.Programmatic ? "A programmatic remediation is emitted by `sfi baseline remediate`." : $"Manual remediation: {Fix.ManualSteps}"),
        HelpUri = "docs/baseline.md",
        Tags = ["baseline", Domain],
        Frameworks = [.. References.Mcsb.Select(m => $"MCSB {m}"), .. References.Cis, .. References.Scuba, .. References.Other],
    };
}
