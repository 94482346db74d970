using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline;

/// <summary>One failure and what fixes it.</summary>
public sealed record RemediationItem(string ControlId, string Title, ResourceRef Resource, string Evidence, RemediationAction Action);

/// <summary>
/// Every failure with its fix: ARM and Graph calls (verb, URL, body), Terraform attribute changes, template edits,
/// and, where no safe programmatic fix exists, manual steps. Failures covered by a live exception are left out.
/// </summary>
public sealed record RemediationPlan(IReadOnlyList<RemediationItem> Items)
{
    public IEnumerable<RemediationItem> Programmatic => Items.Where(i => i.Action.Kind != RemediationKind.Manual);

    public IEnumerable<RemediationItem> Manual => Items.Where(i => i.Action.Kind == RemediationKind.Manual);

    public static RemediationPlan From(Assessment assessment, ControlCatalogue? catalogue = null)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        catalogue ??= ControlCatalogue.Default;
        var items = new List<RemediationItem>();
        foreach (var r in assessment.Failures.Where(r => !r.IsExcepted))
        {
            var control = catalogue[r.ControlId];
            var action = r.Remediation ?? Remedy.Manual(control.Fix.ManualSteps ?? $"Fix {control.Id} {control.Title} on {r.Resource}.");
            items.Add(new RemediationItem(r.ControlId, control.Title, r.Resource, r.Evidence, action));
        }

        return new RemediationPlan(items);
    }

    /// <summary>The plan as JSON, for review or for a tool that applies it.</summary>
    public JsonObject ToJson() => new()
    {
        ["items"] = new JsonArray([.. Items.Select(i => (JsonNode)new JsonObject
        {
            ["controlId"] = i.ControlId,
            ["title"] = i.Title,
            ["resource"] = i.Resource.Id,
            ["source"] = i.Resource.Source?.ToString(),
            ["evidence"] = i.Evidence,
            ["kind"] = i.Action.Kind.ToString().ToLowerInvariant(),
            ["description"] = i.Action.Description,
            ["method"] = i.Action.Method,
            ["url"] = i.Action.Url,
            ["body"] = i.Action.Body?.DeepClone(),
            ["address"] = i.Action.Address,
            ["attribute"] = i.Action.Attribute,
            ["value"] = i.Action.Value?.DeepClone(),
            ["steps"] = i.Action.Steps,
            ["caution"] = i.Action.Caution,
        })]),
    };

    public async Task WriteJsonAsync(Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        ToJson().WriteTo(writer);
        await writer.FlushAsync(cancellationToken);
    }
}
