using System.Data.Common;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFuture.Findings.Ingest;
using SecureFuture.Findings.Store;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Events;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys;
using SecureFuture.Keys.Pkcs11;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server;

/// <summary>
/// <c>sfi serve</c>: the key service over HTTP. It owns the store and (unless one is injected) the HSM custodian, runs
/// the rotation scheduler in the background, and keeps answering while the HSM is away: <c>/readyz</c> turns false,
/// signing answers 503, and both recover when the HSM returns, without a restart.
/// </summary>
public sealed class SfiServer : IAsyncDisposable
{
    private const long MaxRequestBytes = 256 * 1024;
    private const string SqliteFileName = "sfi.db";

    private readonly WebApplication _app;
    private readonly IKeyStore _store;
    private readonly SqlClientStore? _clients;
    private readonly IKeyCustodian _custodian;
    private readonly bool _ownsCustodian;
    private readonly FileStream? _dataLock;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;
    private readonly ILoggerFactory _logging;

    private SfiServer(WebApplication app, IKeyStore store, SqlClientStore? clients, IKeyCustodian custodian, bool ownsCustodian, FileStream? dataLock, KeyRingService keys, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, ILoggerFactory logging)
    {
        _logging = logging;
        _certificate = certificate;
        _app = app;
        _store = store;
        _clients = clients;
        _custodian = custodian;
        _ownsCustodian = ownsCustodian;
        _dataLock = dataLock;
        Keys = keys;
    }

    public KeyRingService Keys { get; }

    /// <summary>The host's services, for tests that reach behind the HTTP API (a store written by an older version).</summary>
    internal IServiceProvider Services => _app.Services;

