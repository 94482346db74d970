using YamlDotNet.Serialization;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// The YAML shape of one detector file, <c>rules/secrets/&lt;Id&gt;.&lt;Name&gt;.yaml</c>. Documented for rule
/// authors in docs/adding-a-secret-rule.md; <see cref="SecretRuleCatalog"/> checks every field at load time.
/// </summary>
public sealed class RuleDocument
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public int Version { get; set; } = 1;

    /// <summary>Short description: a noun phrase, e.g. "Azure storage account key".</summary>
    public string? Title { get; set; }

    /// <summary>Full description: one or two sentences on what is detected and why it matters.</summary>
    public string? Description { get; set; }

    public string? Severity { get; set; }

    public string? Confidence { get; set; }

    public List<string> Tags { get; set; } = [];

    /// <summary>Framework mappings, e.g. CWE-798.</summary>
    public List<string> References { get; set; } = [];

    /// <summary>
    /// Prefilter: literal strings, matched case-insensitively. The pattern only runs on the lines around an
    /// occurrence of one of them, so every match must contain (or sit on the same line as) a keyword.
    /// </summary>
    public List<string> Keywords { get; set; } = [];

    /// <summary>.NET regular expression. A named group <c>secret</c> marks the secret value.</summary>
    public string? Pattern { get; set; }

    /// <summary>Compile the pattern case-insensitively.</summary>
    public bool IgnoreCase { get; set; }

    /// <summary>How many lines after the keyword's line the match may span (PEM blocks); default 0.</summary>
    public int ExtraLines { get; set; }

    /// <summary>Generic rules yield to any specific rule whose secret overlaps theirs.</summary>
    public bool Generic { get; set; }

    /// <summary>When set, the rule only runs on files whose relative path matches one of these globs.</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>Validators by name with an optional scalar argument; all must accept.</summary>
    public Dictionary<string, string?> Validators { get; set; } = [];

    /// <summary>The finding's message; <c>{detail}</c> is replaced by what validators add.</summary>
    public string? Message { get; set; }

    /// <summary>
    /// The <c>entropy</c> validator's threshold, in bits per character: the one field a user sets to tune a built-in
    /// rule (<c>id: SFI-SEC-041</c>, <c>entropy: 4.5</c>); in a rule of its own it is the same as <c>validators: { entropy: ... }</c>.
    /// </summary>
    public string? Entropy { get; set; }

    /// <summary>Values and files this rule never reports, whatever its pattern and validators say.</summary>
    public RuleAllowList? AllowList { get; set; }

    /// <summary>A composite rule: reported only where another rule also matched within a number of lines.</summary>
    public RuleRequirement? Requires { get; set; }

    public RuleExamples Examples { get; set; } = new();
}

public sealed class RuleExamples
{
    public List<RuleExample> Match { get; set; } = [];

    public List<RuleExample> NoMatch { get; set; } = [];
}

/// <summary>A text the rule must (or must not) report, optionally as a given file and with an expected severity.</summary>
public sealed class RuleExample
{
    public string? Text { get; set; }

    public string? Path { get; set; }

    public string? Severity { get; set; }

    /// <summary>For a match example: the exact secret value the rule must extract, when worth pinning.</summary>
    public string? Secret { get; set; }
}

/// <summary>A rule's allow-list: a secret matching one of <see cref="Values"/>, or in a file matching one of <see cref="Paths"/>, is not reported.</summary>
public sealed class RuleAllowList
{
    /// <summary>.NET regular expressions searched for in the secret value (anchor them with ^ and $ for a whole value).</summary>
    public List<string> Values { get; set; } = [];

    /// <summary>Globs in .gitignore syntax, relative to the scan root.</summary>
    public List<string> Paths { get; set; } = [];
}

/// <summary><c>requires: { rule: SFI-SEC-040, within: 5 }</c>: another rule's finding on the same line or up to <see cref="Within"/> lines away.</summary>
public sealed class RuleRequirement
{
    public string? Rule { get; set; }

    public int? Within { get; set; }
}

/// <summary>A rule file's <c>examples:</c> block alone (<see cref="RuleExampleText"/>).</summary>
public sealed class RuleExamplesDocument
{
    public RuleExamples Examples { get; set; } = new();
}

/// <summary>
/// The rule file types' deserializer, generated at build time (YamlDotNet's static generator): no reflection over the
/// types at start-up, where it was a quarter of the CPU time of a scan of an empty directory, and nothing that Native
/// AOT's trimming would remove. A type the YAML can hold must be listed here.
/// </summary>
[YamlStaticContext]
[YamlSerializable(typeof(RuleDocument))]
[YamlSerializable(typeof(RuleExamplesDocument))]
[YamlSerializable(typeof(RuleExamples))]
[YamlSerializable(typeof(RuleExample))]
[YamlSerializable(typeof(RuleAllowList))]
[YamlSerializable(typeof(RuleRequirement))]
public sealed partial class RuleYamlContext : StaticContext
{
}

/// <summary>
/// A rule file's top-level <c>examples:</c> block, cut out of the YAML so that the rest can be read without it and the
/// examples on first use (the shipped catalogue: examples are half of its YAML and a scan needs only a few rules').
/// </summary>
internal static class RuleExampleText
{
    private static readonly Lock Gate = new();
    private static IDeserializer? ExamplesReader;

    /// <summary>
    /// The YAML with the block's lines left empty (so that every other line keeps its number), and the block alone;
    /// null when there is no top-level <c>examples:</c> key. The block runs to the next line that starts in column 0
    /// with anything but a comment: its content is indented, as YAML requires of a block mapping's values.
    /// </summary>
    public static (string Body, string Examples)? Split(string yaml)
    {
        var start = yaml.StartsWith("examples:", StringComparison.Ordinal) ? 0 : yaml.IndexOf("\nexamples:", StringComparison.Ordinal) + 1;
        if (start == 0 && !yaml.StartsWith("examples:", StringComparison.Ordinal))
        {
            return null;
        }

        var end = yaml.IndexOf('\n', start);
        while (end >= 0 && end + 1 < yaml.Length && yaml[end + 1] is ' ' or '\t' or '\r' or '\n' or '#')
        {
            end = yaml.IndexOf('\n', end + 1);
        }

        end = end < 0 ? yaml.Length : end + 1;
        var block = yaml[start..end];
        var blank = new string('\n', block.Count(c => c == '\n'));
        return (yaml[..start] + blank + yaml[end..], block);
    }

    /// <summary>Reads a block that <see cref="Split"/> cut out.</summary>
    public static RuleExamples Read(string examples)
    {
        lock (Gate)
        {
            ExamplesReader ??= SecretRuleCatalog.NewDeserializer();
            return ExamplesReader.Deserialize<RuleExamplesDocument>(examples)?.Examples ?? new RuleExamples();
        }
    }
}
