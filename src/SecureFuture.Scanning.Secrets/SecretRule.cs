using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets;

/// <summary>A loaded, checked detector: its descriptor, prefilter keywords, pattern and validators.</summary>
public sealed class SecretRule
{
    /// <summary>Every pattern match is abandoned after this long: hostile input cannot stall a scan.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(MatchTimeoutMilliseconds);

    /// <summary><see cref="MatchTimeout"/> as a constant, for the <c>[GeneratedRegex]</c> attributes of <see cref="BuiltInPatterns"/>.</summary>
    internal const int MatchTimeoutMilliseconds = 250;

    /// <summary>Windows a rule's pattern runs on interpreted before it is compiled (see <see cref="Regex"/>).</summary>
    public const int CompileAfter = 512;

    private const int Unresolved = int.MinValue;

    // Both forms of the pattern are built on first use: a scan meets the keywords of a fraction of the rules, and
    // parsing every pattern at start-up was a tenth of the CPU time of a scan of an empty directory.
    private readonly Lazy<Regex> _interpreted;
    private readonly Lazy<Regex> _compiled;
    private readonly Regex? _generated;
    private readonly Lazy<RuleExamples> _examples;
    private int _secretGroup = Unresolved;
    private readonly bool _ignoreCase;
    private int _uses;
    private readonly Lazy<string?> _leadingLiteral;

    internal SecretRule(
        RuleDescriptor descriptor,
        string sourceFile,
        string pattern,
        bool ignoreCase,
        IReadOnlyList<string> keywords,
        IReadOnlyList<(ISecretValidator Validator, string? Argument)> validators,
        IReadOnlyList<string> paths,
        bool generic,
        int extraLines,
        string messageTemplate,
        Lazy<RuleExamples> examples,
        Regex? generated)
    {
        Descriptor = descriptor;
        SourceFile = sourceFile;
        Pattern = pattern;
        Keywords = keywords;
        Validators = validators;
        Paths = paths;
        PathFilter = paths.Count == 0 ? null : GitIgnore.Parse(string.Empty, string.Join('\n', paths));
        Generic = generic;
        ExtraLines = extraLines;
        MessageTemplate = messageTemplate;
        _examples = examples;
        _ignoreCase = ignoreCase;
        _leadingLiteral = new Lazy<string?>(() => Secrets.LeadingLiteral.Of(pattern, ignoreCase), LazyThreadSafetyMode.PublicationOnly);
        _generated = generated;
        var options = OptionsFor(ignoreCase);
        _interpreted = new Lazy<Regex>(() => new Regex(pattern, options, MatchTimeout), LazyThreadSafetyMode.ExecutionAndPublication);
        _compiled = new Lazy<Regex>(() => WarmedUp(new Regex(pattern, options | RegexOptions.Compiled, MatchTimeout), Examples, keywords), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public RuleDescriptor Descriptor { get; }

    public string Id => Descriptor.Id;

    /// <summary>The rule file, as <c>rules/secrets/&lt;Id&gt;.&lt;Name&gt;.yaml</c>.</summary>
    public string SourceFile { get; }

    public string Pattern { get; }

    /// <summary>The options every rule pattern runs with: <c>ignoreCase: true</c> in the rule adds <see cref="RegexOptions.IgnoreCase"/>.</summary>
    internal static RegexOptions OptionsFor(bool ignoreCase) =>
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);

    /// <summary>
    /// The pattern: its source-generated form when <see cref="BuiltInPatterns"/> has this exact pattern and options
    /// (every built-in rule), compiled ahead of time with the rest of the assembly. Any other pattern (a user's rule)
    /// is interpreted for its first <see cref="CompileAfter"/> uses and compiled after that. Compiling costs
    /// milliseconds of code generation and JIT per pattern: a scan of C headers met the keywords of about a hundred
    /// rules and spent a sixth of its CPU time compiling patterns that then ran on a few lines each, while the few
    /// rules whose keywords are common run on thousands of lines and repay it. Native AOT cannot compile at all
    /// (it ignores <see cref="RegexOptions.Compiled"/>), so there a pattern not generated is always interpreted.
    /// All forms give the same matches.
    /// </summary>
    public Regex Regex
    {
        get
        {
            if (_generated is not null)
            {
                return _generated;
            }

            if (_compiled.IsValueCreated)
            {
                return _compiled.Value;
            }

            return Interlocked.Increment(ref _uses) <= CompileAfter ? _interpreted.Value : _compiled.Value;
        }
    }

    /// <summary>Number of the <c>secret</c> group, or -1 when the whole match is the secret.</summary>
    public int SecretGroup
    {
        get
        {
            var group = Volatile.Read(ref _secretGroup);
            if (group == Unresolved)
            {
                group = (_generated ?? _interpreted.Value).GroupNumberFromName("secret");
                Volatile.Write(ref _secretGroup, group);
            }

            return group;
        }
    }

    /// <summary>The options the pattern runs with (<see cref="OptionsFor"/>).</summary>
    internal RegexOptions Options => OptionsFor(_ignoreCase);

    /// <summary>Whether <see cref="Regex"/> is the pattern's source-generated form (<see cref="BuiltInPatterns"/>).</summary>
    internal bool IsSourceGenerated => _generated is not null;

    public IReadOnlyList<string> Keywords { get; }

    public IReadOnlyList<(ISecretValidator Validator, string? Argument)> Validators { get; }

    /// <summary>The rule file's path globs (gitignore syntax); empty when the rule runs on every file.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>When not null, only files whose path matches run this rule.</summary>
    public GitIgnore? PathFilter { get; }

    public bool Generic { get; }

    public int ExtraLines { get; }

    /// <summary>The literal every match starts with after a token boundary, when the pattern says so for certain (<see cref="Secrets.LeadingLiteral"/>).</summary>
    internal string? LeadingLiteral => _leadingLiteral.Value;

    /// <summary>Whether the whole pattern ignores case (the rule's <c>ignoreCase</c>).</summary>
    internal bool IgnoreCase => _ignoreCase;

    public string MessageTemplate { get; }

    /// <summary>The rule's examples; the built-in catalogue reads them from its YAML on first use (see <see cref="SecretRuleCatalog"/>).</summary>
    public RuleExamples Examples => _examples.Value;

    /// <summary>Secrets and files this rule never reports (its own <c>allowList</c>, and a user's override of it).</summary>
    public SecretAllowList? AllowList { get; init; }

    /// <summary>For a composite rule: the rule that must also match nearby.</summary>
    public SecretRequirement? Requires { get; init; }

    /// <summary>A user's override fixed the severity: validators (weak password, long-lived SAS) no longer change it.</summary>
    public bool SeverityFixed { get; init; }

    /// <summary>
    /// This rule as a user's override (<c>--rules</c>) tunes it: the entropy threshold replaced (or added), allow-list
    /// entries added to its own, the severity fixed, a requirement added. Everything else stays the built-in rule's.
    /// </summary>
    internal SecretRule Overridden(Severity? severity, string? entropy, SecretAllowList? allowList, SecretRequirement? requires, string source)
    {
        IReadOnlyList<(ISecretValidator Validator, string? Argument)> validators = Validators;
        if (entropy is not null)
        {
            var validator = SecretRuleCatalog.Validators["entropy"];
            validators = [.. Validators.Where(v => v.Validator.Name != validator.Name), (validator, entropy)];
        }

        var descriptor = severity is { } fixedSeverity ? Descriptor with { DefaultSeverity = fixedSeverity } : Descriptor;
        return new SecretRule(descriptor, SourceFile + " (overridden by " + source + ")", Pattern, _ignoreCase, Keywords, validators, Paths, Generic, ExtraLines, MessageTemplate, _examples, _generated)
        {
            AllowList = SecretAllowList.Combine(AllowList, allowList),
            Requires = requires ?? Requires,
            SeverityFixed = SeverityFixed || severity is not null,
        };
    }

    /// <summary>Whether the allow-list excuses this secret in this file.</summary>
    public bool IsAllowed(string secret, string path) => AllowList is { } allow && allow.Allows(secret, path);

    /// <summary>
    /// Runs a compiled pattern on its own examples (match and no-match) before it meets a file. Its code, and every runtime method its
    /// successful-match path calls, is JIT-compiled on first use inside the match timeout: on a loaded machine that
    /// alone took 245 ms of a 250 ms budget, so the first file each rule met could go unchecked, a missed secret.
    /// A warm-up run cut short by the timeout leaves the rest of the path cold, so it is repeated until one finishes.
    /// </summary>
    private static Regex WarmedUp(Regex regex, RuleExamples examples, IReadOnlyList<string> keywords)
    {
        // Both paths: a match, and the scan that fails or backtracks over text that does not match.
        var texts = examples.Match.Concat(examples.NoMatch).Select(e => e.Text).OfType<string>().DefaultIfEmpty($"{(keywords.Count > 0 ? keywords[0] : string.Empty)} = \"warm-up\"").ToList();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                foreach (var text in texts)
                {
                    for (var m = regex.Match(text); m.Success; m = m.NextMatch())
                    {
                        _ = m.Groups;
                    }
                }

                break;
            }
            catch (RegexMatchTimeoutException)
            {
                // Cut short while compiling: run it again.
            }
        }

