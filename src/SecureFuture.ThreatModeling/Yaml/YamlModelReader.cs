using System.Globalization;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.ThreatModeling.Yaml;

/// <summary>A model's <c>template:</c>: the full path of the template file and where the model names it.</summary>
public sealed record TemplateReference(string Path, SourcePosition Position);

/// <summary>
/// Reads SecureFuture's YAML threat model (docs/threat-modeling.md; JSON schema in <see cref="ThreatModelSchema"/>).
/// Every element, flow and boundary keeps the line and column it was written at, so findings point at it. Any
/// mistake is an <see cref="InputException"/> with file, line and column: malformed YAML, an unknown key, a
/// duplicate id, a flow endpoint that names no element, a stencil type the template does not define.
/// </summary>
public static class YamlModelReader
{
    /// <summary>
    /// The least upper bound on nodes visited (the bound is this or the document's length in characters, whichever is
    /// larger). Aliases are shared, not copied, when YAML is loaded, but walking them repeats the work: a "billion
    /// laughs" of nested aliases would never finish.
    /// </summary>
    public const int MaxNodes = 100_000;

    /// <summary>Files above this size are refused before parsing.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    internal static readonly string[] TopKeys = ["version", "name", "description", "template", "elements", "flows", "boundaries", "threats"];
    internal static readonly string[] ElementKeys = ["id", "name", "kind", "type", "description", "technology", "authentication", "authorization", "encryptionAtRest", "dataClassification", "internetExposed", "properties"];
    internal static readonly string[] FlowKeys = ["id", "name", "from", "to", "type", "protocol", "encryptedInTransit", "authentication", "authorization", "dataClassification", "properties"];
    internal static readonly string[] BoundaryKeys = ["id", "name", "type", "members", "properties"];
    internal static readonly string[] ThreatKeys = ["rule", "interaction", "state", "justification", "severity"];

