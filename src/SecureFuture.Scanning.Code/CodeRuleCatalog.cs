using System.Globalization;
using SecureFuture.Core;
using YamlDotNet.Core;
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
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
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
    /// The built-in rules plus a user's own (<c>sfi scan --rules DIR</c>): every <c>*.yaml</c>/<c>*.yml</c> file at the
    /// top of <paramref name="directory"/> is a code rule of the same schema, checked like the built-in ones.
    /// </summary>
    /// <exception cref="InputException">The directory cannot be read, holds no rule, or a rule is invalid or reuses an id or name.</exception>
    public static CodeRuleCatalog WithUserRules(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (FileKinds.Of(directory) != FileKind.Directory)
        {
            throw new InputException(directory, null, null, "--rules takes a directory of rule files (*.yaml)");
        }

        List<(string Source, string Yaml)> user;
        try
        {
            user = [.. Directory.EnumerateFiles(directory)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Select(f => (f, ReadRuleFile(f)))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(directory, null, null, $"cannot read: {e.Message}", e);
        }

        if (user.Count == 0)
        {
            // Nothing read is not a pass: a mistyped directory must not silently scan with the built-in rules only.
            throw new InputException(directory, null, null, "no rule files (*.yaml, *.yml) in the --rules directory");
        }

        return Load([.. EmbeddedFiles(), .. user]);
    }

    private static string ReadRuleFile(string path)
    {
        FileKinds.RequireRegularFile(path);
        return File.ReadAllText(path);
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
}