        return regex;
    }

    public bool AppliesTo(string path) => PathFilter is null || PathFilter.Match(path, isDirectory: false) == true;

    public string FormatMessage(string? detail)
    {
        if (MessageTemplate.Contains("{detail}", StringComparison.Ordinal))
        {
            return MessageTemplate.Replace("{detail}", detail ?? string.Empty, StringComparison.Ordinal).Replace(" ()", string.Empty, StringComparison.Ordinal).Trim();
        }

        if (string.IsNullOrEmpty(detail))
        {
            return MessageTemplate;
        }

        var body = MessageTemplate.TrimEnd('.');
        return $"{body} ({detail}).";
    }
}

/// <summary>A loaded <see cref="RuleAllowList"/>: value patterns (searched for in the secret) and path globs.</summary>
public sealed class SecretAllowList
{
    public SecretAllowList(IReadOnlyList<string> values, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(paths);
        Values = values;
        Paths = paths;
        _values = [.. values.Select(v => new Regex(v, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, SecretRule.MatchTimeout))];
        _paths = paths.Count == 0 ? null : GitIgnore.Parse(string.Empty, string.Join('\n', paths));
    }

    private readonly Regex[] _values;
    private readonly GitIgnore? _paths;

    public IReadOnlyList<string> Values { get; }

    public IReadOnlyList<string> Paths { get; }

    public bool Allows(string secret, string path) =>
        _values.Any(v => v.IsMatch(secret)) || _paths?.Match(path, isDirectory: false) == true;

    /// <summary>Both lists' entries; null when neither has any.</summary>
    public static SecretAllowList? Combine(SecretAllowList? first, SecretAllowList? second) =>
        first is null ? second : second is null ? first : new SecretAllowList([.. first.Values, .. second.Values], [.. first.Paths, .. second.Paths]);
}

/// <summary>A composite rule's condition: a finding of <see cref="RuleId"/> within <see cref="Within"/> lines (0: the same line).</summary>
public sealed record SecretRequirement(string RuleId, int Within);