    public static ThreatModel Read(string path, KnowledgeBase template)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = Open(path);
        return Read(reader, path, template);
    }

    private static StreamReader Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new InputException(path, null, null, "file not found");
        }

        if (info.Length > MaxFileBytes)
        {
            throw new InputException(path, null, null, $"file is larger than {MaxFileBytes} bytes");
        }

        return new StreamReader(path);
    }

    public static ThreatModel Read(TextReader text, string displayPath, KnowledgeBase template)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayPath);
        ArgumentNullException.ThrowIfNull(template);
        var (root, budget) = Parse(text, displayPath);
        return new Reader(displayPath, template, budget).ReadModel(root);
    }

    /// <summary>
    /// The template the model names with its top-level <c>template:</c> key (a .tb7, or a .tm7 whose embedded
    /// template is meant), resolved against the model file's directory; null when the model uses the default
    /// catalogue. A model converted from a .tm7 names that file, so it can be analysed on its own.
    /// </summary>
    public static TemplateReference? ReadTemplateReference(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = Open(path);
        var (root, _) = Parse(reader, path);
        if (!root.Children.TryGetValue(new YamlScalarNode("template"), out var node))
        {
            return null;
        }

        if (node is not YamlScalarNode { Value.Length: > 0 } scalar)
        {
            throw new InputException(path, node.Start.Line, node.Start.Column, "'template' must be the path of a .tb7 or .tm7 file");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        return new TemplateReference(Path.GetFullPath(Path.Combine(directory, scalar.Value)), new SourcePosition((int)node.Start.Line, (int)node.Start.Column));
    }

    private static (YamlMappingNode Root, long Budget) Parse(TextReader text, string displayPath)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(text);
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw new InputException(displayPath, e.Start.Line, e.Start.Column, "malformed YAML: " + Inner(e), e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // YamlDotNet reports a duplicate mapping key and some unterminated flow collections this way, without a
            // position: the scanner's position is where it gave up.
            var at = scanner.CurrentPosition;
            throw new InputException(displayPath, at.Line, at.Column, "malformed YAML: " + e.Message, e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InputException(displayPath, 1, 1, "a threat model must be a YAML mapping with 'elements' and 'flows'");
        }

        // Without aliases a document cannot have more nodes than characters, so the budget grows with the document;
        // only aliases (a "billion laughs") can make the walk longer than that, and they hit the budget.
        return (root, Math.Max(MaxNodes, scanner.CurrentPosition.Index));
    }

    private static string Inner(YamlException e) => e.InnerException is YamlException inner ? inner.Message : e.Message;

    private sealed class Reader(string path, KnowledgeBase template, long budget)
    {
        private readonly Dictionary<string, YamlNode> _ids = new(StringComparer.Ordinal);
        private long _visited;

        public ThreatModel ReadModel(YamlMappingNode root)
        {
            Count(root);
            CheckKeys(root, TopKeys, "model");
            if (Scalar(root, "version") is { } version && version.Value != "1")
            {
                throw Error(version, $"unsupported version '{version.Value}'; this reader knows version 1");
            }

            var elements = Sequence(root, "elements").Select(ReadElement).ToList();
            var flows = Sequence(root, "flows").Select(ReadFlow).ToList();
            var boundaries = Sequence(root, "boundaries").Select(ReadBoundary).ToList();
            var threats = Sequence(root, "threats").Select(ReadThreat).ToList();
            var elementIds = elements.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var (flow, node) in flows.Zip(Sequence(root, "flows")))
            {
                foreach (var end in new[] { "from", "to" })
                {
                    var value = Scalar((YamlMappingNode)node, end)!;
                    if (!elementIds.Contains(value.Value!))
                    {
                        throw Error(value, $"flow '{flow.Id}' {end} '{value.Value}' names no element");
                    }
                }
            }

            foreach (var (boundary, node) in boundaries.Zip(Sequence(root, "boundaries")))
            {
                if (((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode("members"), out var members) && members is YamlSequenceNode list)
                {
                    foreach (var member in list.Children.OfType<YamlScalarNode>())
                    {
                        if (!elementIds.Contains(member.Value!) && !boundaries.Any(b => b.Id == member.Value))
                        {
                            throw Error(member, $"boundary '{boundary.Id}' member '{member.Value}' names no element");
                        }
                    }
                }
            }

            return new ThreatModel
            {
                Name = Scalar(root, "name")?.Value ?? Path.GetFileNameWithoutExtension(path),
                Description = Scalar(root, "description")?.Value,
                SourcePath = path,
                Elements = elements,
                Flows = flows,
                Boundaries = [.. boundaries.Select(b => b with { Members = BoundaryCrossing.FlattenMembers(b, boundaries) })],
                RecordedThreats = threats,
            };
        }

        private ModelElement ReadElement(YamlNode node)
        {
            var map = Mapping(node, "element");
            CheckKeys(map, ElementKeys, "element");
            var id = Id(map);
            var kindNode = Scalar(map, "kind");
            var typeNode = Scalar(map, "type");
            ElementKind? kind = kindNode?.Value switch
            {
                null => null,
                "process" => ElementKind.Process,
                "external-entity" => ElementKind.ExternalEntity,
                "data-store" => ElementKind.DataStore,
                _ => throw Error(kindNode, $"unknown kind '{kindNode.Value}'; expected process, external-entity or data-store"),
            };
            string typeId;
            if (typeNode is not null)
            {
                typeId = typeNode.Value!;
                var fromType = KindOfType(typeId) ?? throw Error(typeNode, $"unknown stencil type '{typeId}' (the template '{template.Name}' does not define it as a process, external entity or data store)");
                if (kind is { } k && k != fromType)
                {
                    throw Error(kindNode!, $"kind '{kindNode!.Value}' contradicts type '{typeId}'");
                }

                kind = fromType;
            }
            else
            {
                typeId = kind switch
                {
                    ElementKind.Process => "GE.P",
                    ElementKind.DataStore => "GE.DS",
                    ElementKind.ExternalEntity => "GE.EI",
                    _ => throw Error(map, $"element '{id}' needs a kind or a type"),
                };
            }

            return new ModelElement
            {
                Id = id,
                Kind = kind!.Value,
                TypeId = typeId,
                Name = Scalar(map, "name")?.Value ?? id,
                Properties = Properties(map, ["technology", "authentication", "authorization", "encryptionAtRest", "dataClassification", "internetExposed"]),
                Position = PositionOf(map),
            };
        }

        private DataFlow ReadFlow(YamlNode node)
        {
            var map = Mapping(node, "flow");
            CheckKeys(map, FlowKeys, "flow");
            var id = Id(map);
            var from = Scalar(map, "from") ?? throw Error(map, $"flow '{id}' has no 'from'");
            var to = Scalar(map, "to") ?? throw Error(map, $"flow '{id}' has no 'to'");
            var typeNode = Scalar(map, "type");
            if (typeNode is not null && !template.IsA(typeNode.Value!, "GE.DF") && template.RepresentationOf(typeNode.Value!) != "Line")
            {
                throw Error(typeNode, $"unknown flow type '{typeNode.Value}' (not a data flow type of the template '{template.Name}')");
            }

            return new DataFlow
            {
                Id = id,
                SourceId = from.Value!,
                TargetId = to.Value!,
                TypeId = typeNode?.Value ?? "GE.DF",
                Name = Scalar(map, "name")?.Value ?? id,
                Properties = Properties(map, ["protocol", "encryptedInTransit", "authentication", "authorization", "dataClassification"]),
                Position = PositionOf(map),
            };
        }

        private TrustBoundary ReadBoundary(YamlNode node)
        {
            var map = Mapping(node, "boundary");
            CheckKeys(map, BoundaryKeys, "boundary");
            var id = Id(map);
            var typeNode = Scalar(map, "type");
            if (typeNode is not null && !template.IsA(typeNode.Value!, "GE.TB.B") && !template.IsA(typeNode.Value!, "GE.TB.L")
                && template.RepresentationOf(typeNode.Value!) is not ("BorderBoundary" or "LineBoundary"))
            {
                throw Error(typeNode, $"unknown boundary type '{typeNode.Value}' (not a trust boundary type of the template '{template.Name}')");
            }

            var members = new List<string>();
            if (map.Children.TryGetValue(new YamlScalarNode("members"), out var m))
            {
                if (m is not YamlSequenceNode list)
                {
                    throw Error(m, "'members' must be a list of element ids");
                }

                foreach (var item in list.Children)
                {
                    Count(item);
                    members.Add(item is YamlScalarNode s ? s.Value ?? string.Empty : throw Error(item, "a member must be an element id"));
                }
            }

            return new TrustBoundary
            {
                Id = id,
                TypeId = typeNode?.Value ?? "GE.TB.B",
                Name = Scalar(map, "name")?.Value ?? id,
                Shape = BoundaryShape.Border,
                Members = members,
                Properties = Properties(map, []),
                Position = PositionOf(map),
            };
        }

        private Threat ReadThreat(YamlNode node)
        {
            var map = Mapping(node, "threat");
            CheckKeys(map, ThreatKeys, "threat");
            var rule = Scalar(map, "rule") ?? throw Error(map, "a recorded threat needs 'rule'");
            var interaction = Scalar(map, "interaction") ?? throw Error(map, "a recorded threat needs 'interaction' (source:flow:target)");
            var parts = interaction.Value!.Split(':');
            if (parts.Length != 3)
            {
                throw Error(interaction, $"interaction '{interaction.Value}' is not source:flow:target");
            }

            var stateNode = Scalar(map, "state");
            var state = ThreatState.NotStarted;
            if (stateNode is not null && !Threat.TryParseState(stateNode.Value, out state))
            {
                throw Error(stateNode, $"unknown state '{stateNode.Value}'; expected not-started, needs-investigation, not-applicable or mitigated");
            }

            var severityNode = Scalar(map, "severity");
            var severity = Severity.Note;
            if (severityNode is not null && !SeverityExtensions.TryParseSeverity(severityNode.Value, out severity))
            {
                throw Error(severityNode, $"unknown severity '{severityNode.Value}'; expected critical, high, medium, low or note");
            }

            return new Threat
            {
                Key = new ThreatKey(rule.Value!, parts[0], parts[1], parts[2]),
                Title = rule.Value!,
                Category = string.Empty,
                Severity = severity,
                SeverityIsRated = severityNode is not null,
                State = state,
                Justification = Scalar(map, "justification")?.Value,
            };
        }

        private ElementKind? KindOfType(string typeId) =>
            template.FindType(typeId) is null ? null
            : template.IsA(typeId, "GE.P") ? ElementKind.Process
            : template.IsA(typeId, "GE.DS") ? ElementKind.DataStore
            : template.IsA(typeId, "GE.EI") ? ElementKind.ExternalEntity
            : template.RepresentationOf(typeId) switch
            {
                "Ellipse" => ElementKind.Process,
                "ParallelLines" => ElementKind.DataStore,
                "Rectangle" => ElementKind.ExternalEntity,
                _ => null,
            };

        private string Id(YamlMappingNode map)
        {
            var id = Scalar(map, "id") ?? throw Error(map, "missing 'id'");
            if (string.IsNullOrWhiteSpace(id.Value) || id.Value.Contains(':', StringComparison.Ordinal))
            {
                throw Error(id, "an id must be non-empty and must not contain ':'");
            }

            if (_ids.TryGetValue(id.Value, out var first))
            {
                throw Error(id, $"duplicate id '{id.Value}' (first defined at line {first.Start.Line})");
            }

            _ids.Add(id.Value, id);
            return id.Value;
        }

        private Dictionary<string, string> Properties(YamlMappingNode map, string[] typed)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in typed)
            {
                if (Scalar(map, key) is { } value)
                {
                    result[key] = Normalize(value);
                }
            }

            if (map.Children.TryGetValue(new YamlScalarNode("properties"), out var extra))
            {
                if (extra is not YamlMappingNode extraMap)
                {
                    throw Error(extra, "'properties' must be a mapping of name: value");
                }

                foreach (var (k, v) in extraMap.Children)
                {
                    Count(v);
                    if (k is not YamlScalarNode ks || v is not YamlScalarNode vs)
                    {
                        throw Error(v, "a property must be name: scalar value");
                    }

                    result[ks.Value!] = Normalize(vs);
                }
            }

            return result;
        }

        /// <summary>
        /// An unquoted YAML boolean (<c>true</c>, <c>yes</c>...) becomes Yes/No, the values the tool's templates compare
        /// against. A quoted scalar is a string and stays exactly as written: the Azure template's properties take the
        /// values "True" and "False", and turning them into Yes/No would change which threats its rules generate.
        /// </summary>
        private static string Normalize(YamlScalarNode node)
        {
            var value = node.Value ?? string.Empty;
            return node.Style is ScalarStyle.Plain or ScalarStyle.Any ? value.ToUpperInvariant() switch
            {
                "TRUE" or "YES" => "Yes",
                "FALSE" or "NO" => "No",
                _ => value,
            } : value;
        }

        private IEnumerable<YamlNode> Sequence(YamlMappingNode map, string key)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                return [];
            }

            Count(node);
            if (node is YamlScalarNode { Value: null or "" })
            {
                return [];
            }

            return node is YamlSequenceNode list ? list.Children : throw Error(node, $"'{key}' must be a list");
        }

        private YamlMappingNode Mapping(YamlNode node, string what)
        {
            Count(node);
            return node as YamlMappingNode ?? throw Error(node, $"each {what} must be a mapping");
        }

        private YamlScalarNode? Scalar(YamlMappingNode map, string key)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                return null;
            }

            Count(node);
            return node as YamlScalarNode ?? throw Error(node, $"'{key}' must be a single value");
        }

        private void CheckKeys(YamlMappingNode map, string[] allowed, string what)
        {
            foreach (var key in map.Children.Keys)
            {
                Count(key);
                if (key is not YamlScalarNode s || !allowed.Contains(s.Value, StringComparer.Ordinal))
                {
                    throw Error(key, $"unknown {what} key '{(key as YamlScalarNode)?.Value}'; allowed: {string.Join(", ", allowed)}");
                }
            }
        }

        private void Count(YamlNode node)
        {
            if (++_visited > budget)
            {
                throw Error(node, string.Create(CultureInfo.InvariantCulture, $"the document expands to more than {budget} nodes (nested aliases?)"));
            }
        }

        private static SourcePosition PositionOf(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

        private InputException Error(YamlNode node, string message) => new(path, node.Start.Line, node.Start.Column, message);
    }
}
