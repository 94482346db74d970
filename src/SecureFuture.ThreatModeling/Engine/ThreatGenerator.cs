using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Rules;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Engine;

/// <summary>
/// Applies a template's rules to every source → flow → target interaction of a model, the way the Threat
/// Modeling Tool does: a rule fires when its include filter holds and its exclude filter does not.
/// </summary>
public sealed class ThreatGenerator
{
    private readonly IReadOnlyList<CompiledRule> _rules;

    /// <summary>Compiles every rule up front, so a rule that does not parse fails here (with its id and position), not half-way.</summary>
    public ThreatGenerator(KnowledgeBase template, string? templatePath = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
        _rules = template.Compile(templatePath);
    }

    public KnowledgeBase Template { get; }

    public IReadOnlyList<CompiledRule> Rules => _rules;

    /// <summary>Threats in a stable order: flows in model order, rules in template order.</summary>
    public IReadOnlyList<Threat> Generate(ThreatModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var threats = new List<Threat>();
        var seen = new HashSet<ThreatKey>();
        // Indexes built once per model: looking endpoints and boundary members up per flow by scanning the lists made
        // generation quadratic in the model's size (bench/threatmodel-analyze.sh: about 9 times slower at 20,000 flows).
        var elements = new Dictionary<string, ModelElement>(StringComparer.Ordinal);
        foreach (var element in model.Elements)
        {
            elements.TryAdd(element.Id, element); // the first of duplicate ids, as FindElement answers
        }

        var crossed = BoundaryCrossing.Index(model);
        foreach (var flow in model.Flows)
        {
            var source = elements.GetValueOrDefault(flow.SourceId);
            var target = elements.GetValueOrDefault(flow.TargetId);
            if (source is null || target is null)
            {
                // A dangling endpoint is reported by the model's validation; the tool generates nothing for it either.
                continue;
            }

            var interaction = new Interaction(Template, source, flow, target, crossed(flow, source, target));
            foreach (var rule in _rules)
            {
                if (!rule.Matches(interaction))
                {
                    continue;
                }

                var key = new ThreatKey(rule.Id, source.Id, flow.Id, target.Id);
                if (!seen.Add(key))
                {
                    continue;
                }

                threats.Add(new Threat
                {
                    Key = key,
                    Title = CompiledRule.Render(rule.Type.Title, interaction),
                    Description = CompiledRule.Render(rule.Type.Description, interaction),
                    Category = Template.FindCategory(rule.Type.CategoryId)?.Name ?? rule.Type.CategoryId,
                    Severity = rule.Type.Severity,
                    DiagramId = flow.DiagramId,
                    Mitigations = rule.Type.Mitigations,
                    References = rule.Type.References,
                });
            }
        }

        return threats;
    }
}
