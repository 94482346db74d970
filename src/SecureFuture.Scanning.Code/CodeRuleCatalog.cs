using System.Globalization;
using SecureFuture.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// The code rules, loaded from their YAML files (embedded from <c>rules/code/</c>, or a user's <c>--rules DIR</c>) and
/// checked as a whole: a malformed rule fails loudly with its file, line and column.
/// </summary>
public sealed class CodeRuleCatalog
{
    private static readonly Lazy<CodeRuleCatalog> Embedded = new(LoadEmbedded);

    private CodeRuleCatalog(IReadOnlyList<CodeRule> rules) => Rules = rules;

    public IReadOnlyList<CodeRule> Rules { get; }

    /// <summary>The catalogue shipped in this assembly.</summary>
    public static CodeRuleCatalog Default => Embedded.Value;

    /// <exception cref="InputException">One or more rule files are invalid; the message lists every problem.</exception>
    public static CodeRuleCatalog Load(IEnumerable<(string Source, string Yaml)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var deserializer = NewDeserializer();
        var rules = new List<CodeRule>();
        var problems = new List<string>();
        foreach (var (source, yaml) in files.OrderBy(f => f.Source, StringComparer.Ordinal))
        {
            CodeRuleDocument document;
            try
            {
                document = deserializer.Deserialize<CodeRuleDocument>(yaml) ?? throw new YamlException("empty rule file");
            }
            catch (YamlException e)
            {
                problems.Add($"{source}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
                continue;
            }

            var errors = new List<string>();
            var descriptor = Describe(document, errors);
            problems.AddRange(errors.Select(e => $"{source}: {e}"));
            if (descriptor is not null && errors.Count == 0)
            {
                rules.Add(new CodeRule(descriptor, document) { Source = source });
            }
        }

        foreach (var duplicate in rules.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"rule id {duplicate.Key} is defined in {string.Join(", ", duplicate.Select(r => r.Source))}");
        }

        foreach (var duplicate in rules.GroupBy(r => r.Descriptor.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"rule name {duplicate.Key} is used by {string.Join(", ", duplicate.Select(r => r.Id))}");
        }

        if (problems.Count > 0)
        {
            throw new InputException("Invalid code rules:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        return new CodeRuleCatalog([.. rules.OrderBy(r => r.Id, StringComparer.Ordinal)]);
    }

    /// <summary>
    /// The built-in rules plus a user's own (<c>sfi scan --rules DIR</c>): code rules of the same schema, checked like the
    /// built-in ones. A file with a problem (malformed, a reused id or name) is left out and its problem added to
    /// <paramref name="problems"/> as an error naming the file and line; the built-in rules and the user's other rules
    /// still load. Each file is checked against the built-in ones and the files accepted before it. Then every user
    /// rule's own examples run through the real analyzer, as a user's secret rules' do: a rule whose vulnerable example
    /// is not reported, or whose safe example is, is left out with an error at the example's line, so that a sink the
    /// rule never matches (a misspelt type) or matches everywhere cannot quietly pass or flood a scan.
    /// </summary>
    public static CodeRuleCatalog WithUserRules(IEnumerable<(string Source, string Yaml)> files, ICollection<Notification> problems, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(problems);
        var accepted = new List<(string Source, string Yaml)>();
        foreach (var file in files)
        {
            try
            {
                _ = Load([.. EmbeddedFiles(), .. accepted, file]);
                accepted.Add(file);
            }
            catch (InputException e)
            {
                foreach (var problem in e.Message.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0))
                {
                    var located = problem.StartsWith(file.Source + ":", StringComparison.Ordinal) ? problem[(file.Source.Length + 1)..] : problem;
                    var line = LeadingLine(located);
                    problems.Add(new Notification(InvalidRule, NotificationLevel.Error, (line is null ? located.TrimStart() : located[(located.IndexOf(' ', StringComparison.Ordinal) + 1)..]) + "; the rule is not run")
                    {
                        Path = file.Source,
                        Region = line is { } l ? new Region(l, 1, l, 1) : null,
                    });
                }
            }
        }

        var catalog = Load([.. EmbeddedFiles(), .. accepted]);
        var analyzer = new CodeAnalyzer(catalog);
        var failing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, yaml) in accepted)
        {
            var rule = catalog.Rules.Single(r => r.Source == source);
            foreach (var (key, problem) in CodeRuleExampleRunner.Check(analyzer, rule, cancellationToken))
            {
                var line = ExampleLine(yaml, key);
                problems.Add(new Notification(ExampleFailed, NotificationLevel.Error, problem + "; the rule is not run")
                {
                    Path = source,
                    Region = line is { } l ? new Region(l, 1, l, 1) : null,
                    RuleId = rule.Id,
                });
                failing.Add(source);
            }
        }

