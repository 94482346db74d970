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
/// The taint part of a rule: its sinks (and any sanitisers or sources of its own). Sources, propagators, guards and
/// sanitisers shared by every rule live in <c>rules/code/taint/TaintModel.yaml</c>; see <c>Taint/TaintModel.cs</c>
/// for what each field means and <c>Taint/TaintSpecValidation.cs</c> for what is checked.
/// </summary>
public sealed class TaintSpecDocument
{
    /// <summary>The rule's sink kind (e.g. <c>sql</c>): sanitisers and guards name the kinds they neutralise.</summary>
    public string? Kind { get; set; }

    public List<TaintMemberDocument> Sinks { get; set; } = [];

    /// <summary>Sanitisers for this rule only (their kinds default to the rule's kind).</summary>
    public List<TaintMemberDocument> Sanitizers { get; set; } = [];

    public List<TaintMemberDocument> Sources { get; set; } = [];
}

/// <summary>
/// An API member a taint specification names: a type (full name, generic arity left out) and members of it or of
/// anything deriving from or implementing it.
/// </summary>
public sealed class TaintMemberDocument
{
    /// <summary>Full name, e.g. <c>System.Data.Common.DbCommand</c>; none for a guard matched by member name alone.</summary>
    public string? Type { get; set; }

    /// <summary>Method or property names; <c>.ctor</c> for constructors, <c>this[]</c> for indexers, <c>*</c> for all.</summary>
    public List<string> Members { get; set; } = [];

    /// <summary>Sinks and guards: which arguments count, by position in the call as written (an extension method's receiver is not one).</summary>
    public List<int> Arguments { get; set; } = [];

    /// <summary>Sinks: which arguments count, by parameter name (when the symbol resolves).</summary>
    public List<string> Parameters { get; set; } = [];

    /// <summary>
    /// Sinks (calls and constructors): only when the watched argument is passed as a parameter of one of these types
    /// (full names, e.g. <c>System.String</c>), so one overload of a method is a sink and another is not: EF Core 2's
    /// <c>FromSql(string)</c> runs raw SQL, its <c>FromSql(FormattableString)</c> turns interpolations into parameters.
    /// When the call does not bind, the argument's own type decides, an interpolated string literal counting as
    /// <c>System.FormattableString</c> (what C# passes it as to an overload that takes one).
    /// </summary>
    public List<string> ParameterTypes { get; set; } = [];

    /// <summary>
    /// Sinks with <see cref="ParameterTypes"/>: the package versions from which that condition tells the overloads
    /// apart, as <c>"Id Version"</c> (<c>Microsoft.EntityFrameworkCore.Relational 2.1</c>): the first listed package the
    /// project has a version of decides (<see cref="PackageVersions"/>). On an earlier version every overload is a sink
    /// (EF Core 2.0 had only <c>FromSql(string)</c>, so an interpolated literal was raw SQL); when none has a known
    /// version and the call does not bind, an interpolated string literal is reported at low confidence instead of
    /// being taken for a <c>FormattableString</c>.
    /// </summary>
    public List<string> ParameterTypesSince { get; set; } = [];

    /// <summary>Sinks: only when another argument is a constant matching a pattern (e.g. the content type is HTML).</summary>
    public TaintArgumentCondition? WhenArgument { get; set; }

    /// <summary>Sinks: only when the containing type's text matches this regular expression (e.g. TypeNameHandling.All).</summary>
    public string? Context { get; set; }

    /// <summary>Sinks: not a sink when the argument is a literal absolute URL with its host, or a local path, followed by the data.</summary>
    public bool AllowFixedHost { get; set; }

    /// <summary>Sources: the text used in messages ("request query"); sinks: what the sink is ("SQL command").</summary>
    public string? Label { get; set; }

    /// <summary>
    /// Sources: a regular expression the receiver's text must match (<c>(?i)req</c> for <c>Request.Path</c>), so
    /// that common member names (Path, Headers, Body) are not bound wherever they occur.
    /// </summary>
    public string? Receiver { get; set; }

    /// <summary>Shared sanitisers and guards: the sink kinds they neutralise (<c>all</c> for every kind).</summary>
    public List<string> Kinds { get; set; } = [];

    /// <summary>
    /// Guards: whether the checked value is the <c>receiver</c> or the <c>arguments</c> (default), or, with <c>result</c>,
    /// the arguments of a lookup whose result was checked non-null.
    /// </summary>
    public string? On { get; set; }
}

/// <summary>A constant argument a sink requires (by parameter name or position).</summary>
public sealed class TaintArgumentCondition
{
    public string? Parameter { get; set; }

    public int? Index { get; set; }

    /// <summary>A regular expression the constant's value must match.</summary>
    public string? Matches { get; set; }
}
