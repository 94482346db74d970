using System.Reflection;
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

    public static IReadOnlyDictionary<string, ISecretValidator> Validators { get; } = DiscoverValidators();

    /// <summary>Loads rules from (file name, YAML) pairs; <paramref name="guidance"/> returns a rule's guidance page.</summary>
    /// <exception cref="InputException">One or more rule files are invalid; the message lists every problem.</exception>
    public static SecretRuleCatalog Load(IEnumerable<(string FileName, string Yaml)> files, Func<string, string?> guidance)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(guidance);
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        var rules = new List<SecretRule>();
        var problems = new List<string>();
        foreach (var (fileName, yaml) in files.OrderBy(f => f.FileName, StringComparer.Ordinal))
        {
            var source = "rules/secrets/" + fileName;
            RuleDocument document;
            try
            {
                document = deserializer.Deserialize<RuleDocument>(yaml) ?? throw new YamlException("empty rule file");
            }
            catch (YamlException e)
            {
                problems.Add($"{source}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
                continue;
            }

            var errors = new List<string>();
            var rule = Build(document, fileName, source, guidance, errors);
            problems.AddRange(errors.Select(e => $"{source}: {e}"));
            if (rule is not null && errors.Count == 0)
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

        if (problems.Count > 0)
        {
            throw new InputException("Invalid secret rules:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        return new SecretRuleCatalog(rules);
    }

    private static SecretRuleCatalog LoadEmbedded()
    {
        var assembly = typeof(SecretRuleCatalog).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("rules/secrets/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => (n["rules/secrets/".Length..], ReadResource(assembly, n)!))
            .ToList();
        return Load(files, id => ReadResource(assembly, $"guidance/{id}.md"));
    }

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

    private static Dictionary<string, ISecretValidator> DiscoverValidators() =>
        typeof(ISecretValidator).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && typeof(ISecretValidator).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (ISecretValidator)Activator.CreateInstance(t)!)
            .ToDictionary(v => v.Name, StringComparer.Ordinal);

    private static SecretRule? Build(RuleDocument d, string fileName, string source, Func<string, string?> guidance, List<string> errors)
    {
        if (d.Id is null || !RuleIdPattern().IsMatch(d.Id))
        {
            errors.Add($"'id' must look like SFI-SEC-001, not '{d.Id}'");
            return null;
        }

        if (d.Name is null || !PascalCasePattern().IsMatch(d.Name))
        {
            errors.Add("'name' must be PascalCase (SARIF §3.49.8: a name distinct from the id)");
        }

        if (fileName != $"{d.Id}.{d.Name}.yaml")
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
            errors.Add("every keyword must be at least 3 characters long");
        }

        if (d.ExtraLines is < 0 or > 500)
        {
            errors.Add("'extraLines' must be between 0 and 500");
        }

        if (string.IsNullOrWhiteSpace(d.Pattern))
        {
            errors.Add("'pattern' is required");
        }
        else
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
                errors.Add($"unknown validator '{name}' (known: {string.Join(", ", Validators.Keys.Order(StringComparer.Ordinal))})");
                continue;
            }

            if (validator.CheckArgument(argument) is { } problem)
            {
                errors.Add($"validator '{name}': {problem}");
            }

            validators.Add((validator, argument));
        }

        var help = guidance(d.Id);
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
            HelpUri = $"guidance/{d.Id}.md",
            Tags = ["secret", .. d.Tags],
            Frameworks = d.References,
        };
        return new SecretRule(descriptor, source, d.Pattern!, d.IgnoreCase, d.Keywords, validators, d.Paths, d.Generic, d.ExtraLines, message, d.Examples);
    }

    [GeneratedRegex("^SFI-SEC-[0-9]{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex RuleIdPattern();

    [GeneratedRegex("^[A-Z][A-Za-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PascalCasePattern();
}
