using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Baseline;
using SecureFuture.Core;
using SecureFuture.Findings.Ingest;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;
using SecureFuture.Scanning;
using SecureFuture.Scanning.Dependencies.Advisories;
using SecureFuture.Scanning.Dependencies.Inventory;
using SecureFuture.Scanning.Secrets;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.Fuzz;

/// <summary>
/// Every parser that reads untrusted input, one target each. Each target catches only its parser's documented
/// refusal (<see cref="InputException"/> for the CLI's files, the format's own exception elsewhere, a refusal value
/// for tokens), so that any other exception reaches the fuzzer as a crash.
/// </summary>
/// <remarks>
/// Nothing here may run code of an instrumented assembly before <c>Fuzzer.Run</c> has set up AFL++'s shared memory
/// (the instrumented code writes to it: an access violation otherwise), so every fixture is lazy.
/// </remarks>
internal static class Targets
{
    /// <summary>The lock files and manifests the dependency inventory reads, by the file name that selects the reader.</summary>
    private static readonly (string Target, string Path)[] Manifests =
    [
        ("deps-nuget-lock", "src/App/packages.lock.json"),
        ("deps-project-assets", "src/App/obj/project.assets.json"),
        ("deps-csproj", "src/App/App.csproj"),
        ("deps-packages-config", "src/App/packages.config"),
        ("deps-package-lock", "web/package-lock.json"),
        ("deps-yarn-lock", "web/yarn.lock"),
        ("deps-pnpm-lock", "web/pnpm-lock.yaml"),
        ("deps-requirements", "py/requirements.txt"),
        ("deps-poetry-lock", "py/poetry.lock"),
        ("deps-pipfile-lock", "py/Pipfile.lock"),
        ("deps-uv-lock", "py/uv.lock"),
        ("deps-pom", "java/pom.xml"),
        ("deps-go-mod", "go/go.mod"),
        ("deps-cargo-lock", "rs/Cargo.lock"),
    ];

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("sarif-baseline", "SarifBaseline.Read (sfi scan --baseline)", SarifBaselineLog),
        new("sarif-ingest", "SarifLogReader (findings hub push)", SarifIngest),
        new("secret-rules", "SecretRuleCatalog.Load (user secret rules, rules/secrets/*.yaml)", SecretRules),
        new("threatmodel-yaml", "YamlModelReader.Read + ThreatAnalyzer.Analyze", YamlThreatModel),
        new("threatmodel-tm7", "Tm7Document.Load (SafeXml) + ThreatAnalyzer.Analyze", Tm7Model),
        new("threatmodel-tb7", "KnowledgeBaseReader.ReadTb7 (SafeXml)", Tb7Template),
        new("threat-dragon", "ThreatDragonImporter.Read + ThreatAnalyzer.Analyze", ThreatDragon),
        new("threagile", "ThreagileImporter.Read + ThreatAnalyzer.Analyze", Threagile),
        new("tenant-graph", "SnapshotReader + BaselineAssessor (Graph export)", TenantExport),
        new("tenant-arm", "SnapshotReader + BaselineAssessor (ARM resource export)", TenantExport),
        new("tenant-arm-template", "SnapshotReader + ArmTemplateEvaluator + BaselineAssessor", TenantExport),
        new("tenant-scubagear", "SnapshotReader + ScubaGearExport + BaselineAssessor", TenantExport),
        new("tenant-terraform-plan", "SnapshotReader + BaselineAssessor (terraform show -json)", TenantExport),
        new("jwt", "StrictTokenValidator.ValidateAsync (access tokens at a resource server)", Jwt),
        new("dpop-proof", "DpopProofValidator.ValidateAsync (RFC 9449 proofs)", DpopProof),
        new("client-assertion", "ClientAssertionType + JsonWebTokenHandler (private_key_jwt at the token endpoint)", ClientAssertion),
        new("client-jwks", "ClientKeySet.Parse (JWKS at client registration)", ClientJwks),
        new("set", "SecurityEventReceiver.ApplyAsync (RFC 8417 security event tokens)", SecurityEventToken),
        new("gitignore", "GitIgnore.Parse + Match (.gitignore of a scanned tree)", GitIgnoreFile),
        new("inline-suppressions", "InlineSuppressions.Find (sfi:ignore comments)", Suppressions),
        .. Manifests.Select(m => new FuzzTarget(m.Target, $"DependencyInventory.Read ({m.Path[(m.Path.LastIndexOf('/') + 1)..]})", input => Manifest(m.Path, input))),
        new("osv-json", "OsvReader.ReadJson (advisory import)", OsvJson),
        new("osv-yaml", "OsvReader.ReadYaml (advisory import)", OsvYaml),
        new("replay-journal", "ReplayJournal.OpenAsync (SQLite's single-use identifiers, read back on start)", ReplayJournalSegment),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Why a generated identity seed is not accepted (a seed that is refused fuzzes only the refusal path); null when all are.</summary>
    public static string? CheckIdentitySeed(string target, string input) => target switch
    {
        "jwt" => TokenValidator.Value.ValidateAsync(input, CancellationToken.None).GetAwaiter().GetResult().Error,
        "dpop-proof" => ProofValidator.Value.ValidateAsync(input, "POST", IdentityFixture.Resource, IdentityFixture.AccessToken).AsTask().GetAwaiter().GetResult().Error,
        "set" => EventReceiver.Value.ApplyAsync(input, CancellationToken.None).GetAwaiter().GetResult(),
        _ => null,
    };

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static void SarifBaselineLog(byte[] input)
    {
        try
        {
            SarifBaseline.Read(ScratchFile.Write("baseline.sarif", input));
        }
        catch (InputException)
        {
        }
    }

