using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets;

/// <summary>A loaded, checked detector: its descriptor, prefilter keywords, pattern and validators.</summary>
public sealed class SecretRule
{
    /// <summary>Every pattern match is abandoned after this long: hostile input cannot stall a scan.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    private readonly Lazy<Regex> _regex;

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
        RuleExamples examples)
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
        Examples = examples;
        var options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        // Compiled on first use: most rules never see a keyword in most trees, and compiling ~90 patterns up
        // front would cost more than scanning a small repository.
        _regex = new Lazy<Regex>(() => WarmedUp(new Regex(pattern, options | RegexOptions.Compiled, MatchTimeout), examples, keywords), LazyThreadSafetyMode.ExecutionAndPublication);
        SecretGroup = new Regex(pattern, options, MatchTimeout).GroupNumberFromName("secret");
    }

    public RuleDescriptor Descriptor { get; }

    public string Id => Descriptor.Id;

    /// <summary>The rule file, as <c>rules/secrets/&lt;Id&gt;.&lt;Name&gt;.yaml</c>.</summary>
    public string SourceFile { get; }

    public string Pattern { get; }

    public Regex Regex => _regex.Value;

    /// <summary>Number of the <c>secret</c> group, or -1 when the whole match is the secret.</summary>
    public int SecretGroup { get; }

    public IReadOnlyList<string> Keywords { get; }

    public IReadOnlyList<(ISecretValidator Validator, string? Argument)> Validators { get; }

    /// <summary>The rule file's path globs (gitignore syntax); empty when the rule runs on every file.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>When not null, only files whose path matches run this rule.</summary>
    public GitIgnore? PathFilter { get; }

    public bool Generic { get; }

    public int ExtraLines { get; }

    public string MessageTemplate { get; }

    public RuleExamples Examples { get; }

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