    /// <summary>The addresses Kestrel actually listens on (port 0 resolved).</summary>
    public IReadOnlyList<string> Addresses => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Opens the store, the HSM and the listener; writes the bootstrap admin key to <paramref name="console"/> once.</summary>
    public static async Task<SfiServer> StartAsync(ServerOptions options, TextWriter console, IKeyCustodian? custodian = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var tokenOptions = TokenOptions(options);
        var metricsTokenHash = MetricsAuthentication.ReadTokenHash(options.MetricsTokenFile);
        var keyLimits = KeyLimits(options);
        var certificate = CheckListeners(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        await DataDirectory.PrepareAsync(dataDirectory, options.Database is null ? Path.Combine(dataDirectory, SqliteFileName) : null, console);
        FileStream? dataLock = null;
        SqlKeyStore? store = null;
        SqlClientStore? clientStore = null;
        ILoggerFactory? logging = null;
        var ownsCustodian = custodian is null;
        try
        {
            if (options.Database is null)
            {
                dataLock = LockDataDirectory(dataDirectory);
                store = SqlKeyStore.OpenSqlite(Path.Combine(dataDirectory, SqliteFileName));
            }
            else
            {
                store = SqlKeyStore.OpenPostgres(options.Database);
            }

            try
            {
                await store.InitializeAsync(cancellationToken);
            }
            catch (DbException e)
            {
                throw new ServerStartException($"cannot open the store {store.Description}: {e.Message}", e);
            }

            // The findings hub shares the key store's database (one SQLite file, or one PostgreSQL database).
            var findingStore = new SqlFindingStore(store.DataSource, store.IsPostgres, options.Clock, options.FindingsSla, options.FindingsKev);
            try
            {
                await findingStore.InitializeAsync(cancellationToken);
                // The policy or the catalogue may have changed since the last start: deadlines and KEV flags follow them.
                await findingStore.ApplySlaAsync(options.FindingsSla, options.FindingsKev, cancellationToken);
            }
            catch (Exception e) when (e is DbException or StoreUnavailableException)
            {
                throw new ServerStartException($"cannot open the findings tables in {store.Description}: {e.Message}", e);
            }

            var findings = new FindingsEndpoints(findingStore, options.Clock, IngestLimits.Default);
            var admin = new AdminAuthentication(store, options.Clock, options.AdminKey);
            var metricsAccess = new MetricsAuthentication(metricsTokenHash, admin);
            var shown = await admin.BootstrapAsync(options.BootstrapAdminKey, cancellationToken);
            if (shown is not null)
            {
                await console.WriteLineAsync("sfi serve: generated the admin key. It is shown only this once and stored only as a hash:");
                await console.WriteLineAsync($"  {shown}");
                await console.WriteLineAsync("  Send it as 'Authorization: Bearer <key>' to /v1/*; set SFI_ADMIN_KEY before the first start to choose it.");
            }

            custodian ??= new Pkcs11Custodian(options.Pkcs11Module is null
                ? SoftHsmToken.Prepare(dataDirectory)
                : new Pkcs11Options
                {
                    ModulePath = options.Pkcs11Module,
                    TokenLabel = options.TokenLabel ?? throw new ServerStartException("--pkcs11-module needs --token-label"),
                    PinFile = options.PinFile ?? throw new ServerStartException("--pkcs11-module needs --pin-file"),
                });

            // No configuration file is reloaded on change: the watcher for it covers the content root, the data
            // directory, and was woken by every write to the database's WAL and the HSM's token files (about a tenth of
            // the server's CPU per issued token).
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ContentRootPath = dataDirectory,
                EnvironmentName = "Production",
                Args = ["--hostBuilder:reloadConfigOnChange=false"],
            });
            builder.WebHost.UseUrls([.. options.Urls]);
            if (certificate is not null)
            {
                builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves https out unless asked
            }

            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = MaxRequestBytes;
                if (certificate is not null)
                {
                    kestrel.ConfigureHttpsDefaults(https =>
                    {
                        https.ServerCertificate = certificate;
                        if (tokenOptions is not null)
                        {
                            AllowClientCertificates(https);
                        }
                    });
                }
            });
            // The host's one logging pipeline, made before the host: the key service, which the console's setup needs
            // before the host is built, gets its ILogger<T> from the same factory the container hands to everything else.
            logging = LoggerFactory.Create(log => ConfigureLogging(log, options.LoggerProviders));
            builder.Services.AddSingleton(logging);
            builder.Services.AddSingleton(options.Clock);
            var keys = new KeyRingService(store, custodian, options.Clock, new KeyServiceOptions
            {
                Dev = options.Dev,
                RequiredRings = tokenOptions is null ? [] : [new KeyRingRequest { Name = tokenOptions.RingName, Issuer = tokenOptions.Issuer.AbsoluteUri }, new KeyRingRequest { Name = SecurityEventPublisher.RingName }],
                InternalRings = new HashSet<string>(StringComparer.Ordinal) { SecurityEventPublisher.RingName },
                MaximumTokenLifetime = keyLimits.MaximumTokenLifetime,
                FaultPoint = keyLimits.FaultPoint,
                NodeName = Environment.MachineName,
            }, logging.CreateLogger<KeyRingService>());
            builder.Services.AddSingleton(keys);
            builder.Services.AddSingleton<IFindingStore>(findingStore);
            builder.Services.AddSingleton(new KeySchedulerOptions(options.SchedulerInterval ?? (options.Dev ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(15))));
            builder.Services.AddSingleton<KeyScheduler>();
            builder.Services.AddHostedService(provider => provider.GetRequiredService<KeyScheduler>());
            builder.Services.AddHostedService<SignatureAuditWriter>();
            builder.Services.AddHostedService<AcceptanceExpiry>();
            builder.Services.AddHostedService<KeyCacheListener>();
            builder.Services.AddProblemDetails();
            builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, SecurityHeaders>();
            if (tokenOptions is not null)
            {
                if (await store.GetRingAsync(tokenOptions.RingName, cancellationToken) is { } tokenRing && tokenRing.Policy.Issuer != tokenOptions.Issuer.AbsoluteUri)
                {
                    throw new ServerStartException($"--issuer: the key ring '{tokenOptions.RingName}' in this store signs for {tokenRing.Policy.Issuer ?? "no issuer"}, not {tokenOptions.Issuer.AbsoluteUri}; a ring's keys never sign for another issuer");
                }

                clientStore = new SqlClientStore(store.DataSource, store.IsPostgres);
                try
                {
                    await clientStore.InitializeAsync(cancellationToken);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    // SQLite's replay journal: damaged, or held by another store. The server does not start rather
                    // than decide single use without it.
                    throw new ServerStartException($"the token service's single-use identifiers cannot be read: {e.Message}", e);
                }
                builder.Services.AddSfiIdentity(clientStore, store, tokenOptions, options.Clock, options.AllowPrivatePushEndpoints);
            }

            await WebConsole.ConsoleHost.AddAsync(builder.Services, new WebConsole.ConsoleSetup(store.DataSource, store.IsPostgres, keys, findingStore, ConsoleOrigin(options), options.AdminKey, options.Clock, findings.Changed), console, cancellationToken);
            builder.Services.AddSingleton(findings);
            var app = builder.Build();
            var identity = app.Services.GetService<IdentityEndpoints>();
            var v1 = MapEndpoints(app, keys, admin, metricsAccess, app.Services.GetRequiredService<KeyScheduler>(), findings, identity);
            findings.Map(v1);
            identity?.Map(app, v1);
            WebConsole.ConsoleHost.Map(app);
            await app.StartAsync(cancellationToken);
            return new SfiServer(app, store, clientStore, custodian, ownsCustodian, dataLock, keys, certificate, logging);
        }
        catch
        {
            if (clientStore is not null)
            {
                await clientStore.DisposeAsync();
            }

            if (store is not null)
            {
                await store.DisposeAsync();
            }

            if (ownsCustodian)
            {
                custodian?.Dispose();
            }

            dataLock?.Dispose();
            certificate?.Dispose();
            logging?.Dispose();
            throw;
        }
    }

    /// <summary>Runs until the host is asked to stop (Ctrl+C, SIGTERM or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        if (_clients is not null)
        {
            await _clients.DisposeAsync(); // after the host: nothing records identifiers any more
        }

        await _store.DisposeAsync();
        if (_ownsCustodian)
        {
            _custodian.Dispose();
        }

        if (_dataLock is not null)
        {
            await _dataLock.DisposeAsync();
        }

        _certificate?.Dispose();
        _logging.Dispose();
    }

    /// <summary>
    /// One line per message on the console at Information, ASP.NET Core's and OpenIddict's chatter at Warning, and
    /// whatever <paramref name="extra"/> providers the embedding host or a test adds.
    /// </summary>
    private static void ConfigureLogging(ILoggingBuilder logging, IReadOnlyList<ILoggerProvider> extra)
    {
        logging.AddSimpleConsole(c => c.SingleLine = true);
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("OpenIddict", LogLevel.Warning); // it logs every request at Information, several lines each
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // Its request lines are Information and Debug; with any of its levels enabled, ASP.NET Core starts an Activity
        // (and an execution-context change) for every request, only to correlate log lines that are never written.
        // Startup failures still reach the console: they end `sfi serve` with its own message.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        foreach (var provider in extra)
        {
            logging.AddProvider(provider);
        }
    }

    /// <summary>
    /// RFC 8705 §3: the token endpoint and the resource endpoints ask every TLS client for a certificate, and take any
    /// one, self-signed included. The certificate authenticates no one here (clients authenticate with
    /// <c>private_key_jwt</c>); its SHA-256 thumbprint is what a token is bound to, so no chain, CA or revocation
    /// check applies — and none is attempted, so a client's certificate cannot make the server fetch URLs it names.
    /// A client without a certificate connects as before.
    /// </summary>
    private static void AllowClientCertificates(HttpsConnectionAdapterOptions https)
    {
        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        https.ClientCertificateValidation = (_, _, _) => true;
        https.CheckCertificateRevocation = false;
        https.OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
    }

    private static TokenServiceOptions? TokenOptions(ServerOptions options)
    {
        if (options.Issuer is not { } issuer)
        {
            if (options.ClientCertificateHeader is not null)
            {
                throw new ServerStartException("--client-cert-header needs --issuer (it is read for certificate-bound tokens)");
            }

            if (options.RequireDpopNonce)
            {
                throw new ServerStartException("--dpop-nonce needs --issuer (the token service is off without one)");
            }

            if (options.RequireTypedClientAssertions)
            {
                throw new ServerStartException("--require-typed-client-assertions needs --issuer (the token service is off without one)");
            }

            return options.AccessTokenLifetime is null ? null : throw new ServerStartException("--access-token-lifetime needs --issuer (the token service is off without one)");
        }

        if (options.ClientCertificateHeader is { } header && !IsForwardingHeaderName(header))
        {
            throw new ServerStartException($"--client-cert-header: '{header}' must be a header name of 1-64 letters, digits and '-', and not one HTTP or OAuth already uses");
        }

        if (!issuer.IsAbsoluteUri || issuer.Scheme is not ("https" or "http") || (issuer.Scheme == "http" && !issuer.IsLoopback) || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
        {
            throw new ServerStartException($"--issuer: '{issuer}' must be an https URL without query or fragment (http only on loopback, for tests)");
        }

        var lifetime = options.AccessTokenLifetime ?? TimeSpan.FromMinutes(10);
        if (lifetime <= TimeSpan.Zero || lifetime > TokenServiceOptions.MaxAccessTokenLifetime)
        {
            throw new ServerStartException("--access-token-lifetime: more than zero and at most PT1H");
        }

        return new TokenServiceOptions { Issuer = issuer, AccessTokenLifetime = lifetime, ClientCertificateHeader = options.ClientCertificateHeader, RequireDpopNonce = options.RequireDpopNonce, RequireTypedClientAssertions = options.RequireTypedClientAssertions };
    }

    /// <summary>The console's origin: as given, else the first listener with 127.0.0.1 or a wildcard read as localhost (WebAuthn needs a host name).</summary>
    private static Uri ConsoleOrigin(ServerOptions options)
        => options.ConsoleOrigin ?? new UriBuilder(options.Urls[0].Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://127.0.0.1", "://localhost", StringComparison.Ordinal)).Uri;

    private static bool IsForwardingHeaderName(string name)
        => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && !new[] { "Authorization", "DPoP", "Host", "Cookie", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection" }.Contains(name, StringComparer.OrdinalIgnoreCase);

    private static RouteGroupBuilder MapEndpoints(WebApplication app, KeyRingService keys, AdminAuthentication admin, MetricsAuthentication metricsAccess, KeyScheduler scheduler, FindingsEndpoints findings, IdentityEndpoints? identity)
    {
        var log = app.Services.GetRequiredService<ILogger<SfiServer>>();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                var result = e switch
                {
                    KeyServiceException k => Problems.From(k),
                    JsonException j => Problems.BadJson(j),
                    HsmUnavailableException h => Problems.Of(503, "Unavailable", "the HSM is unavailable: " + h.Message),
                    DbException or StoreUnavailableException => Problems.Of(503, "Unavailable", "the store is unavailable; nothing was stored, retry later"),
                    SarifIngestException { Error: SarifIngestError.LimitExceeded } s => Problems.Of(413, "Payload too large", "SARIF log: " + s.Message),
                    SarifIngestException s => Problems.Of(400, "Invalid SARIF", "SARIF log: " + s.Message, jsonPath: s.JsonPath, line: s.Line, column: s.Column),
                    UnknownProjectException u => Problems.Of(404, "Not found", u.Message),
                    BadHttpRequestException { StatusCode: 413 } => Problems.Of(413, "Payload too large", $"the request body is larger than {MaxRequestBytes} bytes"),
                    BadHttpRequestException b => Problems.Of(b.StatusCode, "Invalid request", b.Message),
                    _ => null,
                };
                if (result is null)
                {
                    ServerLog.Unhandled(log, e, context.Request.Method, context.Request.Path);
                    result = Problems.Of(500, "Internal error", "the server failed; the log has the details");
                }

                if (e is DbException or StoreUnavailableException)
                {
                    context.Response.Headers.RetryAfter = FindingsEndpoints.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                if (e is DbException or HsmUnavailableException or StoreUnavailableException)
                {
                    ServerLog.Unavailable(log, context.Request.Method, context.Request.Path, e.Message);
                }

                await result.ExecuteAsync(context);
            }
        });
        if (identity is not null)
        {
            // OpenIddict answers /oauth2/* from inside the authentication middleware, which ASP.NET Core would otherwise put
            // first in the pipeline, before the error mapping above: a store outage there was an unhandled 500.
            app.UseSfiTokenEndpoint();
            app.UseAuthentication();
        }

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", async (CancellationToken ct) =>
        {
            var (store, hsm, problem) = await keys.CheckReadinessAsync(ct);
            var ready = store && hsm && scheduler.Initialized;
            // A ring whose scheduled work fails is listed but does not take the node out of service: its other rings,
            // and that ring's current key until it is overdue, still sign.
            var unhealthy = keys.UnhealthyRings;
            var status = !ready ? "unavailable" : unhealthy.Count > 0 ? "degraded" : "ready";
            var body = new { status, store, hsm, initialized = scheduler.Initialized, problem, unhealthyRings = unhealthy.Count > 0 ? unhealthy : null };
            return Results.Json(body, Api.Json, statusCode: ready ? 200 : 503);
        });
        app.MapGet("/metrics", async (HttpContext context, CancellationToken ct) =>
        {
            if (!await metricsAccess.AllowsAsync(context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, ct))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"sfi-metrics\"";
                ServerLog.Unauthenticated(log, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString());
                return Problems.Of(401, "Unauthorized", "metrics need 'Authorization: Bearer <metrics token>' (--metrics-token-file) or an admin key");
            }

            var text = new StringBuilder();
            keys.Metrics.WriteTo(text);
            app.Services.GetService<ClientService>()?.Metrics.WriteTo(text);
            await findings.WritePrometheusAsync(text, log, ct);
            text.Append("# HELP sfi_ready Whether the key service finished initializing.\n# TYPE sfi_ready gauge\n").Append(scheduler.Initialized ? "sfi_ready 1\n" : "sfi_ready 0\n");
            return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
        });

        app.MapGet("/.well-known/jwks.json", (HttpContext context, CancellationToken ct) => JwksAsync(context, keys, keys.DefaultRingName, ct));
        app.MapGet("/v1/keyrings/{name}/jwks.json", (HttpContext context, string name, CancellationToken ct) => JwksAsync(context, keys, name, ct));

        var v1 = app.MapGroup("/v1").AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var who = await admin.AuthenticateAsync(context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, context.RequestAborted);
            if (who is null && identity is not null && context.GetEndpoint()?.Metadata.GetMetadata<FindingsEndpoints.ClientPush>() is not null)
            {
                // A CI client pushing an analysis with a token from this server's token service.
                var (clientId, scopes, refused) = await identity.AuthenticateClientAsync(context, context.RequestAborted);
                if (refused is not null)
                {
                    ServerLog.Unauthenticated(log, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString());
                    return refused;
                }

                if (FindingsEndpoints.RefusePush(context, scopes) is { } forbidden)
                {
                    return forbidden;
                }

                context.Items["sfi.actor"] = "client:" + clientId;
                return await next(invocation);
            }

            if (who is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"sfi\"";
                ServerLog.Unauthenticated(log, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString());
                return Problems.Of(401, "Unauthorized", "admin endpoints need 'Authorization: Bearer <admin key>'");
            }

            context.Items["sfi.actor"] = "admin:" + who;
            return await next(invocation);
        });

        v1.MapPost("/keyrings", async (HttpContext context, CancellationToken ct) =>
        {
            var request = await ReadAsync<KeyRingRequest>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required");
            var ring = await keys.CreateRingAsync(request, Actor(context), isDefault: false, ct);
            var (created, versions) = await keys.GetRingAsync(ring.Name, ct);
            // sfi:ignore SFI-CODE-013 the name passed KeyRingPolicies' check in CreateRingAsync (lowercase letters, digits, '-', '_', '.'): no CR/LF can reach the header
            context.Response.Headers.Location = $"/v1/keyrings/{ring.Name}";
            return Results.Json(Api.View(created, versions), Api.Json, statusCode: 201);
        });
        v1.MapGet("/keyrings", async (CancellationToken ct) =>
        {
            var rings = await keys.ListRingsAsync(ct);
            return Results.Json(new { keyrings = rings.Select(r => Api.View(r, null)) }, Api.Json);
        });
        v1.MapGet("/keyrings/{name}", async (string name, CancellationToken ct) =>
        {
            var (ring, versions) = await keys.GetRingAsync(name, ct);
            return Results.Json(Api.View(ring, versions), Api.Json);
        });
        v1.MapPost("/keyrings/{name}/sign", async (HttpContext context, string name, CancellationToken ct) =>
        {
            var request = await ReadAsync<Api.SignRequest>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required");
            var result = await keys.SignForAsync(name, Api.Bytes(request.Digest, "digest"), Api.Bytes(request.Payload, "payload"), new SignCaller(Actor(context), External: true), ct);
            return Results.Json(new Api.SignResponse(result.Kid, result.Algorithm, Base64Url.Encode(result.Signature)), Api.Json);
        });
        v1.MapPost("/keyrings/{name}/verify", async (HttpContext context, string name, CancellationToken ct) =>
        {
            var request = await ReadAsync<Api.VerifyRequest>(context, required: true, ct) ?? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required");
            var kid = request.Kid ?? throw new KeyServiceException(KeyErrorKind.Invalid, "kid: required");
            var signature = Api.Bytes(request.Signature, "signature") ?? throw new KeyServiceException(KeyErrorKind.Invalid, "signature: required");
            var result = await keys.VerifyAsync(name, kid, Api.Bytes(request.Digest, "digest"), Api.Bytes(request.Payload, "payload"), signature, ct);
            return Results.Json(new Api.VerifyResponse(result.Valid, result.Kid, result.State?.ToString().ToLowerInvariant(), result.Reason), Api.Json);
        });
        v1.MapPost("/keyrings/{name}/rotate", async (HttpContext context, string name, CancellationToken ct) =>
        {
            var request = await ReadAsync<Api.RotateRequest>(context, required: false, ct) ?? new Api.RotateRequest(null, null);
            var key = await keys.RotateAsync(name, Actor(context), request.Reason, request.RetireImmediately ?? false, ct);
            ServerLog.EmergencyRotation(log, name, Actor(context), key.Kid);
            return Results.Json(Api.View(key), Api.Json);
        });
        return v1;
    }

    private static async Task<IResult> JwksAsync(HttpContext context, KeyRingService keys, string ring, CancellationToken cancellationToken)
    {
        var (json, maxAge) = await keys.GetJwksAsync(ring, cancellationToken);
        context.Response.Headers.CacheControl = $"public, max-age={(long)maxAge.TotalSeconds}";
        return Results.Bytes(json, "application/json");
    }

    /// <summary>The key-custody limits of <paramref name="options"/>: the token lifetime bound and the test-only fault hook.</summary>
    private static (TimeSpan MaximumTokenLifetime, Action<string>? FaultPoint) KeyLimits(ServerOptions options)
    {
        var maximum = options.MaximumTokenLifetime ?? KeyRingPolicies.DefaultMaximumTokenLifetime;
        if (maximum <= TimeSpan.Zero || maximum > KeyRingPolicies.MaximumVerificationGrace)
        {
            throw new ServerStartException($"--max-token-lifetime: must be longer than zero and at most {Core.IsoDuration.Format(KeyRingPolicies.MaximumVerificationGrace)} (a token must stay verifiable for its whole life)");
        }

        if (options.FaultExitAt is not { } point)
        {
            return (maximum, null);
        }

        // Fault injection kills the server on purpose: only a --dev server (tests, demos) honours it, and only a named step.
        if (!options.Dev)
        {
            throw new ServerStartException($"{ServerOptions.FaultExitAtVariable} is a test-only hook and is honoured only with --dev; unset it");
        }

        if (!KeyFaultPoints.All.Contains(point, StringComparer.Ordinal))
        {
            throw new ServerStartException($"{ServerOptions.FaultExitAtVariable}: '{point}' is not a fault point; one of {string.Join(", ", KeyFaultPoints.All)}");
        }

        return (maximum, KillAtPoint);

        void KillAtPoint(string reached)
        {
            if (reached == point)
            {
                // SIGKILL to itself: no shutdown hook, no flush, exactly what a crash at this step leaves behind.
                Console.Error.WriteLine($"sfi serve: {ServerOptions.FaultExitAtVariable}={point}: killing the process at this step (test-only fault injection)");
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
        }
    }

    internal static string Actor(HttpContext context) => context.Items["sfi.actor"] as string ?? "admin";

    internal static async Task<T?> ReadAsync<T>(HttpContext context, bool required, CancellationToken cancellationToken)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength == 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return required ? throw new KeyServiceException(KeyErrorKind.Invalid, "request body: a JSON object is required") : null;
        }

        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, $"request body: Content-Type must be application/json, not {type}");
        }

        return await JsonSerializer.DeserializeAsync<T>(request.Body, Api.Json, cancellationToken);
    }

    /// <summary>
    /// Refuses listeners that would carry the admin key in clear text over a network, and loads the TLS certificate
    /// that https listeners need.
    /// </summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2? CheckListeners(ServerOptions options)
    {
        var https = false;
        foreach (var url in options.Urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ServerStartException($"--urls: '{url}' is not an http or https URL");
            }

            https |= uri.Scheme == "https";
            var loopback = uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
            if (uri.Scheme == "http" && !loopback && !options.AllowPlainHttp)
            {
                throw new ServerStartException($"--urls: {url} would carry the admin key and signing requests in clear text; use https with --tls-cert and --tls-key, bind to 127.0.0.1 behind a TLS proxy, or pass --allow-plain-http");
            }
        }

        if ((options.TlsCertificate is null) != (options.TlsKey is null))
        {
            throw new ServerStartException("--tls-cert and --tls-key go together");
        }

        if (options.TlsCertificate is null)
        {
            return https ? throw new ServerStartException("https URLs need --tls-cert and --tls-key (PEM files)") : null;
        }

        try
        {
            return System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ServerStartException($"cannot load the TLS certificate {options.TlsCertificate} with its key: {e.Message}", e);
        }
    }

    private static FileStream LockDataDirectory(string dataDirectory)
    {
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return new FileStream(Path.Combine(dataDirectory, "sfi.lock"), options);
        }
        catch (IOException e)
        {
            throw new ServerStartException($"another sfi serve is using {dataDirectory} (SQLite serves one node; use --database for several)", e);
        }
    }
}

/// <summary>The server cannot start with these options; the message says why and what to change.</summary>
public sealed class ServerStartException : Exception
{
    public ServerStartException(string message)
        : base(message)
    {
    }

    public ServerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ServerStartException()
    {
    }
}
