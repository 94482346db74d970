namespace SecureFuture.Scanning.Code;

/// <summary>
/// The YAML shape of one code rule, <c>rules/code/&lt;Id&gt;.&lt;Name&gt;.yaml</c>. Metadata and examples are
/// common to every rule; what the rule looks for is either a taint specification (<see cref="Taint"/>) or the name of
/// a semantic pattern implemented in C# (<see cref="Pattern"/>). <see cref="CodeRuleCatalog"/> checks every field.
/// </summary>
public sealed class CodeRuleDocument
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public int Version { get; set; } = 1;

    /// <summary>Short description, a noun phrase: "SQL query built from untrusted data".</summary>
    public string? Title { get; set; }

    /// <summary>One or two sentences on what is detected and why it matters.</summary>
    public string? Description { get; set; }

    /// <summary>Guidance in Markdown: why it matters and how to fix it, with a safe example.</summary>
    public string? Help { get; set; }

    public string? Severity { get; set; }

    /// <summary>high, medium or low: how likely a result is a true positive (SARIF <c>precision</c>).</summary>
    public string? Precision { get; set; }

    /// <summary>CWE numbers; written as <c>external/cwe/cwe-089</c> tags (three digits at least), the way CodeQL writes them.</summary>
    public List<int> Cwe { get; set; } = [];

    public List<string> Tags { get; set; } = [];

    /// <summary>The result's message; placeholders are defined by the rule's kind.</summary>
    public string? Message { get; set; }

    /// <summary>For data-flow rules: the sinks, sanitisers and sources specific to this rule.</summary>
    public TaintSpecDocument? Taint { get; set; }

    /// <summary>For pattern rules: the name of the C# pattern that implements the rule.</summary>
    public string? Pattern { get; set; }

    public CodeRuleExamples Examples { get; set; } = new();
}

/// <summary>C# files that a data-driven test runs through the real analyzer.</summary>
public sealed class CodeRuleExamples
{
    /// <summary>Each must yield at least one result of this rule.</summary>
    public List<string> Vulnerable { get; set; } = [];

    /// <summary>Each must yield no result of this rule: the safe look-alikes.</summary>
    public List<string> Safe { get; set; } = [];
}

/// <summary>
/// The taint part of a rule. The shape of its entries belongs to the taint engine (see <c>Taint/</c>); this class
/// only carries them from the YAML.
/// </summary>
public sealed class TaintSpecDocument
{
    public List<Dictionary<string, object>> Sinks { get; set; } = [];

    public List<Dictionary<string, object>> Sanitizers { get; set; } = [];

    public List<Dictionary<string, object>> Sources { get; set; } = [];
}
