using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Model;

/// <summary>A problem in a model that does not stop analysis (the CLI reports it as a SARIF notification).</summary>
public sealed record ModelIssue(string Id, string Message, string? ElementId, SourcePosition? Position);

/// <summary>
/// Checks a model against its template. YAML models are already refused by the reader on these mistakes; a
/// <c>.tm7</c> is checked here instead, because the tool itself saves such models (a connector left unattached,
/// a stencil whose template changed) and still works with them.
/// </summary>
public static class ModelValidator
{
    public static IReadOnlyList<ModelIssue> Validate(ThreatModel model, KnowledgeBase template)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        var issues = new List<ModelIssue>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var all = model.Elements.Select(e => (e.Id, e.TypeId, e.GenericTypeId, e.Position, What: "element"))
            .Concat(model.Flows.Select(f => (f.Id, f.TypeId, f.GenericTypeId, f.Position, What: "flow")))
            .Concat(model.Boundaries.Select(b => (b.Id, b.TypeId, b.GenericTypeId, b.Position, What: "boundary")));
        foreach (var (id, typeId, generic, position, what) in all)
        {
            if (!seen.Add(id))
            {
                issues.Add(new ModelIssue("duplicate-id", $"duplicate id '{id}' ({what})", id, position));
            }

            if (template.FindType(typeId) is null && (generic is null || template.FindType(generic) is null))
            {
                issues.Add(new ModelIssue("unknown-stencil-type", $"{what} '{id}' has stencil type '{typeId}', which the template '{template.Name}' does not define; rules that test its type cannot match it", id, position));
            }
        }

        var ids = model.Elements.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var flow in model.Flows)
        {
            foreach (var (end, id) in new[] { ("source", flow.SourceId), ("target", flow.TargetId) })
            {
                if (!ids.Contains(id))
                {
                    issues.Add(new ModelIssue("dangling-flow", $"flow '{flow.Name}' ({flow.Id}) has no {end} element ('{id}'); no threats are generated for it", flow.Id, flow.Position));
                }
            }
        }

        return issues;
    }
}
