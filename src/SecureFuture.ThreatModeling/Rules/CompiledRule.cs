using System.Text;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Rules;

/// <summary>A threat type with its include and exclude filters parsed.</summary>
public sealed class CompiledRule
{
    private CompiledRule(ThreatType type, RuleExpression? include, RuleExpression? exclude)
    {
        Type = type;
        Include = include;
        Exclude = exclude;
    }

    public ThreatType Type { get; }

    /// <summary>Null when the rule has no include filter: such a rule never fires (the tool's behaviour).</summary>
    public RuleExpression? Include { get; }

    public RuleExpression? Exclude { get; }

    public string Id => Type.Id;

    /// <summary>Parses both filters; a syntax error becomes an <see cref="InputException"/> naming the rule and position.</summary>
    public static CompiledRule Compile(ThreatType type, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        return new CompiledRule(type, ParseFilter(type, "include", type.Include, sourcePath), ParseFilter(type, "exclude", type.Exclude, sourcePath));
    }

    public bool Matches(Interaction interaction) =>
        Include is not null && Include.Evaluate(interaction) && (Exclude is null || !Exclude.Evaluate(interaction));

    /// <summary>
    /// Replaces <c>{source.Name}</c>, <c>{target.Name}</c>, <c>{flow.Name}</c> and <c>{subject.property}</c> by
    /// the interaction's values. An unknown placeholder is left as written so that the reader can see it.
    /// </summary>
    public static string Render(string template, Interaction interaction)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(interaction);
        var result = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            var close = open < 0 ? -1 : template.IndexOf('}', open + 1);
            if (open < 0 || close < 0)
            {
                result.Append(template, i, template.Length - i);
                break;
            }

            result.Append(template, i, open - i);
            var placeholder = template[(open + 1)..close];
            var dot = placeholder.IndexOf('.', StringComparison.Ordinal);
            string? value = null;
            if (dot > 0)
            {
                Subject? subject = placeholder[..dot].ToUpperInvariant() switch
                {
                    "SOURCE" => Subject.Source,
                    "TARGET" => Subject.Target,
                    "FLOW" => Subject.Flow,
                    _ => null,
                };
                if (subject is { } s)
                {
                    value = interaction.PropertyOf(s, placeholder[(dot + 1)..]);
                }
            }

            result.Append(value ?? template[open..(close + 1)]);
            i = close + 1;
        }

        return result.ToString();
    }

    private static RuleExpression? ParseFilter(ThreatType type, string which, string? text, string? sourcePath)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return RuleExpression.Parse(text);
        }
        catch (RuleSyntaxException e)
        {
            throw new InputException(
                $"{sourcePath ?? "template"}: rule '{type.Id}' {which} filter does not parse at position {e.Position}: {e.Message} (in \"{text.Trim()}\")",
                e);
        }
    }
}