        return failing.Count == 0 ? catalog : Load([.. EmbeddedFiles(), .. accepted.Where(f => !failing.Contains(f.Source))]);
    }

    /// <summary>The notification id of a user's code rule that cannot be loaded.</summary>
    public const string InvalidRule = "user-rule-invalid";

    /// <summary>The notification id of a user's code rule whose own examples do not behave (it is not run).</summary>
    public const string ExampleFailed = "user-rule-example-failed";

    /// <summary>The 1-based line where the example <c>examples.vulnerable[0]</c> (a key of <see cref="CodeRuleExampleRunner"/>) starts, or null.</summary>
    private static int? ExampleLine(string yaml, string key)
    {
        var open = key.IndexOf('[', StringComparison.Ordinal);
        var parts = key[..open].Split('.');
        var index = int.Parse(key.AsSpan(open + 1, key.Length - open - 2), CultureInfo.InvariantCulture);
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        YamlNode? node = stream.Documents[0].RootNode;
        foreach (var part in parts)
        {
            node = node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(part), out var child) ? child : null;
        }

        return node is YamlSequenceNode items && index < items.Children.Count ? (int)items.Children[index].Start.Line : null;
    }

    /// <summary>The line of a <c>line:column: message</c> problem, or null.</summary>
    private static int? LeadingLine(string problem)
    {
        var colon = problem.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && int.TryParse(problem.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var line) ? line : null;
    }

    private static CodeRuleCatalog LoadEmbedded() => Load(EmbeddedFiles());

    private static List<(string Source, string Yaml)> EmbeddedFiles()
    {
        var assembly = typeof(CodeRuleCatalog).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("rules/code/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal)
                && !n.StartsWith("rules/code/taint/", StringComparison.Ordinal))
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n, reader.ReadToEnd());
            });
        return [.. files];
    }

    private static RuleDescriptor? Describe(CodeRuleDocument d, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(d.Id) || !d.Id.StartsWith("SFI-CODE-", StringComparison.Ordinal))
        {
            errors.Add("id must be SFI-CODE-<number>");
        }

        if (string.IsNullOrWhiteSpace(d.Name) || !char.IsAsciiLetterUpper(d.Name[0]) || !d.Name.All(char.IsAsciiLetterOrDigit))
        {
            errors.Add("name must be PascalCase letters and digits");
        }

        foreach (var (field, value) in new[] { ("title", d.Title), ("description", d.Description), ("help", d.Help), ("message", d.Message) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{field} is required");
            }
        }

        Severity severity = default;
        if (d.Severity is null || !Enum.TryParse(d.Severity, ignoreCase: true, out severity) || !Enum.IsDefined(severity))
        {
            errors.Add("severity must be one of critical, high, medium, low, note");
        }

        Confidence precision = default;
        if (d.Precision is null || !Enum.TryParse(d.Precision, ignoreCase: true, out precision) || !Enum.IsDefined(precision))
        {
            errors.Add("precision must be one of high, medium, low");
        }

        if (d.Cwe.Count == 0 || d.Cwe.Any(c => c <= 0))
        {
            errors.Add("cwe must list at least one CWE number");
        }

        if ((d.Taint is null) == (d.Pattern is null))
        {
            errors.Add("a rule has exactly one of taint (a data-flow rule) or pattern (a semantic pattern rule)");
        }
        else if (d.Taint is not null)
        {
            Taint.TaintSpecValidation.Check(d.Taint, errors);
        }

        if (d.Pattern is not null && Patterns.PatternCatalog.Find(d.Pattern) is null)
        {
            errors.Add($"pattern {d.Pattern} is not implemented; the patterns are {string.Join(", ", Patterns.PatternCatalog.Names)}");
        }

        if (d.Examples.Vulnerable.Count == 0 || d.Examples.Safe.Count == 0)
        {
            errors.Add("examples need at least one vulnerable and one safe C# file");
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new RuleDescriptor
        {
            Id = d.Id!,
            Name = d.Name!,
            Version = d.Version,
            DefaultSeverity = severity,
            Confidence = precision,
            ShortDescription = d.Title!.Trim(),
            FullDescription = d.Description!.Trim(),
            HelpMarkdown = d.Help!.Trim(),
            Tags = [.. d.Cwe.Select(c => string.Create(CultureInfo.InvariantCulture, $"external/cwe/cwe-{c:D3}")), .. d.Tags],
            Frameworks = [.. d.Cwe.Select(c => string.Create(CultureInfo.InvariantCulture, $"CWE-{c}"))],
        };
    }

    /// <summary>The deserializer of rule files and the taint model, from <see cref="CodeYamlContext"/>.</summary>
    internal static IDeserializer NewDeserializer() =>
        new StaticDeserializerBuilder(new CodeYamlContext()).WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
}

/// <summary>
/// The deserializer of code rules and the taint model, generated at build time (YamlDotNet's static generator): no
/// reflection over the types at start-up and nothing that Native AOT's trimming would remove. A type the YAML can hold
/// must be listed here.
/// </summary>
[YamlStaticContext]
[YamlSerializable(typeof(CodeRuleDocument))]
[YamlSerializable(typeof(CodeRuleExamples))]
[YamlSerializable(typeof(TaintSpecDocument))]
[YamlSerializable(typeof(TaintMemberDocument))]
[YamlSerializable(typeof(TaintArgumentCondition))]
[YamlSerializable(typeof(Taint.TaintModelDocument))]
[YamlSerializable(typeof(Taint.EntryPointDocument))]
[YamlSerializable(typeof(Taint.EntryTypeDocument))]
public sealed partial class CodeYamlContext : StaticContext
{
}
