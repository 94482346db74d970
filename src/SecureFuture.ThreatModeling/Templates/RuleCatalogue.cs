using System.Globalization;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.ThreatModeling.Templates;

/// <summary>A mini model a catalogue rule carries to prove itself: one flow, optionally crossing boundaries of given types.</summary>
public sealed record RuleExample(ModelElement Source, DataFlow Flow, ModelElement Target, IReadOnlyList<string> Crosses, SourcePosition Position)
{
    /// <summary>The example as a model: the flow's source sits inside one boundary of each listed type, the target outside.</summary>
    public ThreatModel ToModel() => new()
    {
        Name = "example",
        Elements = [Source, Target],
        Flows = [Flow],
        Boundaries = [.. Crosses.Select((type, i) => new TrustBoundary
        {
            Id = string.Create(CultureInfo.InvariantCulture, $"tb{i}"),
            TypeId = type,
            Name = type,
            Shape = BoundaryShape.Border,
            Members = [Source.Id],
        })],
    };
}

/// <summary>A catalogue rule: the threat type plus its PascalCase name and its must-fire / must-not-fire examples.</summary>
public sealed record CatalogueRule(ThreatType Type, string Name, IReadOnlyList<RuleExample> Fires, IReadOnlyList<RuleExample> Quiet);

/// <summary>
/// A rule catalogue in SecureFuture's YAML form (element types, categories, rules written in the tool's template
/// language, each with examples). The default catalogue ships as an embedded resource; a team can load its own
/// with <see cref="Read(TextReader, string)"/>.
/// </summary>
public sealed class RuleCatalogue
{
    public const string DefaultResourceName = "SecureFuture.ThreatModeling.default-rules.yaml";

    private static readonly Lazy<RuleCatalogue> DefaultCatalogue = new(LoadDefault);

    private RuleCatalogue(KnowledgeBase template, IReadOnlyList<CatalogueRule> rules)
    {
        Template = template;
        Rules = rules;
    }

    public static RuleCatalogue Default => DefaultCatalogue.Value;

    public KnowledgeBase Template { get; }

    public IReadOnlyList<CatalogueRule> Rules { get; }

    /// <summary>Core rule descriptors for the writers (SARIF rules array, JSON ruleName).</summary>
    public IReadOnlyList<RuleDescriptor> Descriptors() =>
        [.. Rules.Select(r => new RuleDescriptor
        {
            Id = r.Type.Id,
            Name = r.Name,
            DefaultSeverity = r.Type.Severity,
            ShortDescription = r.Type.Title,
            FullDescription = r.Type.Description,
            HelpMarkdown = r.Type.Mitigations.Count == 0 ? r.Type.Description : "Mitigations:\n" + string.Concat(r.Type.Mitigations.Select(m => $"- {m}\n")),
            Tags = ["security", "threat-model", Template.FindCategory(r.Type.CategoryId)?.Name ?? r.Type.CategoryId],
            Frameworks = r.Type.References,
        })];

    public static RuleCatalogue Read(TextReader text, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayPath);
        var stream = new YamlStream();
        try
        {
            stream.Load(text);
        }
        catch (YamlException e)
        {
            throw new InputException(displayPath, e.Start.Line, e.Start.Column, "malformed YAML: " + e.Message, e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InputException(displayPath, 1, 1, "a rule catalogue must be a YAML mapping");
        }

        return new Parser(displayPath).Parse(root);
    }

