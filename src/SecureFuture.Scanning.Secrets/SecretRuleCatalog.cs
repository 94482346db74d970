using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// The secret detectors, loaded from their YAML files (embedded in this assembly from <c>rules/secrets/</c>) and
/// checked as a whole: a malformed rule is a bug in the catalogue and fails loudly with its file, line and column.
/// </summary>
public sealed partial class SecretRuleCatalog
{
    private static readonly Lazy<SecretRuleCatalog> Embedded = new(LoadEmbedded);

    private SecretRuleCatalog(IReadOnlyList<SecretRule> rules) => Rules = rules;

    public IReadOnlyList<SecretRule> Rules { get; }

    /// <summary>The catalogue shipped in this assembly.</summary>
    public static SecretRuleCatalog Default => Embedded.Value;

    public static IReadOnlyDictionary<string, ISecretValidator> Validators { get; } = AllValidators().ToDictionary(v => v.Name, StringComparer.Ordinal);

    /// <summary>Loads rules from (file name, YAML) pairs; <paramref name="guidance"/> returns a rule's guidance page.</summary>
    /// <exception cref="InputException">One or more rule files are invalid; the message lists every problem.</exception>
    public static SecretRuleCatalog Load(IEnumerable<(string FileName, string Yaml)> files, Func<string, string?> guidance) =>
        Load(files, guidance, shipped: false);

