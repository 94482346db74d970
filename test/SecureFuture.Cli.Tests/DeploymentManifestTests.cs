using System.Globalization;
using System.Text.Json.Nodes;
using SecureFuture.Testing;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// deploy/: the Kubernetes manifests validated as kubeconform -strict would (the Kubernetes v1.32 JSON schemas, unknown
/// fields refused; no cluster runs here), the security settings a reviewer would check, and the systemd unit checked by
/// systemd itself.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeploymentManifestTests
{
    private static readonly Dictionary<string, string> SchemaOfKind = new(StringComparer.Ordinal)
    {
        ["Deployment"] = "deployment-apps-v1",
        ["Service"] = "service-v1",
        ["ServiceAccount"] = "serviceaccount-v1",
        ["PodDisruptionBudget"] = "poddisruptionbudget-policy-v1",
        ["NetworkPolicy"] = "networkpolicy-networking-v1",
        ["ConfigMap"] = "configmap-v1",
        ["Secret"] = "secret-v1",
    };

    private static string Root => CliRunner.RepoRoot();

    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "deploy", "kubernetes"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_manifest_is_valid_under_the_Kubernetes_schema_of_its_kind(string name)
    {
        foreach (var document in Documents(Path.Combine(Root, "deploy", "kubernetes", name)))
        {
            var (exit, output) = Validate(document);
            Assert.True(exit == 0, $"{name}: {output}");
        }
    }

    [Fact]
    public void A_manifest_missing_required_fields_or_with_a_misspelt_one_is_refused_with_the_reason()
    {
        var deployment = Deployment();
        deployment["spec"]!.AsObject().Remove("selector");
        var (exit, output) = Validate(deployment);
        Assert.Equal(1, exit);
        Assert.Contains("/spec must have required property 'selector'", output, StringComparison.Ordinal);

        deployment = Deployment();
        var container = Container(deployment);
        container["readinessprobe"] = container["readinessProbe"]!.DeepClone();
        container.Remove("readinessProbe");
        (exit, output) = Validate(deployment);
        Assert.Equal(1, exit);
        Assert.Contains("must NOT have additional properties", output, StringComparison.Ordinal);
        Assert.Contains("readinessprobe", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_deployment_runs_two_non_root_replicas_on_a_read_only_root_with_the_HSM_module_PostgreSQL_and_health_probes()
    {
        var deployment = Deployment();
        Assert.True((long)deployment["spec"]!["replicas"]! >= 2);
        var pod = deployment["spec"]!["template"]!["spec"]!;
        Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
        Assert.NotEqual(0L, (long)pod["securityContext"]!["runAsUser"]!);
        Assert.Equal("RuntimeDefault", (string)pod["securityContext"]!["seccompProfile"]!["type"]!);
        Assert.False((bool)pod["automountServiceAccountToken"]!);

        foreach (var c in pod["containers"]!.AsArray().Concat(pod["initContainers"]!.AsArray()))
        {
            var security = c!["securityContext"]!;
            Assert.True((bool)security["readOnlyRootFilesystem"]!, (string)c["name"]!);
            Assert.False((bool)security["allowPrivilegeEscalation"]!, (string)c["name"]!);
            Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(x => (string)x!));
        }

        var container = Container(deployment);
        var args = container["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal("serve", args[0]);
        Assert.Contains(args, a => a.StartsWith("--database=Host=", StringComparison.Ordinal));
        Assert.DoesNotContain(args, a => a.Contains("Password", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(args, a => a.StartsWith("--pin", StringComparison.Ordinal) && !a.StartsWith("--pin-file=", StringComparison.Ordinal));
        Assert.Contains(args, a => a.StartsWith("--urls=https://", StringComparison.Ordinal));

        // The PKCS#11 module is a volume mounted read-only where --pkcs11-module points.
        var module = args.Single(a => a.StartsWith("--pkcs11-module=", StringComparison.Ordinal))["--pkcs11-module=".Length..];
        var mount = container["volumeMounts"]!.AsArray().Single(m => module.StartsWith((string)m!["mountPath"]! + "/", StringComparison.Ordinal))!;
        Assert.True((bool)mount["readOnly"]!);

        Assert.Equal("/readyz", (string)container["readinessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("/healthz", (string)container["livenessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("HTTPS", (string)container["readinessProbe"]!["httpGet"]!["scheme"]!);

        // Secrets come from Secret objects, never from the manifest.
        Assert.All(container["env"]!.AsArray().Where(e => (string)e!["name"]! is "PGPASSWORD" or "SFI_ADMIN_KEY"), e => Assert.Null(e!["value"]));
    }

    [Fact]
    public void Every_way_sfi_serve_is_started_gives_it_the_servers_runtime_settings()
    {
        // The runtimeconfig turns quick first compilations off for the batch commands; the server needs them on, so
        // that dynamic PGO has a profile, and its thread pool keeps a worker per CPU whose idle workers block instead of
        // spinning (docs/deploy.md): the launcher (the caller's own value winning), the unit, the Deployment, the image
        // and the benchmarks say so.
        var settings = new[] { ("DOTNET_TC_QuickJit", "1"), ("DOTNET_TC_QuickJitForLoops", "1"), ("DOTNET_HillClimbing_Disable", "1"), ("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0") };
        var launcher = File.ReadAllText(Path.Combine(Root, "sfi"));
        var serve = launcher[launcher.IndexOf("\n  serve)\n", StringComparison.Ordinal)..];
        serve = serve[..serve.IndexOf(";;", StringComparison.Ordinal)];
        var unit = File.ReadAllLines(Path.Combine(Root, "deploy", "systemd", "sfi.service")).Where(l => l.StartsWith("Environment=", StringComparison.Ordinal))
            .SelectMany(l => l["Environment=".Length..].Split(' ')).ToList();
        var container = Container(Deployment());
        var image = File.ReadAllText(Path.Combine(Root, "build", "container.sh"));
        var benchLib = File.ReadAllText(Path.Combine(Root, "bench", "lib.sh"));
        var bench = benchLib[benchLib.IndexOf("sfi_serve_env() {", StringComparison.Ordinal)..];
        bench = bench[..bench.IndexOf("\n}\n", StringComparison.Ordinal)];
        // Every benchmark that starts a server starts it with them.
        Assert.Contains("env $(sfi_serve_env) ${SFI_BENCH_SERVER_ENV:-} \"${command[@]}\" serve", benchLib, StringComparison.Ordinal);
        var loadFaults = File.ReadAllText(Path.Combine(Root, "bench", "serve-load-faults.sh"));
        Assert.Equal(2, loadFaults.Split("env $(sfi_serve_env) ").Length - 1);
        foreach (var (setting, value) in settings)
        {
            Assert.Matches($@"export (\S+ )*{setting}=""\$\{{{setting}:-{value}\}}""", serve);
            Assert.Contains($"{setting}={value}", unit);
            Assert.Contains(container["env"]!.AsArray(), e => (string)e!["name"]! == setting && (string?)e["value"] == value);
            Assert.Contains($"--config.env {setting}={value}", image, StringComparison.Ordinal);
            Assert.Contains($"{setting}=${{{setting}:-{value}}}", bench, StringComparison.Ordinal);
        }

        var runtimeConfig = File.ReadAllText(Path.Combine(Root, "src", "SecureFuture.Cli", "SecureFuture.Cli.csproj"));
        Assert.Contains("<TieredCompilationQuickJit>false</TieredCompilationQuickJit>", runtimeConfig, StringComparison.Ordinal);
        Assert.DoesNotContain("UnfairSemaphoreSpinLimit", runtimeConfig, StringComparison.Ordinal);
        Assert.DoesNotContain("HillClimbing", runtimeConfig, StringComparison.Ordinal);
    }

    [Fact]
    public void The_systemd_unit_passes_systemd_analyze_verify_and_its_exposure_is_at_most_2()
    {
        var unit = File.ReadAllText(Path.Combine(Root, "deploy", "systemd", "sfi.service"));
        foreach (var setting in new[] { "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "DynamicUser=yes", "CapabilityBoundingSet=", "LimitCORE=0" })
        {
            Assert.Contains("\n" + setting + "\n", unit, StringComparison.Ordinal);
        }

        // systemd checks a copy whose ExecStart names a program that exists here.
        var work = Directory.CreateTempSubdirectory("sfi-unit-").FullName;
        try
        {
            var copy = Path.Combine(work, "sfi.service");
            File.WriteAllText(copy, unit.Replace("/usr/local/bin/sfi ", "/bin/true ", StringComparison.Ordinal));
            var (exit, output) = ChildProcess.Run("systemd-analyze", ["verify", copy]);
            Assert.True(exit == 0 && output.Length == 0, output);
            // The exposure score of `systemd-analyze security` (0 = fully locked down, 10 = none), refused above 2.0.
            (exit, output) = ChildProcess.Run("systemd-analyze", ["security", "--offline=yes", "--threshold=20", copy]);
            Assert.True(exit == 0, output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static JsonObject Deployment()
        => Documents(Path.Combine(Root, "deploy", "kubernetes", "deployment.yaml")).Single(d => (string)d["kind"]! == "Deployment");

    private static JsonObject Container(JsonObject deployment)
        => deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single(c => (string)c!["name"]! == "sfi")!.AsObject();

    private static (int Exit, string Output) Validate(JsonObject manifest)
    {
        var kind = (string?)manifest["kind"] ?? throw new InvalidOperationException("a manifest without kind");
        var schema = Path.Combine(Root, "test", "SecureFuture.Cli.Tests", "TestData", "kubernetes-json-schema", SchemaOfKind[kind] + ".json");
        var file = Path.Combine(Path.GetTempPath(), $"sfi-manifest-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(file, manifest.ToJsonString());
            return ChildProcess.Run("node", [SbomCommandTests.Validator(), "schema", schema, file]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Every document of a YAML file as JSON: plain null, true, false and decimal integers typed as YAML's core schema
    /// types them (the manifests write no octal: YAML 1.1, which Kubernetes reads, and 1.2 disagree on 0400).
    /// </summary>
    private static List<JsonObject> Documents(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(d => (JsonObject)ToJson(d.RootNode)!)];
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain } s when s.Value is null or "~" or "null" => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } s => JsonValue.Create(s.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } s when long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidOperationException($"{node.Start}: unsupported YAML node"),
    };
}