    private static void SarifIngest(byte[] input)
    {
        try
        {
            using var reader = new SarifLogReader(new MemoryStream(input, writable: false), "fuzz");
            foreach (var _ in reader.ReadResults())
            {
            }

            _ = reader.Runs;
        }
        catch (SarifIngestException)
        {
        }
    }

    private static void SecretRules(byte[] input)
    {
        try
        {
            SecretRuleCatalog.Load([("fuzz.yaml", Text(input))], _ => null);
        }
        catch (InputException)
        {
        }
    }

    private static void YamlThreatModel(byte[] input)
    {
        var template = RuleCatalogue.Default.Template;
        try
        {
            var model = YamlModelReader.Read(new StringReader(Text(input)), "model.yaml", template);
            ThreatAnalyzer.Analyze(model, template);
        }
        catch (InputException)
        {
        }
    }

    private static void Tm7Model(byte[] input)
    {
        try
        {
            var document = Tm7Document.Load(new MemoryStream(input, writable: false), "model.tm7");
            ThreatAnalyzer.Analyze(document.Model, document.Template ?? RuleCatalogue.Default.Template);
        }
        catch (InputException)
        {
        }
    }

    private static void Tb7Template(byte[] input)
    {
        try
        {
            KnowledgeBaseReader.ReadTb7(new MemoryStream(input, writable: false), "template.tb7").Compile("template.tb7");
        }
        catch (InputException)
        {
        }
    }

    private static void ThreatDragon(byte[] input)
    {
        try
        {
            var model = ThreatDragonImporter.Read(new MemoryStream(input, writable: false), "model.json");
            ThreatAnalyzer.Analyze(model, RuleCatalogue.Default.Template);
        }
        catch (InputException)
        {
        }
    }

    private static void Threagile(byte[] input)
    {
        try
        {
            var model = ThreagileImporter.Read(new StringReader(Text(input)), "threagile.yaml");
            ThreatAnalyzer.Analyze(model, RuleCatalogue.Default.Template);
        }
        catch (InputException)
        {
        }
    }