    private static RuleCatalogue LoadDefault()
    {
        using var stream = typeof(RuleCatalogue).Assembly.GetManifestResourceStream(DefaultResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {DefaultResourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        var catalogue = Read(reader, "default-rules.yaml");
        catalogue.Template.Compile("default-rules.yaml");
        return catalogue;
    }

    private sealed class Parser(string path)
    {
        private static readonly string[] ElementKeys = ["type", "name"];

        public RuleCatalogue Parse(YamlMappingNode root)
        {
            var types = Items(root, "elementTypes").Select(n => new ElementType
            {
                Id = Required(n, "id"),
                Name = Optional(n, "name") ?? Required(n, "id"),
                ParentId = Optional(n, "parent") ?? KnowledgeBase.Root,
                Representation = Optional(n, "representation"),
            }).ToList();
            var categories = Items(root, "categories").Select(n => new ThreatCategory(Required(n, "id"), Required(n, "name"), Optional(n, "description"), null)).ToList();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var rules = new List<CatalogueRule>();
            var template = new KnowledgeBase(Optional(root, "name") ?? "catalogue", null, Optional(root, "version"), types, categories, []);
            foreach (var node in Items(root, "rules"))
            {
                var id = Required(node, "id");
                if (!ids.Add(id))
                {
                    throw Error(node, $"duplicate rule id '{id}'");
                }

                var category = Required(node, "category");
                if (template.FindCategory(category) is null)
                {
                    throw Error(node, $"rule '{id}': unknown category '{category}'");
                }

                var severityText = Required(node, "severity");
                if (!SeverityExtensions.TryParseSeverity(severityText, out var severity))
                {
                    throw Error(node, $"rule '{id}': unknown severity '{severityText}'");
                }

                var type = new ThreatType
                {
                    Id = id,
                    Title = Required(node, "title"),
                    Description = Required(node, "description"),
                    CategoryId = category,
                    Include = Required(node, "include"),
                    Exclude = Optional(node, "exclude"),
                    Severity = severity,
                    Mitigations = Strings(node, "mitigations"),
                    References = Strings(node, "references"),
                };
                var examples = node.Children.TryGetValue(new YamlScalarNode("examples"), out var e) ? e as YamlMappingNode : null;
                rules.Add(new CatalogueRule(
                    type,
                    Required(node, "name"),
                    [.. Items(examples, "fires").Select((x, i) => Example(template, x, id, i))],
                    [.. Items(examples, "quiet").Select((x, i) => Example(template, x, id, i))]));
            }

            return new RuleCatalogue(new KnowledgeBase(template.Name, null, template.Version, types, categories, rules.Select(r => r.Type)), rules);
        }

        private RuleExample Example(KnowledgeBase template, YamlMappingNode node, string ruleId, int index)
        {
            var source = Element(template, node, "source", "s");
            var target = Element(template, node, "target", "t");
            var flowNode = node.Children.TryGetValue(new YamlScalarNode("flow"), out var f) ? f as YamlMappingNode : null;
            var flow = new DataFlow
            {
                Id = "f",
                SourceId = source.Id,
                TargetId = target.Id,
                TypeId = flowNode is null ? "GE.DF" : Optional(flowNode, "type") ?? "GE.DF",
                Name = flowNode is null ? "flow" : Optional(flowNode, "name") ?? "flow",
                Properties = Props(flowNode),
            };
            var crosses = Strings(node, "crosses");
            foreach (var c in crosses)
            {
                if (template.FindType(c) is null)
                {
                    throw Error(node, $"rule '{ruleId}' example {index}: unknown boundary type '{c}'");
                }
            }

            return new RuleExample(source, flow, target, crosses, new SourcePosition((int)node.Start.Line, (int)node.Start.Column));
        }

        private ModelElement Element(KnowledgeBase template, YamlMappingNode example, string key, string id)
        {
            var node = example.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlMappingNode m ? m : throw Error(example, $"example needs a '{key}' mapping");
            var type = Required(node, "type");
            if (template.FindType(type) is null)
            {
                throw Error(node, $"unknown stencil type '{type}'");
            }

            return new ModelElement
            {
                Id = id,
                TypeId = type,
                Name = Optional(node, "name") ?? key,
                Kind = template.IsA(type, "GE.P") ? ElementKind.Process : template.IsA(type, "GE.DS") ? ElementKind.DataStore : ElementKind.ExternalEntity,
                Properties = Props(node),
            };
        }

        private static Dictionary<string, string> Props(YamlMappingNode? node)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is null)
            {
                return result;
            }

            foreach (var (k, v) in node.Children)
            {
                var key = ((YamlScalarNode)k).Value!;
                if (!ElementKeys.Contains(key, StringComparer.Ordinal) && v is YamlScalarNode s)
                {
                    result[key] = s.Value switch
                    {
                        "true" or "yes" => "Yes",
                        "false" or "no" => "No",
                        var other => other ?? string.Empty,
                    };
                }
            }

            return result;
        }

        private IEnumerable<YamlMappingNode> Items(YamlMappingNode? map, string key)
        {
            if (map is null || !map.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                return [];
            }

            return node is YamlSequenceNode list
                ? list.Children.Select(c => c as YamlMappingNode ?? throw Error(c, $"each item of '{key}' must be a mapping"))
                : throw Error(node, $"'{key}' must be a list");
        }

        private string Required(YamlMappingNode map, string key) =>
            Optional(map, key) ?? throw Error(map, $"missing '{key}'");

        private string? Optional(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node)
                ? node is YamlScalarNode s ? s.Value : throw Error(node, $"'{key}' must be a single value")
                : null;

        private IReadOnlyList<string> Strings(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node)
                ? node is YamlSequenceNode list ? [.. list.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty)] : throw Error(node, $"'{key}' must be a list")
                : [];

        private InputException Error(YamlNode node, string message) => new(path, node.Start.Line, node.Start.Column, message);
    }
}
