using System.Collections.Frozen;
using System.Text.Json.Nodes;
using SecureFuture.Core;

namespace SecureFuture.Baseline;

/// <summary>The 99 controls, loaded once from the embedded <c>controls.json</c>.</summary>
public sealed class ControlCatalogue
{
    private static readonly Lazy<ControlCatalogue> Embedded = new(LoadEmbedded);

    private readonly FrozenDictionary<string, ControlDefinition> _byId;

    private ControlCatalogue(IReadOnlyList<ControlDefinition> controls)
    {
        Controls = controls;
        _byId = controls.ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);
        Domains = [.. controls.Select(c => c.Domain).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The catalogue shipped with this version.</summary>
    public static ControlCatalogue Default => Embedded.Value;

    /// <summary>All controls, in catalogue order.</summary>
    public IReadOnlyList<ControlDefinition> Controls { get; }

    /// <summary>The nine domains, in catalogue order.</summary>
    public IReadOnlyList<string> Domains { get; }

    public ControlDefinition this[string id] =>
        _byId.TryGetValue(id, out var control) ? control : throw new KeyNotFoundException($"No control '{id}' in the catalogue.");

    public bool TryGet(string id, out ControlDefinition control) => _byId.TryGetValue(id, out control!);

    public bool Contains(string id) => _byId.ContainsKey(id);

    private static ControlCatalogue LoadEmbedded()
    {
        using var stream = typeof(ControlCatalogue).Assembly.GetManifestResourceStream("SecureFuture.Baseline.controls.json")
            ?? throw new InvalidOperationException("The embedded control catalogue is missing.");
        var root = JsonNode.Parse(stream)!.AsObject();
        var list = new List<ControlDefinition>();
        foreach (var node in root["controls"]!.AsArray())
        {
            var c = node!.AsObject();
            var refs = c["references"]!.AsObject();
            var fix = c["fix"]!.AsObject();
            if (!SeverityExtensions.TryParseSeverity((string?)c["severity"], out var severity))
            {
                throw new InvalidOperationException($"Control {(string?)c["id"]} has no valid severity.");
            }

            list.Add(new ControlDefinition
            {
                Id = (string)c["id"]!,
                Domain = (string)c["domain"]!,
                Name = (string)c["name"]!,
                Title = (string)c["title"]!,
                Rationale = (string)c["rationale"]!,
                Severity = severity,
                Formats = Strings(c["formats"]),
                ResourceTypes = Strings(c["resourceTypes"]),
                Fields = (string)c["fields"]!,
                References = new ControlReferences(Strings(refs["mcsb"]), Strings(refs["cis"]), Strings(refs["scuba"]), Strings(refs["other"])),
                Fix = new ControlFix((bool)fix["programmatic"]!, (string?)fix["note"], (string?)fix["manualSteps"]),
                Thresholds = c["thresholds"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>(), StringComparer.Ordinal),
            });
        }

        return new ControlCatalogue(list);
    }

    private static string[] Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];
}