    /// <summary>
    /// One reader serves every tenant format (it tells them apart by content); the five targets differ by corpus.
    /// An evaluator that throws is caught by the assessor and reported as an Error result: a finding here.
    /// </summary>
    private static void TenantExport(byte[] input)
    {
        Assessment assessment;
        try
        {
            var path = ScratchFile.Write("export.json", input);
            assessment = new BaselineAssessor(timeProvider: IdentityFixture.Clock).AssessAsync([path]).GetAwaiter().GetResult();
        }
        catch (InputException)
        {
            return;
        }

        if (assessment.Results.FirstOrDefault(r => r.Status == ControlStatus.Error) is { } error)
        {
            throw new InvariantViolationException($"control {error.ControlId} failed on the input: {error.Evidence}");
        }
    }

    private static readonly Lazy<StrictTokenValidator> TokenValidator = new(() => new StrictTokenValidator(
        [new TrustedIssuer(IdentityFixture.Issuer, IdentityFixture.JwksUri, [IdentityFixture.Audience])],
        IdentityFixture.JwksClient(), clock: IdentityFixture.Clock));

    private static void Jwt(byte[] input) =>
        TokenValidator.Value.ValidateAsync(Text(input), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Never a replay: the same valid seed must pass every time it is run.</summary>
    private sealed class NoReplays : IReplayCache
    {
        public ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }

    private static readonly Lazy<DpopProofValidator> ProofValidator = new(() => new(clock: IdentityFixture.Clock, replays: new NoReplays()));

    private static void DpopProof(byte[] input) =>
        ProofValidator.Value.ValidateAsync(Text(input), "POST", IdentityFixture.Resource, IdentityFixture.AccessToken).AsTask().GetAwaiter().GetResult();

    private static readonly Lazy<TokenServiceOptions> AssertionOptions = new(() => new() { Issuer = new Uri(IdentityFixture.Issuer) });
    private static readonly JsonWebTokenHandler AssertionHandler = new();
    private static readonly Lazy<ClientKeySet> ClientKeys = new(() =>
    {
        using var jwks = JsonDocument.Parse(IdentityFixture.Jwks());
        return ClientKeySet.Parse(jwks.RootElement);
    });

    /// <summary>
    /// The token endpoint's reading of a client assertion, in its order: strict JSON of header and claims, the
    /// unverified issuer and type, then signature, issuer, audience and lifetime against the client's registered keys.
    /// </summary>
    private static void ClientAssertion(byte[] input)
    {
        var compact = Text(input);
        if (ClientAssertionType.UnreadableJson(compact) is not null || !AssertionHandler.CanReadToken(compact))
        {
            return;
        }

        if (ClientAssertionType.ReadUnverified(compact) is not { } unverified)
        {
            return; // refused as invalid_client
        }

        _ = unverified.Issuer;
        _ = ClientAssertionType.Refusal(unverified, AssertionOptions.Value);
        var result = AssertionHandler.ValidateTokenAsync(compact, new TokenValidationParameters
        {
            ValidIssuer = IdentityFixture.ClientId,
            ValidAudience = IdentityFixture.Issuer,
            IssuerSigningKeys = ClientKeys.Value.SecurityKeys,
            TypeValidator = (_, _, _) => ClientAssertionType.Explicit,
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } e && e > IdentityFixture.Now.UtcDateTime && (notBefore is not { } n || n <= IdentityFixture.Now.UtcDateTime),
        }).GetAwaiter().GetResult();
        _ = result.IsValid;
    }

