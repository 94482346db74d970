using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Rules;
using SecureFuture.ThreatModeling.Templates;
using YamlDotNet.RepresentationModel;

// Usage:
//   ThreatModelBench generate FILE ELEMENTS FLOWS [SEED]  writes a deterministic YAML model in sfi's format
//   ThreatModelBench analyze FILE                         loads FILE and generates its threats with the default catalogue
//   ThreatModelBench verify FILE                          library reader vs the bench's reader: identical threats?
// analyze prints one line of key=value figures (see docs/benchmarks.md). When the library's YamlModelReader refuses
// the file (its MaxNodes guard: a 20,000-flow model visits far more than 100,000 nodes), the model is built by
// BenchModelReader, a mirror of YamlModelReader's mapping without the guard; `verify` checks on a model small enough
// for the library reader that both give the same threats.
var inv = CultureInfo.InvariantCulture;
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "generate" when args.Length is 4 or 5:
        var seed = args.Length == 5 ? ulong.Parse(args[4], inv) : 20260505UL;
        var (elementCount, flowCount, boundaryCount) = ModelGenerator.Write(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), seed);
        Console.WriteLine(string.Create(inv, $"generated file={args[1]} elements={elementCount} flows={flowCount} boundaries={boundaryCount} bytes={new FileInfo(args[1]).Length} seed={seed}"));
        return 0;
    case "analyze" when args.Length == 2:
        return Bench.Analyze(args[1]);
    case "verify" when args.Length == 2:
        return Bench.Verify(args[1]);
    default:
        await Console.Error.WriteLineAsync("usage: ThreatModelBench generate FILE ELEMENTS FLOWS [SEED] | analyze FILE | verify FILE");
        return 2;
}

/// <summary>The measurements.</summary>
internal static class Bench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Analyze(string path)
    {
        var template = RuleCatalogue.Default.Template;
        var trivialTemplate = new KnowledgeBase(
            "trivial",
            null,
            null,
            template.ElementTypes,
            template.Categories,
            [new ThreatType { Id = "TRIVIAL-1", Title = "{source.Name} is a process", CategoryId = "S", Include = "source is 'GE.P'" }]);

        // Warm-up, so that no figure below carries the JIT: every measured path once on a small model.
        var warmPath = Path.Combine(Path.GetTempPath(), $"threatmodelbench-warm-{Environment.ProcessId}.yaml");
        try
        {
            ModelGenerator.Write(warmPath, 100, 300, 1);
            ParseOnly(warmPath);
            var warm = ThreatAnalyzer.Load(warmPath).Model;
            BenchModelReader.Read(warmPath, template);
            ThreatAnalyzer.Analyze(warm, template);
            new ThreatGenerator(trivialTemplate).Generate(warm);
            IndexedGenerator.Generate(new ThreatGenerator(template), warm);
        }
        finally
        {
            File.Delete(warmPath);
        }

        // Reference 1: YamlDotNet parsing the file into its representation model, nothing else.
        var clock = Stopwatch.StartNew();
        var parsedNodes = ParseOnly(path);
        var parseSeconds = clock.Elapsed.TotalSeconds;

        // The library's loader first; if it refuses the file, the bench's mirror of it.
        string loader;
        string libraryLoad;
        ThreatModel model;
        clock.Restart();
        try
        {
            model = ThreatAnalyzer.Load(path).Model;
            loader = "library";
            libraryLoad = "ok";
        }
        catch (InputException e)
        {
            libraryLoad = "refused: " + e.Message.Replace('"', '\'');
            clock.Restart();
            model = BenchModelReader.Read(path, template);
            loader = "bench-mirror";
        }

        var loadSeconds = clock.Elapsed.TotalSeconds;

        // The measurement: generation against the whole default catalogue, reconciled with the (empty) recorded threats.
        clock.Restart();
        var result = ThreatAnalyzer.Analyze(model, template);
        var analyzeSeconds = clock.Elapsed.TotalSeconds;

        // Reference 2: the same generator with one trivial rule (source is 'GE.P'): the per-flow cost of the walk itself
        // (endpoint look-up, boundary crossing, one interaction) without the catalogue's 66 rules.
        clock.Restart();
        var trivial = new ThreatGenerator(trivialTemplate).Generate(model);
        var trivialSeconds = clock.Elapsed.TotalSeconds;

        // Reference 3: ThreatGenerator's loop written in the bench with the endpoints and boundary members in hash
        // tables instead of linear scans (ThreatModel.FindElement, BoundaryCrossing.CrossedBy): what a cheap index
        // would save. It must give exactly the library's threats.
        clock.Restart();
        var indexed = IndexedGenerator.Generate(new ThreatGenerator(template), model);
        var indexedSeconds = clock.Elapsed.TotalSeconds;
        var indexedIdentical = indexed.Count == result.Current.Count && indexed.Zip(result.Current).All(p => p.First == p.Second);

        var firedIds = result.Current.Select(t => t.Key.RuleId).ToHashSet(StringComparer.Ordinal);
        var fired = firedIds.Count;
        var quiet = string.Join(',', template.ThreatTypes.Select(t => t.Id).Where(id => !firedIds.Contains(id)));
        var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(Inv, $"elements={model.Elements.Count} flows={model.Flows.Count} boundaries={model.Boundaries.Count} threats={result.Current.Count} rules_fired={fired}/{template.ThreatTypes.Count} trivial_threats={trivial.Count} yaml_nodes={parsedNodes} parse_seconds={parseSeconds:F3} load_seconds={loadSeconds:F3} analyze_seconds={analyzeSeconds:F3} trivial_seconds={trivialSeconds:F3} indexed_seconds={indexedSeconds:F3} indexed_identical={(indexedIdentical ? "yes" : "NO")} rate_flows_per_s={model.Flows.Count / analyzeSeconds:F0} peak_working_set_mb={peakMb:F0} loader={loader} rules_never_fired={(quiet.Length == 0 ? "-" : quiet)}"));
        Console.WriteLine("library_load=\"" + libraryLoad + "\"");
        return 0;
    }

    /// <summary>Loads <paramref name="path"/> with the library and with the bench's reader; the threats must be identical.</summary>
    public static int Verify(string path)
    {
        var template = RuleCatalogue.Default.Template;
        var library = ThreatAnalyzer.Load(path).Model;
        var mirror = BenchModelReader.Read(path, template);
        var generator = new ThreatGenerator(template);
        var a = generator.Generate(library);
        var b = generator.Generate(mirror);
        var same = a.Count == b.Count && a.Zip(b).All(p => p.First.Key == p.Second.Key && p.First.Title == p.Second.Title && p.First.Description == p.Second.Description);
        var fired = a.Select(t => t.Key.RuleId).Distinct(StringComparer.Ordinal).Count();
        Console.WriteLine(string.Create(Inv, $"verify elements={library.Elements.Count} flows={library.Flows.Count} library_threats={a.Count} mirror_threats={b.Count} rules_fired={fired}/{template.ThreatTypes.Count} identical={(same ? "yes" : "NO")}"));
        return same ? 0 : 1;
    }

    private static long ParseOnly(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents[0].AllNodes.LongCount();
    }
}

