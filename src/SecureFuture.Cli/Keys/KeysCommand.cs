using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Keys;
using SecureFuture.Keys.Pkcs11;
using SecureFuture.Keys.Storage;
using Spectre.Console;

namespace SecureFuture.Cli.Keys;

/// <summary>
/// <c>sfi keys</c>: administer a running key service over its API (list, show, create, emergency rotate), and verify
/// the audit log straight from the store and the HSM (<c>sfi keys audit verify</c>).
/// </summary>
internal static class KeysCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The JWS algorithms a ring can be created with, from the key service's own list.</summary>
    private static readonly string[] Algorithms = [SigningAlgorithm.ES256.Name, SigningAlgorithm.ES384.Name, SigningAlgorithm.PS256.Name, SigningAlgorithm.RS256.Name];

    private static readonly string[] RsaKeySizes = [.. new[] { SigningAlgorithm.PS256, SigningAlgorithm.PS256With3072 }.Select(a => a.KeySizeBits.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var server = new Option<string>("--server") { Description = "The sfi serve URL (or SFI_SERVER).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SFI_SERVER") ?? "http://127.0.0.1:5080" };
        var adminKeyFile = new Option<string?>("--admin-key-file") { Description = "File holding the admin key (default: the SFI_ADMIN_KEY environment variable)." };
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);

        var list = new Command("list", "List the key rings.") { server, adminKeyFile, format };
        list.SetAction((parse, ct) => CallAsync(parse, HttpMethod.Get, "/v1/keyrings", null, json => PrintRings(json, stdout), stdout, stderr, server, adminKeyFile, format, ct));

        var showName = RingName("Key ring name.");
        var show = new Command("show", "Show a key ring's policy and every key version with its state and times.") { showName, server, adminKeyFile, format };
        show.SetAction((parse, ct) => CallAsync(parse, HttpMethod.Get, $"/v1/keyrings/{Uri.EscapeDataString(parse.GetValue(showName)!)}", null, json => PrintRing(json, stdout), stdout, stderr, server, adminKeyFile, format, ct));

        var createName = RingName("Key ring name (lowercase letters, digits, '-', '_', '.').");
        var algorithm = new Option<string?>("--algorithm") { Description = "ES256 (default), ES384, PS256 or RS256." }.OneOf(Algorithms);
        var keySize = new Option<int?>("--key-size") { Description = "RSA modulus size: 2048 or 3072." }.OneOf(RsaKeySizes);
        var rotation = new Option<string?>("--rotation-period") { Description = "How long each key signs (default PT24H; minimum PT1H, PT10S with serve --dev)." };
        var prePublication = new Option<string?>("--pre-publication") { Description = "How long the next key is published before it signs (default PT12H)." };
        var grace = new Option<string?>("--verification-grace") { Description = "How long a rotated-out key still verifies (>= --max-token-lifetime)." };
        var lifetime = new Option<string?>("--max-token-lifetime") { Description = "The longest lifetime of a token signed by the ring (default PT1H)." };
        var retention = new Option<string?>("--retention") { Description = "How long a retired key stays in the HSM before it is destroyed (default P7D)." };
        var issuer = new Option<string?>("--issuer") { Description = "Scope: the only issuer the ring signs tokens for." };
        var audience = new Option<string[]>("--audience") { Description = "Scope: an audience the ring may sign for (repeat).", AllowMultipleArgumentsPerToken = false };
        var create = new Command("create", "Create a key ring; its first key is generated in the HSM and signs at once.")
        {
            createName, algorithm, keySize, rotation, prePublication, grace, lifetime, retention, issuer, audience, server, adminKeyFile, format,
        };
        create.SetAction((parse, ct) =>
        {
            var body = new KeyRingRequest
            {
                Name = parse.GetValue(createName),
                Algorithm = parse.GetValue(algorithm),
                KeySize = parse.GetValue(keySize),
                RotationPeriod = parse.GetValue(rotation),
                PrePublication = parse.GetValue(prePublication),
                VerificationGrace = parse.GetValue(grace),
                MaxTokenLifetime = parse.GetValue(lifetime),
                Retention = parse.GetValue(retention),
                Issuer = parse.GetValue(issuer),
                Audiences = parse.GetValue(audience) is { Length: > 0 } a ? a : null,
            };
            return CallAsync(parse, HttpMethod.Post, "/v1/keyrings", body, json => PrintRing(json, stdout), stdout, stderr, server, adminKeyFile, format, ct);
        });

        var rotateName = RingName("Key ring name.");
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the audit log)." };
        var retireNow = new Option<bool>("--retire-immediately") { Description = "The current key is compromised: unpublish it now instead of letting it verify through the grace period." };
        var rotate = new Command("rotate", "Emergency rotation: the next key signs from now on. Scheduled rotation needs no command.") { rotateName, reason, retireNow, server, adminKeyFile, format };
        rotate.SetAction((parse, ct) => CallAsync(parse, HttpMethod.Post, $"/v1/keyrings/{Uri.EscapeDataString(parse.GetValue(rotateName)!)}/rotate",
            new { reason = parse.GetValue(reason), retireImmediately = parse.GetValue(retireNow) },
            json => stdout.WriteLineAsync($"rotated: {json?["kid"]} (version {json?["version"]}) signs from now on"), stdout, stderr, server, adminKeyFile, format, ct));

        var dataDir = new Option<string?>("--data-dir") { Description = "The sfi serve data directory (its sfi.db and default HSM token; default ~/.sfi unless --database and --pkcs11-module are given)." };
        var database = new Option<string?>("--database") { Description = "PostgreSQL connection string, when the server uses one." };
        var module = new Option<string?>("--pkcs11-module") { Description = "PKCS#11 module, when the server uses another HSM." };
        var tokenLabel = new Option<string?>("--token-label") { Description = "Token label in --pkcs11-module." };
        var pinFile = new Option<string?>("--pin-file") { Description = "File holding the token's user PIN." };
        var verify = new Command("verify", "Verify the audit log's hash chain and HSM-signed checkpoints; exit 1 if any record was edited, removed or reordered.")
        {
            dataDir, database, module, tokenLabel, pinFile, format,
        };
        verify.SetAction((parse, ct) => VerifyAuditAsync(parse.GetValue(dataDir), parse.GetValue(database), parse.GetValue(module), parse.GetValue(tokenLabel), parse.GetValue(pinFile), parse.GetValue(format)!, stdout, clock, ct));
        var audit = new Command("audit", "The key service's audit log.") { verify };

        var (signFile, verifyFile) = FileSignatureCommands.Create(server, adminKeyFile, stdout, stderr, clock);
        return new Command("keys", "Administer HSM-held key rings: list, show, create, emergency rotation, audit verification, file signatures.")
        {
            list, show, create, rotate, audit, signFile, verifyFile,
        };
    }

    /// <summary>
    /// A ring name argument, checked before any call as the server checks it (<see cref="KeyRingPolicies.IsValidName"/>):
    /// a name such as <c>../x</c> is a usage error naming it as typed, not a URL-encoded 404 from the server.
    /// </summary>
    private static Argument<string> RingName(string description)
    {
        var name = new Argument<string>("name") { Description = description };
        name.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Type == TokenType.Argument && t.Value.Length > 0 && !KeyRingPolicies.IsValidName(t.Value)))
            {
                var typed = new string([.. token.Value.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
                result.AddError($"name: '{typed}' is not a key ring name: {KeyRingPolicies.NameRule}");
            }
        });
        return name;
    }

    private static async Task<int> CallAsync(
        ParseResult parse, HttpMethod method, string path, object? body, Func<JsonNode?, Task> printText, TextWriter stdout, TextWriter stderr,
        Option<string> server, Option<string?> adminKeyFile, Option<string> format, CancellationToken cancellationToken)
    {
        var (status, json, text) = await SendAsync(parse, method, path, body, server, adminKeyFile, cancellationToken);
        if (!IsSuccess(status))
        {
            return await RefusedAsync(status, json, text, stderr);
        }

        if (parse.GetValue(format) == "json")
        {
            await stdout.WriteLineAsync(json?.ToJsonString(Indented) ?? text);
        }
        else
        {
            await printText(json);
        }

        return ExitCodes.Success;
    }

    /// <summary>One admin API call: the status, the body as JSON when it is JSON, and the body as text.</summary>
    internal static async Task<(System.Net.HttpStatusCode Status, JsonNode? Json, string Text)> SendAsync(
        ParseResult parse, HttpMethod method, string path, object? body, Option<string> server, Option<string?> adminKeyFile, CancellationToken cancellationToken)
    {
        var baseUri = ServerUri(parse.GetValue(server)!);
        string key;
        if (parse.GetValue(adminKeyFile) is { } file)
        {
            try
            {
                key = (await File.ReadAllTextAsync(file, cancellationToken)).Trim();
            }
            catch (IOException e)
            {
                throw new InputException($"{file}: cannot read the admin key file: {e.Message}", e);
            }
        }
        else
        {
            key = Environment.GetEnvironmentVariable("SFI_ADMIN_KEY") ?? throw new InputException("set SFI_ADMIN_KEY or pass --admin-key-file: admin endpoints need the admin key");
        }

        using var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new InputException($"cannot reach {baseUri}: {e.Message}", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            try
            {
                json = text.Length > 0 ? JsonNode.Parse(text) : null;
            }
            catch (JsonException)
            {
            }

            return (response.StatusCode, json, text);
        }
    }

    internal static bool IsSuccess(System.Net.HttpStatusCode status) => (int)status is >= 200 and < 300;

    /// <summary>Says why the server refused (its problem details) and maps the status to an exit code.</summary>
    internal static async Task<int> RefusedAsync(System.Net.HttpStatusCode status, JsonNode? json, string text, TextWriter stderr)
    {
        var detail = json?["detail"]?.ToString() ?? text;
        await stderr.WriteLineAsync($"sfi: {(int)status} {json?["title"]?.ToString() ?? status.ToString()}: {detail}");
        return (int)status >= 500 ? ExitCodes.InternalError : ExitCodes.UsageError;
    }

    /// <summary>The <c>--server</c> value as an http(s) URL, or a usage error naming it.</summary>
    internal static Uri ServerUri(string baseUrl)
        => Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseUri) && baseUri.Scheme is "http" or "https"
            ? baseUri
            : throw new InputException($"--server: '{baseUrl}' is not an http(s) URL");

    private static Task PrintRings(JsonNode? json, TextWriter stdout)
    {
        var table = new Table().AddColumns("ring", "algorithm", "rotation", "pre-publication", "grace", "issuer");
        foreach (var ring in json?["keyrings"]?.AsArray() ?? [])
        {
            table.AddRow(Markup.Escape($"{ring?["name"]}{(ring?["default"]?.GetValue<bool>() == true ? " (default)" : string.Empty)}"), Markup.Escape($"{ring?["algorithm"]}"),
                Markup.Escape($"{ring?["rotationPeriod"]}"), Markup.Escape($"{ring?["prePublication"]}"), Markup.Escape($"{ring?["verificationGrace"]}"), Markup.Escape($"{ring?["issuer"] ?? "-"}"));
        }

        Render(table, stdout);
        return Task.CompletedTask;
    }

    private static async Task PrintRing(JsonNode? json, TextWriter stdout)
    {
        await stdout.WriteLineAsync($"{json?["name"]}: {json?["algorithm"]}, rotation {json?["rotationPeriod"]}, pre-publication {json?["prePublication"]}, grace {json?["verificationGrace"]}, max token lifetime {json?["maxTokenLifetime"]}, retention {json?["retention"]}");
        if (json?["issuer"] is { } issuer)
        {
            await stdout.WriteLineAsync($"scope: issuer {issuer}, audiences {string.Join(", ", json["audiences"]?.AsArray().Select(a => a?.ToString()) ?? [])}");
        }

        var table = new Table().AddColumns("version", "kid", "state", "activated", "expires / verify until");
        foreach (var key in json?["versions"]?.AsArray() ?? [])
        {
            var until = key?["state"]?.ToString() == "retiring" ? key["verifyUntil"] : key?["expiresAt"] ?? key?["activateAt"];
            table.AddRow(Markup.Escape($"{key?["version"]}"), Markup.Escape($"{key?["kid"]}"), Markup.Escape($"{key?["state"]}"), Markup.Escape($"{key?["activatedAt"] ?? "-"}"), Markup.Escape($"{until ?? "-"}"));
        }

        Render(table, stdout);
    }

    private static void Render(Table table, TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(stdout) });
        console.Profile.Width = 200;
        console.Write(table);
    }

    private static async Task<int> VerifyAuditAsync(string? dataDir, string? database, string? module, string? tokenLabel, string? pinFile, string format, TextWriter stdout, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (dataDir is null && (database is null || module is null))
        {
            dataDir = Serve.ServeCommand.DefaultDataDirectory;
        }

        if (module is not null && (tokenLabel is null || pinFile is null))
        {
            throw new InputException("--pkcs11-module needs --token-label and --pin-file");
        }

        if (dataDir is not null && database is null && !File.Exists(Path.Combine(dataDir, "sfi.db")))
        {
            throw new InputException($"{dataDir}: no sfi.db here; is this an sfi serve data directory?");
        }

        var pkcs11 = module is not null
            ? new Pkcs11Options { ModulePath = module, TokenLabel = tokenLabel!, PinFile = pinFile! }
            : SoftHsmToken.Prepare(dataDir!) with { InitializeTokenIfMissing = false };
        await using var store = database is not null ? SqlKeyStore.OpenPostgres(database) : SqlKeyStore.OpenSqlite(Path.Combine(dataDir!, "sfi.db"));
        using var custodian = new Pkcs11Custodian(pkcs11);
        var service = new KeyRingService(store, custodian, clock, new KeyServiceOptions());
        SecureFuture.Keys.Audit.AuditVerification result;
        try
        {
            result = await service.VerifyAuditAsync(cancellationToken);
        }
        catch (HsmUnavailableException e)
        {
            throw new InputException($"cannot open the HSM to check the checkpoint signatures: {e.Message}", e);
        }

        if (format == "json")
        {
            var json = new JsonObject
            {
                ["intact"] = result.IsIntact,
                ["records"] = result.Records,
                ["checkpoints"] = result.Checkpoints,
                ["lastCheckpoint"] = result.LastCheckpointSequence,
                ["problems"] = new JsonArray([.. result.Problems.Select(p => (JsonNode)p)]),
            };
            await stdout.WriteLineAsync(json.ToJsonString(Indented));
        }
        else
        {
            var text = new StringBuilder();
            text.Append(result.IsIntact ? "audit log intact: " : "audit log DAMAGED: ")
                .Append(result.Records).Append(" records, ").Append(result.Checkpoints).Append(" signed checkpoints (last at record ").Append(result.LastCheckpointSequence).Append(')');
            await stdout.WriteLineAsync(text.ToString());
            foreach (var problem in result.Problems)
            {
                await stdout.WriteLineAsync("  " + problem);
            }

            if (result.IsIntact && result.Records > result.LastCheckpointSequence)
            {
                await stdout.WriteLineAsync($"  note: records after {result.LastCheckpointSequence} are not covered by a checkpoint yet (the server signs one on its next scheduler pass)");
            }
        }

        return result.IsIntact ? ExitCodes.Success : ExitCodes.GateTripped;
    }
}