    private static void ClientJwks(byte[] input)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(input);
        }
        catch (JsonException)
        {
            return; // the registration request's body is refused before the key set is looked at
        }

        using (document)
        {
            try
            {
                var keys = ClientKeySet.Parse(document.RootElement);
                _ = keys.SecurityKeys;
            }
            catch (KeyServiceException e) when (e.Kind == KeyErrorKind.Invalid)
            {
            }
        }
    }

    private static readonly Lazy<SecurityEventReceiver> EventReceiver = new(() => new SecurityEventReceiver(
        new TrustedIssuer(IdentityFixture.Issuer, IdentityFixture.JwksUri, [IdentityFixture.Audience]),
        IdentityFixture.JwksClient(), new ContinuousAccessEvaluation(), clock: IdentityFixture.Clock));

    private static void SecurityEventToken(byte[] input) =>
        EventReceiver.Value.ApplyAsync(Text(input), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The input is a .gitignore; every path it names, and a few fixed ones, are matched against it.</summary>
    private static void GitIgnoreFile(byte[] input)
    {
        var content = Text(input);
        var ignore = GitIgnore.Parse("sub", content);
        var rules = new IgnoreRules().With(ignore);
        string[] fixedPaths = ["sub/a.txt", "sub/build/out.dll", "sub/.env", "sub/deep/x/y/z.log", "other/a.txt", "sub"];
        foreach (var path in fixedPaths.Concat(content.Split('\n').Take(64).Select(l => "sub/" + l.Trim().TrimStart('!', '/'))))
        {
            ignore.Match(path, isDirectory: false);
            ignore.Match(path, isDirectory: true);
            rules.IsIgnored(path, isDirectory: false);
        }
    }

    /// <summary>The input is a scanned file; a finding of a rule is looked up on every line for a suppression.</summary>
    private static void Suppressions(byte[] input)
    {
        var index = new TextIndex(Text(input));
        var today = DateOnly.FromDateTime(IdentityFixture.Now.UtcDateTime);
        for (var line = 1; line <= Math.Min(index.LineCount, 256); line++)
        {
            InlineSuppressions.Find(index, line, "SFI-SEC-001", today, "file.cs", _ => { });
            InlineSuppressions.Find(index, line, "SFI-DEP-001", today, "file.cs", _ => { }, [["GHSA-xxxx-yyyy-zzzz", "CVE-2024-0001"]]);
        }
    }

    /// <summary>The inventory turns a reader's documented refusals into notifications; nothing else may escape.</summary>
    private static void Manifest(string path, byte[] input) =>
        new DependencyInventory().Read([new ScanTarget(path, Text(input))]);

    /// <summary>
    /// The input is the last segment of SQLite's replay journal (a file in the data directory): reading it back loads
    /// it, cuts off a torn end, or refuses it as damaged (<see cref="InvalidDataException"/>). Whatever it loaded, a
    /// second reading of what is left on disk loads the same identifiers: a cut leaves a whole journal.
    /// </summary>
    private static void ReplayJournalSegment(byte[] input)
    {
        var directory = ScratchFile.EmptyDirectory("replay-journal");
        File.WriteAllBytes(Path.Combine(directory, "0000000000000001.log"), input);
        int? loaded = null;
        var journal = new ReplayJournal(directory);
        try
        {
            journal.OpenAsync(default).GetAwaiter().GetResult();
            loaded = journal.Count;
        }
        catch (InvalidDataException)
        {
        }
        finally
        {
            journal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        if (loaded is null)
        {
            return;
        }

        var again = new ReplayJournal(directory);
        try
        {
            again.OpenAsync(default).GetAwaiter().GetResult();
            if (again.Count != loaded)
            {
                throw new InvariantViolationException($"the journal loaded {loaded} identifiers, and {again.Count} when read again");
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvariantViolationException("a journal read once is refused when read again: " + e.Message);
        }
        finally
        {
            again.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void OsvJson(byte[] input)
    {
        try
        {
            OsvReader.ReadJson(input);
        }
        catch (OsvFormatException)
        {
        }
    }

    private static void OsvYaml(byte[] input)
    {
        try
        {
            OsvReader.ReadYaml(Text(input));
        }
        catch (OsvFormatException)
        {
        }
    }
}