/// <summary>ThreatGenerator.Generate with hash look-ups for endpoints and member boundaries; otherwise the same steps.</summary>
internal static class IndexedGenerator
{
    public static List<Threat> Generate(ThreatGenerator generator, ThreatModel model)
    {
        var template = generator.Template;
        var elements = new Dictionary<string, ModelElement>(StringComparer.Ordinal);
        foreach (var element in model.Elements)
        {
            elements.TryAdd(element.Id, element);
        }

        var memberSets = model.Boundaries.Select(b => b.Members is { } m ? new HashSet<string>(m, StringComparer.Ordinal) : null).ToArray();
        var threats = new List<Threat>();
        var seen = new HashSet<ThreatKey>();
        foreach (var flow in model.Flows)
        {
            if (!elements.TryGetValue(flow.SourceId, out var source) || !elements.TryGetValue(flow.TargetId, out var target))
            {
                continue;
            }

            var crossed = new List<TrustBoundary>();
            for (var i = 0; i < memberSets.Length; i++)
            {
                var boundary = model.Boundaries[i];
                var crosses = memberSets[i] is { } set
                    ? set.Contains(flow.SourceId) != set.Contains(flow.TargetId)
                    : BoundaryCrossing.Crosses(boundary, flow, source, target);
                if (crosses)
                {
                    crossed.Add(boundary);
                }
            }

            var interaction = new Interaction(template, source, flow, target, crossed);
            foreach (var rule in generator.Rules)
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
                    Category = template.FindCategory(rule.Type.CategoryId)?.Name ?? rule.Type.CategoryId,
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

/// <summary>
/// A mirror of YamlModelReader's mapping from YAML nodes to the model (typed keys and properties as properties,
/// booleans as Yes/No, boundary members flattened through nested boundaries), without its checks and its node guard.
/// </summary>
internal static class BenchModelReader
{
    private static readonly string[] ElementTyped = ["technology", "authentication", "authorization", "encryptionAtRest", "dataClassification", "internetExposed"];
    private static readonly string[] FlowTyped = ["protocol", "encryptedInTransit", "authentication", "authorization", "dataClassification"];

    public static ThreatModel Read(string path, KnowledgeBase template)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var elements = Items(root, "elements").Select(m => ReadElement(m, template)).ToList();
        var flows = Items(root, "flows").Select(m => new DataFlow
        {
            Id = S(m, "id")!,
            SourceId = S(m, "from")!,
            TargetId = S(m, "to")!,
            TypeId = S(m, "type") ?? "GE.DF",
            Name = S(m, "name") ?? S(m, "id")!,
            Properties = Properties(m, FlowTyped),
            Position = new SourcePosition((int)m.Start.Line, (int)m.Start.Column),
        }).ToList();
        var boundaries = Items(root, "boundaries").Select(m => new TrustBoundary
        {
            Id = S(m, "id")!,
            TypeId = S(m, "type") ?? "GE.TB.B",
            Name = S(m, "name") ?? S(m, "id")!,
            Shape = BoundaryShape.Border,
            Members = m.Children.TryGetValue(new YamlScalarNode("members"), out var list)
                ? [.. ((YamlSequenceNode)list).Children.Select(n => ((YamlScalarNode)n).Value ?? string.Empty)]
                : [],
            Properties = Properties(m, []),
            Position = new SourcePosition((int)m.Start.Line, (int)m.Start.Column),
        }).ToList();
        return new ThreatModel
        {
            Name = S(root, "name") ?? Path.GetFileNameWithoutExtension(path),
            Description = S(root, "description"),
            SourcePath = path,
            Elements = elements,
            Flows = flows,
            Boundaries = [.. boundaries.Select(b => b with { Members = BoundaryCrossing.FlattenMembers(b, boundaries) })],
        };
    }

    private static ModelElement ReadElement(YamlMappingNode m, KnowledgeBase template)
    {
        var type = S(m, "type") ?? S(m, "kind") switch
        {
            "process" => "GE.P",
            "data-store" => "GE.DS",
            _ => "GE.EI",
        };
        return new ModelElement
        {
            Id = S(m, "id")!,
            Kind = template.IsA(type, "GE.P") ? ElementKind.Process : template.IsA(type, "GE.DS") ? ElementKind.DataStore : ElementKind.ExternalEntity,
            TypeId = type,
            Name = S(m, "name") ?? S(m, "id")!,
            Properties = Properties(m, ElementTyped),
            Position = new SourcePosition((int)m.Start.Line, (int)m.Start.Column),
        };
    }

    private static IEnumerable<YamlMappingNode> Items(YamlMappingNode root, string key) =>
        root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlSequenceNode list
            ? list.Children.Cast<YamlMappingNode>()
            : [];

    private static string? S(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? ((YamlScalarNode)node).Value : null;

    private static Dictionary<string, string> Properties(YamlMappingNode map, string[] typed)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in typed)
        {
            if (S(map, key) is { } value)
            {
                result[key] = Normalize(value);
            }
        }

        if (map.Children.TryGetValue(new YamlScalarNode("properties"), out var extra))
        {
            foreach (var (k, v) in ((YamlMappingNode)extra).Children)
            {
                result[((YamlScalarNode)k).Value!] = Normalize(((YamlScalarNode)v).Value ?? string.Empty);
            }
        }

        return result;
    }

    private static string Normalize(string value) => value.ToUpperInvariant() switch
    {
        "TRUE" or "YES" => "Yes",
        "FALSE" or "NO" => "No",
        _ => value,
    };
}

/// <summary>
/// A deterministic model of a large organisation: systems of about 50 elements, each in a cloud or tenant boundary
/// (tenants nested in cloud regions), CI/CD in build boundaries, people and outside services in the internet boundary,
/// corporate networks around developers; flows mostly inside a system, some between systems, some from outside.
/// Every element and flow draws its typed keys and mitigation properties at random, so that most rules both fire
/// somewhere and stay quiet somewhere.
/// </summary>
internal static class ModelGenerator
{
    private static readonly (string Type, int Weight)[] ElementTypes =
    [
        ("SF.P.WebApp", 6), ("SF.P.Api", 10), ("SF.P.Gateway", 2), ("SF.P.IdentityProvider", 1), ("SF.P.LlmEndpoint", 2),
        ("SF.P.LlmAgent", 1), ("SF.P.CiCd", 1), ("SF.P.Worker", 6), ("SF.P.Function", 4), ("kind:process", 2),
        ("SF.EI.Browser", 3), ("SF.EI.User", 3), ("SF.EI.MobileApp", 2), ("SF.EI.ThirdParty", 3), ("SF.EI.Developer", 1),
        ("SF.EI.ExternalIdP", 1), ("kind:external-entity", 1),
        ("SF.DS.Database", 8), ("SF.DS.VectorStore", 1), ("SF.DS.ObjectStorage", 4), ("SF.DS.SecretStore", 2),
        ("SF.DS.Queue", 5), ("SF.DS.Cache", 4), ("SF.DS.LogStore", 2), ("SF.DS.ArtifactRegistry", 1),
        ("SF.DS.SourceRepository", 1), ("kind:data-store", 2),
    ];

