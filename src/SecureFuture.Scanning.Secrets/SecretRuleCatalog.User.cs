using System.Text.RegularExpressions;
using SecureFuture.Core;
using YamlDotNet.Core;

namespace SecureFuture.Scanning.Secrets;

/// <summary>A user's secret rules (<c>sfi scan --rules DIR</c>, <c>rules:</c> in <c>.sfi.yaml</c>, <c>sfi rules test</c>).</summary>
public sealed partial class SecretRuleCatalog
{
    /// <summary>A rule file with a problem: malformed, or a duplicate id or name, or a requirement on no rule.</summary>
    public const string InvalidRule = "user-rule-invalid";

    /// <summary>A rule whose own match or no-match example does not behave.</summary>
    public const string ExampleFailed = "user-rule-example-failed";

    /// <summary>A note that a built-in rule runs with a user's severity, entropy, allow-list or requirement.</summary>
    public const string OverriddenRule = "user-rule-override";

    /// <summary>A rule whose pattern ran past the match timeout on a probe line: catastrophic backtracking.</summary>
    public const string PatternTimeout = "user-rule-pattern-timeout";

    /// <summary>
    /// This catalogue with a user's rule files added. A file whose <c>id</c> is a rule of this catalogue overrides that
    /// rule's <c>severity</c>, <c>entropy</c> threshold, <c>allowList</c> and <c>requires</c> and may set nothing else; any
    /// other file is a new rule of the same schema, which must bring a match example. Every new rule's examples run, and
    /// its pattern is probed with long hostile lines, before it meets a file. Problems are added to
    /// <paramref name="problems"/> as error notifications naming the file, line and rule, never thrown: the rule with the
    /// problem is left out and every other rule, built-in or not, still runs.
    /// </summary>
    public SecretRuleCatalog WithUserRules(IEnumerable<(string Source, string Yaml)> files, ICollection<Notification> problems)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(problems);
        var deserializer = NewDeserializer();
        var builtIn = Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var rules = new Dictionary<string, SecretRule>(builtIn, StringComparer.Ordinal);
        var overridden = new Dictionary<string, string>(StringComparer.Ordinal);
        var added = new Dictionary<string, YamlKeyLines>(StringComparer.Ordinal);
        foreach (var (source, yaml) in files)
        {
            RuleDocument document;
            try
            {
                document = deserializer.Deserialize<RuleDocument>(yaml) ?? throw new YamlException("empty rule file");
            }
            catch (YamlException e)
            {
                problems.Add(Problem(InvalidRule, source, (int)e.Start.Line, YamlKeyLines.TopLevelId(yaml), e.Message + "; the file is not loaded"));
                continue;
            }

            var lines = YamlKeyLines.Of(yaml);
            var errors = new List<string>();
            var isOverride = document.Id is { } id && builtIn.ContainsKey(id);
            if (isOverride)
            {
                var tuned = Override(builtIn[document.Id!], document, source, errors);
                if (overridden.TryGetValue(document.Id!, out var first))
                {
                    errors.Add($"'id': {document.Id} is already overridden by {first}");
                }
                else if (tuned is not null && errors.Count == 0)
                {
                    rules[tuned.Id] = tuned;
                    overridden[tuned.Id] = source;
                }
            }
            else if (Build(document, Path.GetFileName(source), source, _ => null, errors, user: true) is { } rule && errors.Count == 0)
            {
                if (rules.ContainsKey(rule.Id))
                {
                    errors.Add($"'id': {rule.Id} is defined twice");
                }
                else if (rules.Values.FirstOrDefault(r => r.Descriptor.Name == rule.Descriptor.Name) is { } named)
                {
                    errors.Add($"'name': {rule.Descriptor.Name} is already the name of {named.Id}");
                }
                else
                {
                    added[rule.Id] = lines;
                    rules[rule.Id] = rule;
                }
            }

            foreach (var error in errors)
            {
                problems.Add(Problem(InvalidRule, source, lines[FieldOf(error)], document.Id, error + (isOverride ? "; the override is not applied" : "; the rule is not run")));
            }
        }

        foreach (var (rule, problem) in RequirementProblems(rules.Values).Where(p => overridden.ContainsKey(p.Rule.Id) || added.ContainsKey(p.Rule.Id)).ToList())
        {
            if (overridden.Remove(rule.Id, out var source))
            {
                problems.Add(Problem(InvalidRule, source, null, rule.Id, problem + "; the override is not applied"));
                rules[rule.Id] = builtIn[rule.Id];
            }
            else
            {
                problems.Add(Problem(InvalidRule, rule.SourceFile, added[rule.Id]["requires"], rule.Id, problem + "; the rule is not run"));
                rules.Remove(rule.Id);
                added.Remove(rule.Id);
            }
        }

        // An override is visible in every report: a rule directory shared in a repository could otherwise quietly
        // allow-list a leak or lower its severity under the gate.
        foreach (var (id, source) in overridden)
        {
            problems.Add(new Notification(OverriddenRule, NotificationLevel.Note, $"{id} is overridden by this file ({Describe(rules[id], builtIn[id])})")
            {
                Path = source,
                RuleId = id,
            });
        }

