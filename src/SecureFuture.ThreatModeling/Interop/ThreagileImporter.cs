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
/// default catalogue's rules test. Positions are kept so findings point at the asset or link in the file.
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

    public static ThreatModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InputException(path, null, null, "file not found");
        }

        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    public static ThreatModel Read(TextReader text, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayPath);
        var stream = new YamlStream();
        var scanner = new Scanner(text);
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw new InputException(displayPath, e.Start.Line, e.Start.Column, "malformed YAML: " + e.Message, e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InputException(displayPath, scanner.CurrentPosition.Line, scanner.CurrentPosition.Column, "malformed YAML: " + e.Message, e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root || !root.Children.ContainsKey(new YamlScalarNode("technical_assets")))
        {
            throw new InputException(displayPath, 1, 1, "not a Threagile model: expected 'technical_assets'");
        }

        var elements = new List<ModelElement>();
        var links = new List<(string Source, string Name, YamlMappingNode Node)>();
        var budget = 0;
        foreach (var (nameNode, node) in Map(root, "technical_assets", displayPath))
        {
            if (++budget > 10_000)
            {
                throw Error(displayPath, node, "more than 10000 technical assets (nested aliases?)");
            }

            var asset = node as YamlMappingNode ?? throw Error(displayPath, node, "a technical asset must be a mapping");
            var id = Scalar(asset, "id") ?? throw Error(displayPath, asset, $"technical asset '{Value(nameNode)}' has no id");
            if (elements.Any(e => e.Id == id) || id.Contains(':', StringComparison.Ordinal))
            {
                throw Error(displayPath, asset, $"duplicate or invalid technical asset id '{id}'");
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
                Position = new SourcePosition((int)nameNode.Start.Line, (int)nameNode.Start.Column),
            });
            foreach (var (linkName, linkNode) in Map(asset, "communication_links", displayPath))
            {
                links.Add((id, Value(linkName), linkNode as YamlMappingNode ?? throw Error(displayPath, linkNode, "a communication link must be a mapping")));
            }
        }

        var flows = new List<DataFlow>();
        foreach (var (source, name, node) in links)
        {
            var target = Scalar(node, "target") ?? throw Error(displayPath, node, $"communication link '{name}' has no target");
            if (elements.All(e => e.Id != target))
            {
                throw Error(displayPath, node, $"communication link '{name}' targets '{target}', which is no technical asset");
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
                Position = new SourcePosition((int)node.Start.Line, (int)node.Start.Column),
            });
        }

        var boundaries = new List<TrustBoundary>();
        foreach (var (nameNode, node) in Map(root, "trust_boundaries", displayPath))
        {
            var map = node as YamlMappingNode ?? throw Error(displayPath, node, "a trust boundary must be a mapping");
            var members = Strings(map, "technical_assets_inside").Concat(Strings(map, "trust_boundaries_nested")).ToList();
            boundaries.Add(new TrustBoundary
            {
                Id = Scalar(map, "id") ?? Slug(Value(nameNode)),
                Name = Value(nameNode),
                TypeId = "GE.TB.B",
                Shape = BoundaryShape.Border,
                Members = members,
                Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["boundaryType"] = Scalar(map, "type") ?? string.Empty },
                Position = new SourcePosition((int)nameNode.Start.Line, (int)nameNode.Start.Column),
            });
        }

        // Nested boundaries: an element inside a nested boundary is inside its parents too.
        var flattened = boundaries.Select(b => b with { Members = BoundaryCrossing.FlattenMembers(b, boundaries) }).ToList();
        return new ThreatModel
        {
            Name = Scalar(root, "title") ?? Path.GetFileNameWithoutExtension(displayPath),
            Description = Scalar(root, "description"),
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