    private static readonly string[] Authentications = ["none", "password", "mfa", "oauth", "oidc", "jwt", "cookie", "mtls", "api-key", "sas", "managed-identity", "client-secret", "network", "shared-account"];
    private static readonly string[] Authorizations = ["none", "rbac", "abac", "owner", "admin"];
    private static readonly string[] Classifications = ["public", "internal", "confidential", "restricted"];
    private static readonly string[] Protocols = ["https", "http", "grpc", "amqp", "sql", "redis", "s3", "ssh"];
    private static readonly string[] Technologies = ["aspnetcore", "nginx", "postgresql", "redis", "kafka", "python", "node", "go"];

    private static readonly string[] MitigationProperties =
    [
        "adminInterface", "auditLogging", "backupEncryption", "backups", "bounded", "branchProtection", "contentTrusted",
        "csrfProtection", "egressAllowList", "fetchesUserUrls", "forkApproval", "genericErrors", "highAvailability",
        "immutable", "inputValidation", "issuerBinding", "lockout", "logMasking", "logSanitization",
        "objectLevelAuthorization", "outputEncoding", "outputFiltering", "parameterizedQueries", "pinnedAlgorithms",
        "pinnedDependencies", "promptInjectionGuard", "rateLimiting", "requestSizeLimit", "secretScanning",
        "structuredLogging", "tenantIsolation", "tokenQuota", "toolAllowList", "uploadSizeLimit", "validatesAudience",
    ];

