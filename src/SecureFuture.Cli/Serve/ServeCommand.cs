using System.CommandLine;
using SecureFuture.Core;
using SecureFuture.Findings.Sla;
using SecureFuture.Server;

namespace SecureFuture.Cli.Serve;

/// <summary><c>sfi serve</c>: the key service (HSM custody, rotation, JWKS, audit) over HTTP.</summary>
internal static class ServeCommand
{
    /// <summary>
    /// Where <c>sfi serve</c> keeps its store and HSM token without <c>--data-dir</c>: <c>~/.sfi</c>, outside any working
    /// tree (the same directory as the advisory database). Inside a repository, its files are read by every scan of it.
    /// </summary>
    public static string DefaultDataDirectory => SecureFuture.Scanning.Dependencies.Advisories.AdvisoryDatabase.DefaultDataDirectory;

    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Data directory: sfi.db (SQLite) and the default SoftHSM2 token under hsm/ (default: ~/.sfi).",
            DefaultValueFactory = _ => DefaultDataDirectory,
        };
        var urls = new Option<string>("--urls") { Description = "Where to listen (semicolon-separated).", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var dev = new Option<bool>("--dev") { Description = "Relax minimum durations (rotation down to PT10S) and run the scheduler every second; for tests and demos." };
        var database = new Option<string?>("--database") { Description = "PostgreSQL connection string (Npgsql form) instead of SQLite; needed to run several nodes." };
        var module = new Option<string?>("--pkcs11-module") { Description = "PKCS#11 module of another HSM (default: a SoftHSM2 token under DIR/hsm)." };
        var tokenLabel = new Option<string?>("--token-label") { Description = "Label of the token to use in --pkcs11-module." };
        var pinFile = new Option<string?>("--pin-file") { Description = "File holding the token's user PIN (PINs never go on the command line)." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate for https URLs." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var allowPlainHttp = new Option<bool>("--allow-plain-http") { Description = "Allow http on non-loopback addresses (the admin key would cross the network in clear text)." };
        var issuer = new Option<string?>("--issuer") { Description = "Turn on the OAuth token service with this exact issuer URL (https; http only on loopback). Tokens are signed in the HSM by the ring 'tokens'." };
        var clientCertHeader = new Option<string?>("--client-cert-header")
        {
            Description = "Behind a TLS-terminating proxy: the header carrying the client's certificate (URL-encoded PEM or base64 DER) for certificate-bound tokens. Only safe when the proxy removes it from client requests and is the only way in.",
        };
        var dpopNonce = new Option<bool>("--dpop-nonce") { Description = "Token requests with a DPoP proof must carry the server's current nonce (RFC 9449 §8; handed out in the DPoP-Nonce header, renewed every minute)." };
        var typedAssertions = new Option<bool>("--require-typed-client-assertions") { Description = "Accept only client assertions typed client-authentication+jwt (RFC 7523 as updated in 2025); by default an untyped one whose aud is exactly the issuer is accepted too." };
        var allowPrivatePush = new Option<bool>("--allow-private-push-endpoints")
        {
            Description = "Allow security-event push endpoints on loopback, link-local and private addresses (and http to loopback); refused by default as server-side request forgery.",
        };
        var metricsTokenFile = new Option<string?>("--metrics-token-file") { Description = "File whose first line is the bearer token that reads /metrics (Prometheus: authorization.credentials_file); without it only an admin key does." };
        var accessTokenLifetime = new Option<string?>("--access-token-lifetime") { Description = "Access token lifetime, ISO 8601 (default PT10M, at most PT1H)." };
        var maxTokenLifetime = new Option<string?>("--max-token-lifetime") { Description = "The longest maxTokenLifetime a key ring may have and the longest token any ring signs, ISO 8601 (default PT24H, at most P90D)." };

        var noAdminKey = new Option<bool>("--no-admin-key") { Description = "Turn the bootstrap admin key off: none is generated or accepted on /v1/*; people use the web console at / with passkeys." };
        var consoleOrigin = new Option<string?>("--console-origin") { Description = "The origin browsers reach the web console at (its host name is the passkeys' relying party id); default: the first --urls, 127.0.0.1 read as localhost." };
        var sla = new Option<string?>("--sla") { Description = "Findings hub deadlines per severity, e.g. critical=P7D,high=P30D,medium=P90D,low=P180D (the defaults); none for no deadline.", HelpName = "list" };
        var slaFor = new Option<string?>("--sla-for") { Description = "Deadlines for one project criticality, e.g. critical:high=P14D,critical:medium=P30D.", HelpName = "list" };
        var kevWindow = new Option<string?>("--kev-window") { Description = "Deadline of a finding whose CVE is in the KEV catalogue, whatever its severity (default P7D)." };
        var kevCatalog = new Option<string?>("--kev-catalog") { Description = "CISA's Known Exploited Vulnerabilities catalogue (known_exploited_vulnerabilities.json) the hub flags findings with." };

        var command = new Command("serve", "Run the key service (HSM-held signing keys that rotate themselves, JWKS, signing API, audit) and, with --issuer, the OAuth token service.")
        {
            dataDir, urls, dev, database, module, tokenLabel, pinFile, tlsCert, tlsKey, allowPlainHttp, issuer, accessTokenLifetime, clientCertHeader, dpopNonce, typedAssertions, allowPrivatePush, metricsTokenFile, maxTokenLifetime,
            noAdminKey, consoleOrigin, sla, slaFor, kevWindow, kevCatalog,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var selectedModule = parse.GetValue(module);
            if (selectedModule is not null && (parse.GetValue(tokenLabel) is null || parse.GetValue(pinFile) is null))
            {
                throw new InputException("--pkcs11-module needs --token-label and --pin-file");
            }

            if (selectedModule is null && (parse.GetValue(tokenLabel) is not null || parse.GetValue(pinFile) is not null))
            {
                throw new InputException("--token-label and --pin-file go with --pkcs11-module (the default SoftHSM2 token needs neither)");
            }

            if (parse.GetValue(pinFile) is { } pin && !File.Exists(pin))
            {
                throw new InputException($"{pin}: the PIN file does not exist");
            }

            Uri? issuerUri = null;
            if (parse.GetValue(issuer) is { } issuerText && !Uri.TryCreate(issuerText, UriKind.Absolute, out issuerUri))
            {
                throw new InputException($"--issuer: '{issuerText}' is not an absolute URL");
            }

            TimeSpan? lifetime = null;
            if (parse.GetValue(accessTokenLifetime) is { } lifetimeText)
            {
                lifetime = IsoDuration.TryParse(lifetimeText, out var parsed, out var error) ? parsed : throw new InputException($"--access-token-lifetime: {error}");
            }

            TimeSpan? maximumTokenLifetime = null;
            if (parse.GetValue(maxTokenLifetime) is { } maximumText)
            {
                maximumTokenLifetime = IsoDuration.TryParse(maximumText, out var parsed, out var error) ? parsed : throw new InputException($"--max-token-lifetime: {error}");
            }

            Uri? consoleUri = null;
            if (parse.GetValue(consoleOrigin) is { } originText && (!Uri.TryCreate(originText, UriKind.Absolute, out consoleUri) || consoleUri.Scheme is not ("https" or "http")))
            {
                throw new InputException($"--console-origin: '{originText}' is not an http(s) origin");
            }

            var findingsSla = FindingsSla(parse.GetValue(sla), parse.GetValue(slaFor), parse.GetValue(kevWindow));
            var kev = parse.GetValue(kevCatalog) is { } kevPath ? LoadKev(kevPath) : KevCatalog.Empty;
            var options = new ServerOptions
            {
                AdminKey = !parse.GetValue(noAdminKey),
                ConsoleOrigin = consoleUri,
                FindingsSla = findingsSla,
                FindingsKev = kev,
                MaximumTokenLifetime = maximumTokenLifetime,
                FaultExitAt = Environment.GetEnvironmentVariable(ServerOptions.FaultExitAtVariable) is { Length: > 0 } fault ? fault : null,
                Issuer = issuerUri,
                AccessTokenLifetime = lifetime,
                DataDirectory = parse.GetValue(dataDir)!,
                Urls = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Dev = parse.GetValue(dev),
                Database = parse.GetValue(database),
                Pkcs11Module = selectedModule,
                TokenLabel = parse.GetValue(tokenLabel),
                PinFile = parse.GetValue(pinFile),
                BootstrapAdminKey = Environment.GetEnvironmentVariable("SFI_ADMIN_KEY") is { Length: > 0 } key ? key : null,
                TlsCertificate = parse.GetValue(tlsCert),
                TlsKey = parse.GetValue(tlsKey),
                AllowPlainHttp = parse.GetValue(allowPlainHttp),
                ClientCertificateHeader = parse.GetValue(clientCertHeader),
                RequireDpopNonce = parse.GetValue(dpopNonce),
                RequireTypedClientAssertions = parse.GetValue(typedAssertions),
                AllowPrivatePushEndpoints = parse.GetValue(allowPrivatePush),
                MetricsTokenFile = parse.GetValue(metricsTokenFile),
                Clock = clock,
            };

            SfiServer server;
            try
            {
                server = await SfiServer.StartAsync(options, stdout, cancellationToken: cancellationToken);
            }
            catch (ServerStartException e)
            {
                throw new InputException(e.Message, e);
            }
            catch (ArgumentException e) when (e.Message.Contains("SFI_ADMIN_KEY", StringComparison.Ordinal))
            {
                throw new InputException(e.Message, e);
            }

            await using (server)
            {
                await stdout.WriteLineAsync($"sfi serve: listening on {string.Join(", ", server.Addresses)}{(options.Dev ? " (--dev: relaxed minimums)" : string.Empty)}");
                await stdout.FlushAsync(cancellationToken);
                try
                {
                    await server.WaitForShutdownAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The hub's SLA policy from --sla, --sla-for and --kev-window; a bad value is a usage error naming its option.</summary>
    private static SlaPolicy FindingsSla(string? windows, string? perCriticality, string? kevWindow)
    {
        var policy = SlaPolicy.Default;
        foreach (var (name, value, apply) in new (string, string?, Func<SlaPolicy, string, SlaPolicy>)[]
        {
            ("--sla", windows, (p, v) => SlaPolicyOptions.Apply(p, v, null, null)),
            ("--sla-for", perCriticality, (p, v) => SlaPolicyOptions.Apply(p, null, v, null)),
            ("--kev-window", kevWindow, (p, v) => SlaPolicyOptions.Apply(p, null, null, v)),
        })
        {
            if (value is not null)
            {
                try
                {
                    policy = apply(policy, value);
                }
                catch (FormatException e)
                {
                    throw new InputException($"{name}: {e.Message}", e);
                }
            }
        }

        return policy;
    }

    private static KevCatalog LoadKev(string path)
    {
        try
        {
            return KevCatalog.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"--kev-catalog: {path}: cannot read: {e.Message}", e);
        }
    }
}