        // A new rule runs only once its own examples behave and its pattern survives the probe lines.
        var candidate = new SecretRuleCatalog([.. rules.Values.OrderBy(r => r.Id, StringComparer.Ordinal)]);
        var analyzer = new SecretAnalyzer(candidate);
        foreach (var (rule, lines) in added.Select(a => (rules[a.Key], a.Value)).ToList())
        {
            var failures = SecretRuleExamples.Check(analyzer, rule).ToList();
            foreach (var (key, problem) in failures)
            {
                problems.Add(Problem(ExampleFailed, rule.SourceFile, lines[key], rule.Id, problem + "; the rule is not run"));
            }

            if (SecretRuleExamples.Probe(rule) is { } timeout)
            {
                problems.Add(Problem(PatternTimeout, rule.SourceFile, lines["pattern"], rule.Id, timeout + "; the rule is not run"));
                failures.Add(("pattern", timeout));
            }

            if (failures.Count > 0)
            {
                rules.Remove(rule.Id);
            }
        }

        return new SecretRuleCatalog([.. rules.Values.OrderBy(r => r.Id, StringComparer.Ordinal)]);
    }

    /// <summary>A built-in rule tuned by a user's file that names its id and sets only what an override may.</summary>
    private static SecretRule? Override(SecretRule rule, RuleDocument d, string source, List<string> errors)
    {
        // Everything but the id and the four tunable fields: an override that set them would silently be a different rule.
        var fixedFields = new (string Field, bool Set)[]
        {
            ("name", d.Name is not null), ("title", d.Title is not null), ("description", d.Description is not null),
            ("confidence", d.Confidence is not null), ("pattern", d.Pattern is not null), ("keywords", d.Keywords.Count > 0),
            ("validators", d.Validators.Count > 0), ("paths", d.Paths.Count > 0), ("message", d.Message is not null),
            ("examples", d.Examples.Match.Count + d.Examples.NoMatch.Count > 0), ("tags", d.Tags.Count > 0),
            ("references", d.References.Count > 0), ("ignoreCase", d.IgnoreCase), ("extraLines", d.ExtraLines != 0), ("generic", d.Generic),
        };
        foreach (var (field, _) in fixedFields.Where(f => f.Set))
        {
            errors.Add($"'{field}': {rule.Id} is a built-in rule: a file naming it overrides only severity, entropy, allowList and requires; give a rule of your own a new id (SFI-SEC-ACME-001)");
        }

        Severity? severity = null;
        if (d.Severity is not null)
        {
            if (SeverityExtensions.TryParseSeverity(d.Severity, out var parsed))
            {
                severity = parsed;
            }
            else
            {
                errors.Add($"'severity' must be critical, high, medium, low or note, not '{d.Severity}'");
            }
        }

        var entropy = d.Entropy is null ? null : Entropy(d.Entropy, errors);
        var allowList = AllowList(d.AllowList, errors);
        var requires = Requirement(d.Requires, errors);
        if (d.Severity is null && d.Entropy is null && d.AllowList is null && d.Requires is null && errors.Count == 0)
        {
            errors.Add($"'id': an override of {rule.Id} sets at least one of severity, entropy, allowList and requires");
        }

        return errors.Count > 0 ? null : rule.Overridden(severity, entropy?.Argument, allowList, requires, source);
    }

    /// <summary>What an override changed, e.g. <c>severity critical → low, allowList 2 entries</c>.</summary>
    private static string Describe(SecretRule tuned, SecretRule original)
    {
        var changes = new List<string>();
        if (tuned.SeverityFixed)
        {
            changes.Add($"severity {original.Descriptor.DefaultSeverity.ToToken()} → {tuned.Descriptor.DefaultSeverity.ToToken()}");
        }

        if (tuned.Validators.FirstOrDefault(v => v.Validator.Name == "entropy") is { Validator: not null } entropy
            && !original.Validators.Contains(entropy))
        {
            changes.Add($"entropy {entropy.Argument}");
        }

        if (tuned.AllowList is { } allow && allow != original.AllowList)
        {
            changes.Add($"allowList {allow.Values.Count + allow.Paths.Count} entries");
        }

        if (tuned.Requires is { } requires && requires != original.Requires)
        {
            changes.Add($"requires {requires.RuleId} within {requires.Within}");
        }

        return string.Join(", ", changes);
    }

    /// <summary>The field an error message starts with (<c>'pattern' is not...</c>), for the line to report; else <c>id</c>.</summary>
    private static string FieldOf(string error)
    {
        var match = LeadingField().Match(error);
        return match.Success ? match.Groups["field"].Value : "id";
    }

    private static Notification Problem(string id, string source, int? line, string? ruleId, string message) =>
        new(id, NotificationLevel.Error, message)
        {
            Path = source,
            Region = line is { } l ? new Region(l, 1, l, 1) : null,
            RuleId = ruleId,
        };

    [GeneratedRegex("^'(?<field>[A-Za-z]+)'", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex LeadingField();
}