    public static (int Elements, int Flows, int Boundaries) Write(string path, int elementCount, int flowCount, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elementCount, 60);
        ArgumentOutOfRangeException.ThrowIfNegative(flowCount);
        var rng = new SplitMix64(seed);
        var totalWeight = ElementTypes.Sum(t => t.Weight);
        var types = new string[elementCount];
        var ids = new string[elementCount];
        var systemOf = new int[elementCount];
        const int SystemSize = 50;
        var systems = (elementCount + SystemSize - 1) / SystemSize;
        var text = new StringBuilder(elementCount * 400);
        text.Append("version: 1\nname: Generated enterprise\ndescription: Generated by bench/threatmodel (seed ")
            .Append(seed.ToString(CultureInfo.InvariantCulture)).Append(")\nelements:\n");
        for (var i = 0; i < elementCount; i++)
        {
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"e{i:D5}");
            systemOf[i] = i / SystemSize;

            // Every type at least once, then by weight.
            types[i] = i < ElementTypes.Length ? ElementTypes[i].Type : Pick(rng, totalWeight);
            var type = types[i];
            text.Append("  - id: ").Append(ids[i]).Append('\n');
            text.Append("    name: ").Append(Short(type)).Append(' ').Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append(type.StartsWith("kind:", StringComparison.Ordinal) ? "    kind: " + type[5..] : "    type: " + type).Append('\n');
            if (rng.Chance(60))
            {
                text.Append("    technology: ").Append(rng.Of(Technologies)).Append('\n');
            }

            if (rng.Chance(50))
            {
                text.Append("    authentication: ").Append(rng.Of(Authentications)).Append('\n');
            }

            if (rng.Chance(40))
            {
                text.Append("    authorization: ").Append(rng.Of(Authorizations)).Append('\n');
            }

            if (IsStore(type) && rng.Chance(80))
            {
                text.Append("    encryptionAtRest: ").Append(rng.Chance(60) ? "true" : "false").Append('\n');
            }