    /// <param name="shipped">
    /// The catalogue embedded in this assembly, which the test suite loads in full (<see cref="EmbeddedFiles"/>) and
    /// whose every pattern and example it runs: its patterns are then parsed on first use and its examples (half of
    /// the YAML) read on first use, instead of at every start. Every other catalogue is checked in full here.
    /// </param>
    private static SecretRuleCatalog Load(IEnumerable<(string FileName, string Yaml)> files, Func<string, string?> guidance, bool shipped)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(guidance);
        // Each file is read on its own (the shipped 307 were ~40 ms of serial start-up before a scan could begin), on
        // every core, and the results are taken in file-name order: the same catalogue and the same problems, in the
        // same order, as one file after another.
        var sorted = files.OrderBy(f => f.FileName, StringComparer.Ordinal).ToArray();
        var read = new (SecretRule? Rule, List<string> Problems)[sorted.Length];
        try
        {
            Parallel.For(0, sorted.Length, NewDeserializer, (i, _, deserializer) =>
            {
                read[i] = ReadRule(deserializer, sorted[i].FileName, sorted[i].Yaml, guidance, shipped);
                return deserializer;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // what one file after another would have thrown
        }

        var rules = new List<SecretRule>();
        var problems = new List<string>();
        foreach (var (rule, fileProblems) in read)
        {
            problems.AddRange(fileProblems);
            if (rule is not null)
            {
                rules.Add(rule);
            }
        }

        foreach (var duplicate in rules.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"rule id {duplicate.Key} is defined {duplicate.Count()} times");
        }

        foreach (var duplicate in rules.GroupBy(r => r.Descriptor.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"rule name {duplicate.Key} is used by {string.Join(", ", duplicate.Select(r => r.Id))}");
        }

        problems.AddRange(RequirementProblems(rules).Select(p => $"{p.Rule.SourceFile}: {p.Problem}"));
        if (problems.Count > 0)
        {
            throw new InputException("Invalid secret rules:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        return new SecretRuleCatalog(rules);
    }

    /// <summary>One rule file: the rule, or null and what is wrong with it (each problem prefixed with the file).</summary>
    private static (SecretRule? Rule, List<string> Problems) ReadRule(IDeserializer deserializer, string fileName, string yaml, Func<string, string?> guidance, bool shipped)
    {
        var source = "rules/secrets/" + fileName;
        RuleDocument document;
        Lazy<RuleExamples>? examples = null;
        try
        {
            var body = yaml;
            if (shipped && RuleExampleText.Split(yaml) is (var rest, var examplesYaml))
            {
                body = rest;
                examples = new Lazy<RuleExamples>(() => RuleExampleText.Read(examplesYaml), LazyThreadSafetyMode.ExecutionAndPublication);
            }

            document = deserializer.Deserialize<RuleDocument>(body) ?? throw new YamlException("empty rule file");
        }
        catch (YamlException e)
        {
            return (null, [$"{source}:{e.Start.Line}:{e.Start.Column}: {e.Message}"]);
        }

        var errors = new List<string>();
        var rule = Build(document, fileName, source, guidance, errors, examples: examples, checkPattern: !shipped);
        return (errors.Count == 0 ? rule : null, [.. errors.Select(e => $"{source}: {e}")]);
    }

    private static SecretRuleCatalog LoadEmbedded() => Load(EmbeddedFiles(), EmbeddedGuidance, shipped: true);

    /// <summary>The rule files embedded in this assembly, as (file name, YAML) pairs.</summary>
    internal static List<(string FileName, string Yaml)> EmbeddedFiles()
    {
        var assembly = typeof(SecretRuleCatalog).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("rules/secrets/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => (n["rules/secrets/".Length..], ReadResource(assembly, n)!))
            .ToList();
    }

    /// <summary>Guidance pages embedded in this assembly, by rule id.</summary>
    internal static string? EmbeddedGuidance(string id) => ReadResource(typeof(SecretRuleCatalog).Assembly, $"guidance/{id}.md");

    internal static IDeserializer NewDeserializer() => new StaticDeserializerBuilder(new RuleYamlContext()).WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    private static string? ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Every validator a rule can name. Listed, not found by reflection: scanning the assembly's types cost start-up
    /// time, and Native AOT's trimming drops types nothing names. A test checks that every validator class is here.
    /// </summary>
    internal static ISecretValidator[] AllValidators() =>
    [
        new Base64BytesValidator(), new Base64CredentialsValidator(), new Bech32ChecksumValidator(), new ContextContainsValidator(),
        new CredentialShapeValidator(), new EntropyValidator(), new GitHubChecksumValidator(), new JwtValidator(),
        new LiteralAssignmentValidator(), new NotContextContainsValidator(), new NotIdentifierValidator(), new NotPlaceholderValidator(),
        new NotTemplateValidator(), new OpenPgpSecretKeyValidator(), new PemPrivateKeyValidator(), new PrivateKeyBlobValidator(),
        new SasTokenValidator(), new WeakPasswordValidator(),
    ];

    /// <param name="user">A user's rule (<c>--rules</c>): any id under SFI-SEC-, any file name, guidance optional, a match example required.</param>
    /// <param name="examples">The examples when they are read on first use; null: the document's own.</param>
    /// <param name="checkPattern">Parse the pattern now to report it if invalid (not for the shipped catalogue, see <see cref="Load(IEnumerable{ValueTuple{string, string}}, Func{string, string}, bool)"/>).</param>
    private static SecretRule? Build(RuleDocument d, string fileName, string source, Func<string, string?> guidance, List<string> errors, bool user = false, Lazy<RuleExamples>? examples = null, bool checkPattern = true)
    {
        if (d.Id is null || !(user ? UserRuleIdPattern() : RuleIdPattern()).IsMatch(d.Id))
        {
            errors.Add(user ? $"'id' must start with SFI-SEC- and go on in capitals, digits and dashes (SFI-SEC-ACME-001), not '{d.Id}'" : $"'id' must look like SFI-SEC-001, not '{d.Id}'");
            return null;
        }

        if (d.Name is null || !PascalCasePattern().IsMatch(d.Name))
        {
            errors.Add("'name' must be PascalCase (SARIF §3.49.8: a name distinct from the id)");
        }

        if (!user && fileName != $"{d.Id}.{d.Name}.yaml")
        {
            errors.Add($"file must be named {d.Id}.{d.Name}.yaml");
        }

        if (string.IsNullOrWhiteSpace(d.Title) || string.IsNullOrWhiteSpace(d.Description))
        {
            errors.Add("'title' and 'description' are required");
        }

        if (!SeverityExtensions.TryParseSeverity(d.Severity, out var severity))
        {
            errors.Add($"'severity' must be critical, high, medium, low or note, not '{d.Severity}'");
        }

        if (!SeverityExtensions.TryParseConfidence(d.Confidence, out var confidence))
        {
            errors.Add($"'confidence' must be high, medium or low, not '{d.Confidence}'");
        }

        if (d.Keywords.Count == 0 && d.Paths.Count == 0)
        {
            errors.Add("'keywords' is required unless 'paths' restricts the rule to specific files");
        }

        if (d.Keywords.Any(k => string.IsNullOrWhiteSpace(k) || k.Length < 3))
        {
            errors.Add("'keywords': every keyword must be at least 3 characters long");
        }

        if (user && d.Examples.Match.Count == 0)
        {
            errors.Add("'examples': a rule of your own needs at least one 'match' example (and should have 'noMatch' ones): 'sfi rules test' and every scan run them");
        }

        if (d.ExtraLines is < 0 or > 500)
        {
            errors.Add("'extraLines' must be between 0 and 500");
        }

        if (string.IsNullOrWhiteSpace(d.Pattern))
        {
            errors.Add("'pattern' is required");
        }
        else if (checkPattern)
        {
            try
            {
                _ = new Regex(d.Pattern, RegexOptions.CultureInvariant, SecretRule.MatchTimeout);
            }
            catch (ArgumentException e)
            {
                errors.Add($"'pattern' is not a valid regular expression: {e.Message}");
            }
        }

        var validators = new List<(ISecretValidator, string?)>();
        foreach (var (name, argument) in d.Validators)
        {
            if (!Validators.TryGetValue(name, out var validator))
            {
                errors.Add($"'validators': unknown validator '{name}' (known: {string.Join(", ", Validators.Keys.Order(StringComparer.Ordinal))})");
                continue;
            }

            if (validator.CheckArgument(argument) is { } problem)
            {
                errors.Add($"'validators': validator '{name}': {problem}");
            }

            validators.Add((validator, argument));
        }

        if (d.Entropy is not null && Entropy(d.Entropy, errors) is { } entropy)
        {
            validators.RemoveAll(v => v.Item1 == entropy.Validator);
            validators.Add(entropy);
        }

        var allowList = AllowList(d.AllowList, errors);
        var requires = Requirement(d.Requires, errors);
        var help = guidance(d.Id) ?? (user && d.Title is not null ? $"# {d.Id} {d.Title.Trim()}\n\n{d.Description?.Trim()}\n" : null);
        if (help is null)
        {
            errors.Add($"guidance page guidance/{d.Id}.md is missing");
        }

        if (errors.Count > 0)
        {
            return null;
        }

        var message = string.IsNullOrWhiteSpace(d.Message) ? $"{d.Title!.Trim()} found." : d.Message.Trim();
        var descriptor = new RuleDescriptor
        {
            Id = d.Id,
            Name = d.Name!,
            Version = d.Version,
            DefaultSeverity = severity,
            Confidence = confidence,
            ShortDescription = d.Title!.Trim(),
            FullDescription = d.Description!.Trim(),
            HelpMarkdown = help!,
            HelpUri = user ? null : $"guidance/{d.Id}.md",
            Tags = ["secret", .. d.Tags],
            Frameworks = d.References,
        };
        return new SecretRule(descriptor, source, d.Pattern!, d.IgnoreCase, d.Keywords, validators, d.Paths, d.Generic, d.ExtraLines, message, examples ?? new Lazy<RuleExamples>(d.Examples),
            BuiltInPatterns.Find(d.Pattern!, SecretRule.OptionsFor(d.IgnoreCase)))
        {
            AllowList = allowList,
            Requires = requires,
        };
    }

    /// <summary>The top-level <c>entropy</c> field as the entropy validator with its threshold.</summary>
    private static (ISecretValidator Validator, string? Argument)? Entropy(string entropy, List<string> errors)
    {
        var validator = Validators["entropy"];
        if (validator.CheckArgument(entropy) is { } problem)
        {
            errors.Add($"'entropy': {problem}");
            return null;
        }

        return (validator, entropy);
    }

    private static SecretAllowList? AllowList(RuleAllowList? list, List<string> errors)
    {
        if (list is null)
        {
            return null;
        }

        var before = errors.Count;
        foreach (var value in list.Values)
        {
            try
            {
                _ = new Regex(value, RegexOptions.CultureInvariant, SecretRule.MatchTimeout);
            }
            catch (ArgumentException e)
            {
                errors.Add($"'allowList': value '{value}' is not a valid regular expression: {e.Message}");
            }
        }

        if (list.Values.Count + list.Paths.Count == 0 || list.Paths.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("'allowList' lists 'values' (regular expressions) and 'paths' (globs), none of them empty");
        }

        return errors.Count > before ? null : new SecretAllowList(list.Values, list.Paths);
    }

    /// <summary>The requirement's own fields; that the required rule exists is checked once every rule is loaded.</summary>
    private static SecretRequirement? Requirement(RuleRequirement? requires, List<string> errors)
    {
        if (requires is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(requires.Rule) || requires.Within is not (>= 0 and <= MaxRequirementDistance))
        {
            errors.Add($"'requires' names a rule and a distance in lines from 0 (the same line) to {MaxRequirementDistance}: requires: {{ rule: SFI-SEC-040, within: 5 }}");
            return null;
        }

        return new SecretRequirement(requires.Rule.Trim(), requires.Within.Value);
    }

    /// <summary>The farthest a required match may be: a composite rule is about one block of configuration, not a file.</summary>
    public const int MaxRequirementDistance = 100;

    /// <summary>Every composite rule's requirement names another rule of <paramref name="rules"/> that is not itself composite.</summary>
    private static IEnumerable<(SecretRule Rule, string Problem)> RequirementProblems(IReadOnlyCollection<SecretRule> rules)
    {
        var byId = rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var rule in rules.Where(r => r.Requires is not null))
        {
            var required = rule.Requires!.RuleId;
            if (required == rule.Id)
            {
                yield return (rule, "'requires': a rule cannot require itself");
            }
            else if (!byId.TryGetValue(required, out var target))
            {
                yield return (rule, $"'requires': no rule {required} is loaded");
            }
            else if (target.Requires is not null)
            {
                yield return (rule, $"'requires': {required} is itself composite; require the rule it requires, or a plain rule");
            }
        }
    }

    [GeneratedRegex("^SFI-SEC-[0-9]{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex RuleIdPattern();

    [GeneratedRegex("^SFI-SEC-[0-9A-Z][0-9A-Z-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex UserRuleIdPattern();

    [GeneratedRegex("^[A-Z][A-Za-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PascalCasePattern();
}
