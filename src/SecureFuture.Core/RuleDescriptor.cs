namespace SecureFuture.Core;

/// <summary>
/// Describes one rule, control or detector. Identifiers are opaque and stable (<c>SFI-SEC-001</c>); the
/// <see cref="Name"/> is PascalCase and never equal to the id (SARIF §3.49.7: id and name SHALL NOT be equal).
/// </summary>
public sealed record RuleDescriptor
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>Bumped whenever the rule's output changes, so that consumers can tell old results from new.</summary>
    public int Version { get; init; } = 1;

    public required Severity DefaultSeverity { get; init; }

    public Confidence Confidence { get; init; } = Confidence.Medium;

    public required string ShortDescription { get; init; }

    public required string FullDescription { get; init; }

    /// <summary>Guidance in Markdown: why it matters and how to fix it.</summary>
    public required string HelpMarkdown { get; init; }

    /// <summary>A repository-relative path or absolute URI of the guidance page.</summary>
    public string? HelpUri { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Framework mappings such as <c>CWE-798</c> or <c>MCSB IM-8</c>.</summary>
    public IReadOnlyList<string> Frameworks { get; init; } = [];
}