            if (rng.Chance(60))
            {
                text.Append("    dataClassification: ").Append(rng.Of(Classifications)).Append('\n');
            }

            if (rng.Chance(15))
            {
                text.Append("    internetExposed: ").Append(rng.Chance(50) ? "true" : "false").Append('\n');
            }

            var properties = new List<(string, string)>();
            foreach (var property in MitigationProperties)
            {
                if (rng.Chance(12))
                {
                    properties.Add((property, rng.Chance(55) ? "yes" : "no"));
                }
            }

            if (type == "SF.DS.ObjectStorage" && rng.Chance(50))
            {
                properties.Add(("publicAccess", rng.Of(["none", "read", "write"])));
            }

            if (type == "SF.EI.Browser" && rng.Chance(50))
            {
                properties.Add(("tokenStorage", rng.Of(["local-storage", "cookie", "memory"])));
            }

            if (type == "SF.P.Function" && rng.Chance(60))
            {
                properties.Add(("permissions", rng.Of(["wildcard", "scoped"])));
            }

            if (properties.Count > 0)
            {
                text.Append("    properties:\n");
                foreach (var (name, value) in properties)
                {
                    text.Append("      ").Append(name).Append(": ").Append(value).Append('\n');
                }
            }
        }

        // Flows: 60 % inside a system, 25 % to another system, 15 % from an external entity anywhere.
        var externals = Enumerable.Range(0, elementCount).Where(i => IsExternal(types[i])).ToArray();
        text.Append("flows:\n");
        for (var f = 0; f < flowCount; f++)
        {
            int from;
            int to;
            var roll = rng.Next(100);
            if (roll < 15 && externals.Length > 0)
            {
                from = rng.Of(externals);
                to = rng.Next(elementCount);
            }
            else
            {
                from = rng.Next(elementCount);
                var system = roll < 75 ? systemOf[from] : rng.Next(systems);
                var start = system * SystemSize;
                to = start + rng.Next(Math.Min(SystemSize, elementCount - start));
            }

            if (to == from)
            {
                to = (to + 1) % elementCount;
            }

            // Data goes through a process: a flow between two non-processes goes to the next process instead, except
            // uploads from outside straight into object storage (pre-signed URLs).
            if (!IsProcess(types[from]) && !IsProcess(types[to]) && !(IsExternal(types[from]) && types[to] == "SF.DS.ObjectStorage"))
            {
                to = NearestProcess(types, to);
            }

            text.Append("  - id: f").Append(f.ToString("D6", CultureInfo.InvariantCulture)).Append('\n');
            text.Append("    from: ").Append(ids[from]).Append('\n');
            text.Append("    to: ").Append(ids[to]).Append('\n');
            if (rng.Chance(80))
            {
                var protocol = rng.Of(Protocols);
                text.Append("    name: ").Append(protocol.ToUpperInvariant()).Append(' ').Append(f.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append("    protocol: ").Append(protocol).Append('\n');
            }

            if (rng.Chance(75))
            {
                text.Append("    encryptedInTransit: ").Append(rng.Chance(70) ? "true" : "false").Append('\n');
            }

            if (rng.Chance(70))
            {
                text.Append("    authentication: ").Append(rng.Of(Authentications)).Append('\n');
            }

            if (rng.Chance(40))
            {
                text.Append("    authorization: ").Append(rng.Of(Authorizations)).Append('\n');
            }

            if (rng.Chance(50))
            {
                text.Append("    dataClassification: ").Append(rng.Of(Classifications)).Append('\n');
            }

            if (rng.Chance(30))
            {
                text.Append("    properties:\n");
                if (rng.Chance(50))
                {
                    text.Append("      format: ").Append(rng.Of(["json", "protobuf", "binary-serialization", "pickle"])).Append('\n');
                }

                text.Append("      signed: ").Append(rng.Chance(50) ? "yes" : "no").Append('\n');
                if (rng.Chance(30))
                {
                    text.Append("      tokenLifetime: ").Append(rng.Of(["short", "long"])).Append('\n');
                }
            }
        }

        // Boundaries: one per system (cloud or tenant), tenants nested in a few cloud regions, build environments around
        // the CI/CD systems' pipelines, corporate networks around developers and users, the internet around the rest of
        // the outside world.
        var boundaryCount = 0;
        text.Append("boundaries:\n");
        var tenantsByRegion = new List<string>[Math.Max(1, systems / 10)];
        for (var r = 0; r < tenantsByRegion.Length; r++)
        {
            tenantsByRegion[r] = [];
        }

        for (var s = 0; s < systems; s++)
        {
            var tenant = s % 3 == 0;
            var id = string.Create(CultureInfo.InvariantCulture, $"tb-sys{s:D3}");
            if (tenant)
            {
                tenantsByRegion[s % tenantsByRegion.Length].Add(id);
            }

            var members = Enumerable.Range(s * SystemSize, Math.Min(SystemSize, elementCount - (s * SystemSize))).Where(i => !IsExternal(types[i]));
            WriteBoundary(text, id, tenant ? "SF.TB.Tenant" : "SF.TB.Cloud", $"System {s}", members.Select(i => ids[i]));
            boundaryCount++;
        }

        for (var r = 0; r < tenantsByRegion.Length; r++)
        {
            WriteBoundary(text, string.Create(CultureInfo.InvariantCulture, $"tb-region{r:D2}"), "SF.TB.Cloud", $"Region {r}", tenantsByRegion[r]);
            boundaryCount++;
        }

        var pipelines = Enumerable.Range(0, elementCount).Where(i => types[i] is "SF.P.CiCd" or "SF.DS.ArtifactRegistry" or "SF.DS.SourceRepository").ToArray();
        for (var b = 0; b < 5 && pipelines.Length > 0; b++)
        {
            WriteBoundary(text, string.Create(CultureInfo.InvariantCulture, $"tb-build{b}"), "SF.TB.Build", $"Build {b}", pipelines.Where((_, k) => k % 5 == b).Select(i => ids[i]));
            boundaryCount++;
        }

        var inside = externals.Where(i => types[i] is "SF.EI.Developer" or "SF.EI.User").ToArray();
        for (var c = 0; c < 5; c++)
        {
            WriteBoundary(text, string.Create(CultureInfo.InvariantCulture, $"tb-corp{c}"), "SF.TB.Corporate", $"Corporate {c}", inside.Where((_, k) => k % 5 == c).Select(i => ids[i]));
            boundaryCount++;
        }

        WriteBoundary(text, "tb-internet", "SF.TB.Internet", "Internet", externals.Where(i => !inside.Contains(i) || rng.Chance(30)).Select(i => ids[i]));
        boundaryCount++;
        WriteBoundary(text, "tb-dmz", "kind:GE.TB.B", "DMZ", Enumerable.Range(0, elementCount).Where(i => types[i] is "SF.P.Gateway" or "SF.P.WebApp" && i % 2 == 0).Select(i => ids[i]));
        boundaryCount++;

        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return (elementCount, flowCount, boundaryCount);
    }

