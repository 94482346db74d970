using SecureFuture.Core;

namespace SecureFuture.Scanning.Code;

/// <summary>A loaded, checked code rule.</summary>
public sealed record CodeRule(RuleDescriptor Descriptor, CodeRuleDocument Document)
{
    public string Id => Descriptor.Id;

    /// <summary>The file the rule came from, e.g. <c>rules/code/SFI-CODE-001.SqlInjection.yaml</c>.</summary>
    public required string Source { get; init; }
}
