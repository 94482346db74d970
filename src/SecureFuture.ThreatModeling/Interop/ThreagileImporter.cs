using System.Globalization;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.ThreatModeling.Interop;

/// <summary>
/// Imports a Threagile model (YAML): technical assets become elements (their technology picks a default-catalogue
/// stencil type), communication links become flows, trust boundaries keep their assets and nested boundaries.
/// Threagile's confidentiality, encryption, internet exposure and link authentication map onto the properties the
/// default catalogue's rules test. Positions are kept so findings point at the asset or link in the file. A model
/// split with <c>includes:</c> is read with every file it includes, as Threagile merges them.
/// </summary>
public static class ThreagileImporter
{
    private static readonly Dictionary<string, string> TechnologyTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["browser"] = "SF.EI.Browser",
        ["desktop"] = "GE.EI",
        ["mobile-app"] = "SF.EI.MobileApp",
        ["web-server"] = "SF.P.WebApp",
        ["web-application"] = "SF.P.WebApp",
        ["cms"] = "SF.P.WebApp",
        ["web-service-rest"] = "SF.P.Api",
        ["web-service-soap"] = "SF.P.Api",
        ["gateway"] = "SF.P.Gateway",
        ["reverse-proxy"] = "SF.P.Gateway",
        ["load-balancer"] = "SF.P.Gateway",
        ["identity-provider"] = "SF.P.IdentityProvider",
        ["identity-store-ldap"] = "SF.DS.Database",
        ["identity-store-database"] = "SF.DS.Database",
        ["database"] = "SF.DS.Database",
        ["file-server"] = "SF.DS.ObjectStorage",
        ["block-storage"] = "SF.DS.ObjectStorage",
        ["vault"] = "SF.DS.SecretStore",
        ["hsm"] = "SF.DS.SecretStore",
        ["message-queue"] = "SF.DS.Queue",
        ["stream-processing"] = "SF.P.Worker",
        ["batch-processing"] = "SF.P.Worker",
        ["function"] = "SF.P.Function",
        ["build-pipeline"] = "SF.P.CiCd",
        ["sourcecode-repository"] = "SF.DS.SourceRepository",
        ["artifact-registry"] = "SF.DS.ArtifactRegistry",
        ["log-server"] = "SF.DS.LogStore",
        ["monitoring"] = "SF.DS.LogStore",
        ["search-index"] = "SF.DS.Database",
        ["ai"] = "SF.P.LlmEndpoint",
    };

    private static readonly Dictionary<string, string> Authentication = new(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = "none",
        ["credentials"] = "password",
        ["session-id"] = "cookie",
        ["token"] = "oauth",
        ["client-certificate"] = "mtls",
        ["two-factor"] = "mfa",
        ["externalized"] = "oauth",
    };

    private static readonly string[] EncryptedProtocols =
        ["https", "wss", "jdbc-encrypted", "odbc-encrypted", "sql-access-protocol-encrypted", "nosql-access-protocol-encrypted", "binary-encrypted", "text-encrypted", "ssh", "ssh-tunnel", "smtp-encrypted", "pop3-encrypted", "imap-encrypted", "ftps", "sftp", "ldaps", "jms", "nfs", "reverse-proxy-web-protocol-encrypted", "iiop-encrypted", "jrmp-encrypted", "in-process-library-call", "in-memory", "local-file-access", "container-spawning"];

    /// <summary>How deep <c>includes:</c> may nest, and how many files one model may pull in.</summary>
    public const int MaxIncludeDepth = 16;

    public const int MaxIncludedFiles = 256;

    /// <summary>Each file (the model and every include) is refused above this size.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    public static ThreatModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = Open(path, path, null);
        return Read(reader, path);
    }

    /// <summary>Reads a model; its <c>includes:</c> are read from files relative to <paramref name="displayPath"/>'s directory.</summary>
    public static ThreatModel Read(TextReader text, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayPath);
        var parts = new List<Part>();
        var main = new Part(displayPath, Parse(text, displayPath));
        parts.Add(main);
        AddIncludes(main, [Path.GetFullPath(displayPath)], parts);
        if (!parts.Any(p => p.Root.Children.ContainsKey(new YamlScalarNode("technical_assets"))))
        {
            throw new InputException(displayPath, 1, 1, parts.Count > 1
                ? $"Threagile model: neither the model nor its {parts.Count - 1} included file(s) define 'technical_assets'"
                : "Threagile model: expected 'technical_assets' (or 'includes' naming files that define them)");
        }

        return Build(parts, displayPath);
    }

    /// <summary>One file of a model: the model itself or a file it includes (directly or through another include).</summary>
    private sealed record Part(string File, YamlMappingNode Root);

    /// <summary>Positions are kept only for the model's own file: a finding's location names that file.</summary>
    private static SourcePosition? PositionOf(YamlNode node, bool inModelFile) => inModelFile ? new SourcePosition((int)node.Start.Line, (int)node.Start.Column) : null;

    /// <summary>
    /// Threagile's <c>includes:</c> (pkg/input/model.go): each entry is a file path joined to the directory of the file
    /// that names it, whose sections are merged into the model; a file reached twice is merged once. A cycle, an
    /// absolute path, a missing file, too deep a nesting or too many files is an input error naming the file and the
    /// entry.
    /// </summary>
    private static void AddIncludes(Part part, List<string> chain, List<Part> parts)
    {
        if (!part.Root.Children.TryGetValue(new YamlScalarNode("includes"), out var node) || node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlSequenceNode list)
        {
            throw Error(part.File, node, "Threagile model: 'includes' must be a list of file paths");
        }

        foreach (var entry in list.Children)
        {
            if (entry is not YamlScalarNode { Value.Length: > 0 } scalar)
            {
                throw Error(part.File, entry, "Threagile model: each include must be a file path");
            }

            if (Path.IsPathRooted(scalar.Value))
            {
                throw Error(part.File, entry, $"Threagile model: include '{scalar.Value}' must be relative to the including file's directory");
            }

            var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(chain[^1]) ?? ".", scalar.Value));
            if (chain.Contains(full, StringComparer.Ordinal))
            {
                throw Error(part.File, entry, $"Threagile model: include cycle: {string.Join(" -> ", chain.Append(full).Select(Path.GetFileName))}");
            }

            if (parts.Any(p => string.Equals(p.File, full, StringComparison.Ordinal)))
            {
                continue; // included again through another file (Threagile's own test model does it): its sections are merged already
            }

            if (chain.Count > MaxIncludeDepth)
            {
                throw Error(part.File, entry, $"Threagile model: includes nest deeper than {MaxIncludeDepth} levels");
            }

            if (parts.Count >= MaxIncludedFiles)
            {
                throw Error(part.File, entry, $"Threagile model: more than {MaxIncludedFiles} included files");
            }

            using var reader = Open(full, part.File, entry);
            var included = new Part(full, Parse(reader, full));
            parts.Add(included);
            AddIncludes(included, [.. chain, full], parts);
        }
    }

    private static StreamReader Open(string path, string namedIn, YamlNode? entry)
    {
        if (FileKinds.NotARegularFile(path) is { } problem)
        {
            throw entry is null
                ? new InputException(path, null, null, $"file {problem}")
                : Error(namedIn, entry, $"Threagile model: included file '{path}' {problem}");
        }

        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes)
        {
            throw new InputException(path, null, null, $"Threagile model: file is larger than {MaxFileBytes} bytes");
        }

        return new StreamReader(path);
    }

    private static YamlMappingNode Parse(TextReader text, string displayPath)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(text);
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw new InputException(displayPath, e.Start.Line, e.Start.Column, "Threagile model: malformed YAML: " + e.Message, e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InputException(displayPath, scanner.CurrentPosition.Line, scanner.CurrentPosition.Column, "Threagile model: malformed YAML: " + e.Message, e);
        }

        // A file of comments only (Threagile's own diagram_tweak.yaml) is an empty part, as Go's YAML reader sees it.
        return stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" } ? new YamlMappingNode()
            : stream.Documents[0].RootNode as YamlMappingNode ?? throw new InputException(displayPath, 1, 1, "Threagile model: a model file must be a YAML mapping");
    }

    private static ThreatModel Build(List<Part> parts, string displayPath)
    {
        var elements = new List<ModelElement>();
        var links = new List<(string Source, string Name, YamlMappingNode Node, Part Part)>();
        var budget = 0;
        foreach (var part in parts)
        {
            var isMain = ReferenceEquals(part, parts[0]);
            foreach (var (nameNode, node) in Map(part.Root, "technical_assets", part.File))
            {
                if (++budget > 10_000)
                {
                    throw Error(part.File, node, "more than 10000 technical assets (nested aliases?)");
                }

                var asset = node as YamlMappingNode ?? throw Error(part.File, node, "a technical asset must be a mapping");
                var id = Scalar(asset, "id") ?? throw Error(part.File, asset, $"technical asset '{Value(nameNode)}' has no id");
                if (elements.Any(e => e.Id == id) || id.Contains(':', StringComparison.Ordinal))
                {
                    throw Error(part.File, asset, $"duplicate or invalid technical asset id '{id}'");
                }

                var kind = Scalar(asset, "type") switch
                {
                    "external-entity" => ElementKind.ExternalEntity,
                    "datastore" => ElementKind.DataStore,
                    _ => ElementKind.Process,
                };
                var technology = Scalar(asset, "technology") ?? string.Empty;
                var type = TechnologyTypes.TryGetValue(technology, out var t) && KindOf(t) == kind ? t : kind switch
                {
                    ElementKind.ExternalEntity => "GE.EI",
                    ElementKind.DataStore => "GE.DS",
                    _ => "GE.P",
                };
                var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["technology"] = technology };
                if (Scalar(asset, "internet") is { } internet)
                {
                    properties["internetExposed"] = internet == "true" ? "Yes" : "No";
                }

                if (Scalar(asset, "encryption") is { } encryption)
                {
                    properties["encryptionAtRest"] = encryption == "none" ? "No" : "Yes";
                }

                if (Scalar(asset, "confidentiality") is { } confidentiality)
                {
                    properties["dataClassification"] = confidentiality == "strictly-confidential" ? "restricted" : confidentiality;
                }

                elements.Add(new ModelElement
                {
                    Id = id,
                    Name = Value(nameNode),
                    Kind = kind,
                    TypeId = type,
                    Properties = properties,
                    Position = PositionOf(nameNode, isMain),
                });
                foreach (var (linkName, linkNode) in Map(asset, "communication_links", part.File))
                {
                    links.Add((id, Value(linkName), linkNode as YamlMappingNode ?? throw Error(part.File, linkNode, "a communication link must be a mapping"), part));
                }
            }
        }

        var flows = new List<DataFlow>();
        foreach (var (source, name, node, part) in links)
        {
            var target = Scalar(node, "target") ?? throw Error(part.File, node, $"communication link '{name}' has no target");
            if (elements.All(e => e.Id != target))
            {
                throw Error(part.File, node, $"communication link '{name}' targets '{target}', which is no technical asset");
            }

            var protocol = Scalar(node, "protocol") ?? string.Empty;
            var properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["protocol"] = protocol,
                ["encryptedInTransit"] = EncryptedProtocols.Contains(protocol, StringComparer.OrdinalIgnoreCase) || Scalar(node, "vpn") == "true" ? "Yes" : "No",
            };
            if (Scalar(node, "authentication") is { } auth)
            {
                properties["authentication"] = Authentication.GetValueOrDefault(auth, auth);
            }

            if (Scalar(node, "authorization") is { } authz)
            {
                properties["authorization"] = authz == "none" ? "none" : authz;
            }

            flows.Add(new DataFlow
            {
                Id = string.Create(CultureInfo.InvariantCulture, $"{source}/{Slug(name)}"),
                Name = name,
                SourceId = source,
                TargetId = target,
                TypeId = "GE.DF",
                Properties = properties,
                Position = PositionOf(node, ReferenceEquals(part, parts[0])),
            });
        }

        var boundaries = new List<TrustBoundary>();
        foreach (var part in parts)
        {
            foreach (var (nameNode, node) in Map(part.Root, "trust_boundaries", part.File))
            {
                var map = node as YamlMappingNode ?? throw Error(part.File, node, "a trust boundary must be a mapping");
                var members = Strings(map, "technical_assets_inside").Concat(Strings(map, "trust_boundaries_nested")).ToList();
                boundaries.Add(new TrustBoundary
                {
                    Id = Scalar(map, "id") ?? Slug(Value(nameNode)),
                    Name = Value(nameNode),
                    TypeId = "GE.TB.B",
                    Shape = BoundaryShape.Border,
                    Members = members,
                    Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["boundaryType"] = Scalar(map, "type") ?? string.Empty },
                    Position = PositionOf(nameNode, ReferenceEquals(part, parts[0])),
                });
            }
        }

        // Nested boundaries: an element inside a nested boundary is inside its parents too.
        var flattened = boundaries.Select(b => b with { Members = BoundaryCrossing.FlattenMembers(b, boundaries) }).ToList();
        return new ThreatModel
        {
            Name = parts.Select(p => Scalar(p.Root, "title")).FirstOrDefault(t => t is not null) ?? Path.GetFileNameWithoutExtension(displayPath),
            Description = parts.Select(p => Scalar(p.Root, "description")).FirstOrDefault(d => d is not null),
            SourcePath = displayPath,
            Elements = elements,
            Flows = flows,
            Boundaries = flattened,
        };
    }

    private static ElementKind KindOf(string type) =>
        type.StartsWith("SF.EI.", StringComparison.Ordinal) ? ElementKind.ExternalEntity
        : type.StartsWith("SF.DS.", StringComparison.Ordinal) ? ElementKind.DataStore
        : ElementKind.Process;

    private static string Slug(string name) =>
        new string([.. name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')]).Trim('-');

    private static string Value(YamlNode node) => (node as YamlScalarNode)?.Value ?? string.Empty;

    private static IEnumerable<(YamlNode Key, YamlNode Value)> Map(YamlMappingNode parent, string key, string path)
    {
        if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node) || node is YamlScalarNode { Value: null or "" })
        {
            return [];
        }

        return node is YamlMappingNode map ? map.Children.Select(p => (p.Key, p.Value)) : throw Error(path, node, $"'{key}' must be a mapping");
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode s ? s.Value : null;

    private static IEnumerable<string> Strings(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlSequenceNode list
            ? list.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? string.Empty)
            : [];

    private static InputException Error(string path, YamlNode node, string message) => new(path, node.Start.Line, node.Start.Column, message);
}