    private static void WriteBoundary(StringBuilder text, string id, string type, string name, IEnumerable<string> members)
    {
        text.Append("  - id: ").Append(id).Append("\n    name: ").Append(name).Append('\n');
        if (!type.StartsWith("kind:", StringComparison.Ordinal))
        {
            text.Append("    type: ").Append(type).Append('\n');
        }

        text.Append("    members: [").AppendJoin(", ", members).Append("]\n");
    }

    private static string Pick(SplitMix64 rng, int totalWeight)
    {
        var roll = rng.Next(totalWeight);
        foreach (var (type, weight) in ElementTypes)
        {
            if (roll < weight)
            {
                return type;
            }

            roll -= weight;
        }

        return ElementTypes[^1].Type;
    }

    private static int NearestProcess(string[] types, int index)
    {
        for (var k = 1; k < types.Length; k++)
        {
            var candidate = (index + k) % types.Length;
            if (IsProcess(types[candidate]))
            {
                return candidate;
            }
        }

        return index;
    }

    private static string Short(string type) => type.StartsWith("kind:", StringComparison.Ordinal) ? type[5..] : type[(type.LastIndexOf('.') + 1)..];

    private static bool IsProcess(string type) => type.StartsWith("SF.P.", StringComparison.Ordinal) || type == "kind:process";

    private static bool IsStore(string type) => type.StartsWith("SF.DS.", StringComparison.Ordinal) || type == "kind:data-store";

    private static bool IsExternal(string type) => type.StartsWith("SF.EI.", StringComparison.Ordinal) || type == "kind:external-entity";
}

/// <summary>SplitMix64: a small generator whose sequence depends only on the seed (not on the .NET version).</summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong NextULong()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public int Next(int bound) => (int)(NextULong() % (ulong)bound);

    public bool Chance(int percent) => Next(100) < percent;

    public T Of<T>(T[] items) => items[Next(items.Length)];
}
