using System.Collections.Concurrent;
using System.Text.Json;
using SecureFuture.Keys;
using SecureFuture.Keys.Audit;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Identity.Clients;

/// <summary>The body of <c>POST /v1/clients</c>.</summary>
public sealed record ClientRegistration
{
    public string? ClientId { get; init; }

    public JsonElement? Jwks { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    public IReadOnlyList<string>? Audiences { get; init; }

    public bool? RequireDpop { get; init; }

    /// <summary>RFC 8705 §3.4 <c>tls_client_certificate_bound_access_tokens</c>.</summary>
    public bool? TlsClientCertificateBoundAccessTokens { get; init; }
}

/// <summary>
/// The body of <c>PATCH /v1/clients/{id}</c>: the settings to change; absent members stay as they are. Keys change with
/// <c>PUT /v1/clients/{id}/jwks</c>, the enabled state with <c>.../disable</c> and <c>.../enable</c>.
/// </summary>
public sealed record ClientUpdate
{
    public IReadOnlyList<string>? Scopes { get; init; }

    public IReadOnlyList<string>? Audiences { get; init; }

    public bool? RequireDpop { get; init; }

    public bool? TlsClientCertificateBoundAccessTokens { get; init; }
}

/// <summary>
/// Registers, changes and looks up OAuth clients. Every change is written with a security event and an entry in the
/// key service's hash-chained audit log (who, what, when). Lookups are cached for at most a second, so a client
/// disabled on one node stops getting tokens on every node within about a second.
/// </summary>
public sealed class ClientService(SqlClientStore store, IKeyStore audit, TimeProvider clock, string defaultAudience)
{
    /// <summary>Counters for /metrics.</summary>
    public IdentityMetrics Metrics { get; } = new();

    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (long Stamp, OAuthClient? Client)> _cache = new(StringComparer.Ordinal);

    public SqlClientStore Store => store;

    public async Task<OAuthClient> RegisterAsync(ClientRegistration request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clientId = request.ClientId ?? throw Invalid("clientId: required");
        if (!ClientIds.IsValid(clientId))
        {
            throw Invalid($"clientId: '{Printable(clientId)}' must be {ClientIds.Rule}");
        }

        var keys = ClientKeySet.Parse(request.Jwks ?? throw Invalid("jwks: required (the client's public keys)"));
        var scopes = Names(request.Scopes ?? [], "scopes");
        var audiences = Names(request.Audiences ?? [defaultAudience], "audiences");
        if (audiences.Count == 0)
        {
            throw Invalid("audiences: at least one; tokens are always restricted to an audience");
        }

        var requireDpop = request.RequireDpop ?? false;
        var certificateBound = request.TlsClientCertificateBoundAccessTokens ?? false;
        if (requireDpop && certificateBound)
        {
            // RFC 7800 §3.1: cnf names one proof-of-possession key, so a token cannot be bound to both at once.
            throw Invalid("requireDpop and tlsClientCertificateBoundAccessTokens exclude each other: a token is bound to one key (RFC 7800 §3.1)");
        }

        var now = clock.GetUtcNow();
        var client = new OAuthClient(clientId, keys, scopes, audiences, Enabled: true, requireDpop, certificateBound, now, now, Revision: 1);
        if (!await store.AddAsync(client, Event(now, "client.registered", clientId, actor, $"keys {string.Join(",", keys.KeyIds)}"), cancellationToken))
        {
            throw new KeyServiceException(KeyErrorKind.Conflict, $"client '{clientId}' exists; change its keys with PUT /v1/clients/{clientId}/jwks");
        }

        await AuditAsync(actor, "client.registered", clientId, new Dictionary<string, string> { ["keys"] = string.Join(",", keys.KeyIds), ["scopes"] = string.Join(" ", scopes) }, now, cancellationToken);
        _cache.TryRemove(clientId, out _);
        return client;
    }

    public async Task<OAuthClient> SetEnabledAsync(string clientId, bool enabled, string actor, string? reason, CancellationToken cancellationToken)
    {
        var type = enabled ? "client.enabled" : "client.disabled";
        return await ChangeAsync(clientId, c => c with { Enabled = enabled }, type, actor, reason ?? string.Empty, cancellationToken);
    }

    /// <summary>Replaces a client's keys (its rotation): assertions signed by a removed key stop working at once.</summary>
    public async Task<OAuthClient> ReplaceKeysAsync(string clientId, JsonElement jwks, string actor, CancellationToken cancellationToken)
    {
        var keys = ClientKeySet.Parse(jwks);
        return await ChangeAsync(clientId, c => c with { Keys = keys }, "client.keys-replaced", actor, $"keys {string.Join(",", keys.KeyIds)}", cancellationToken);
    }

    /// <summary>
    /// Changes a client's scopes, audiences or binding requirement. When anything changed, a <c>client.updated</c>
    /// security event is published (CAEP token-claims-change), so resource servers refuse the client's earlier tokens,
    /// which carry the old scopes, audiences or no binding, and the client gets new ones under the new settings.
    /// </summary>
    public async Task<OAuthClient> UpdateAsync(string clientId, ClientUpdate update, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var scopes = update.Scopes is null ? null : Names(update.Scopes, "scopes");
        var audiences = update.Audiences is null ? null : Names(update.Audiences, "audiences");
        if (audiences is { Count: 0 })
        {
            throw Invalid("audiences: at least one; tokens are always restricted to an audience");
        }

        OAuthClient Change(OAuthClient c)
        {
            var next = c with
            {
                Scopes = scopes ?? c.Scopes,
                Audiences = audiences ?? c.Audiences,
                RequireDpop = update.RequireDpop ?? c.RequireDpop,
                TlsClientCertificateBoundAccessTokens = update.TlsClientCertificateBoundAccessTokens ?? c.TlsClientCertificateBoundAccessTokens,
            };
            return next.RequireDpop && next.TlsClientCertificateBoundAccessTokens
                ? throw Invalid("requireDpop and tlsClientCertificateBoundAccessTokens exclude each other: a token is bound to one key (RFC 7800 §3.1)")
                : next;
        }

        var current = await GetAsync(clientId, cancellationToken);
        var wanted = Change(current);
        if (wanted.Scopes.SequenceEqual(current.Scopes, StringComparer.Ordinal) && wanted.Audiences.SequenceEqual(current.Audiences, StringComparer.Ordinal)
            && wanted.RequireDpop == current.RequireDpop && wanted.TlsClientCertificateBoundAccessTokens == current.TlsClientCertificateBoundAccessTokens)
        {
            return current; // nothing to change: no event, no audit entry, earlier tokens stay valid
        }

        return await ChangeAsync(clientId, Change, "client.updated", actor, Describe(wanted), cancellationToken);

        // The new values as the claims of the client's future tokens (CAEP token-claims-change carries them).
        static string Describe(OAuthClient c) => new System.Text.Json.Nodes.JsonObject
        {
            ["scope"] = string.Join(" ", c.Scopes),
            ["aud"] = new System.Text.Json.Nodes.JsonArray([.. c.Audiences.Select(a => (System.Text.Json.Nodes.JsonNode)a)]),
            ["sfi_binding"] = c.RequireDpop ? "dpop" : c.TlsClientCertificateBoundAccessTokens ? "mtls" : "optional",
        }.ToJsonString();
    }

    public async Task<OAuthClient> GetAsync(string clientId, CancellationToken cancellationToken)
        => await store.GetAsync(clientId, cancellationToken) ?? throw new KeyServiceException(KeyErrorKind.NotFound, $"no client '{clientId}'");

    public Task<IReadOnlyList<OAuthClient>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    /// <summary>The client as this node saw it at most a second ago (null when unknown); for the token endpoint.</summary>
    public async Task<OAuthClient?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        var stamp = clock.GetTimestamp();
        if (_cache.TryGetValue(clientId, out var cached) && clock.GetElapsedTime(cached.Stamp, stamp) < CacheTtl)
        {
            return cached.Client;
        }

        var client = await store.GetAsync(clientId, cancellationToken);
        if (_cache.Count > 10_000)
        {
            _cache.Clear(); // unknown ids must not grow the cache without bound
        }

        _cache[clientId] = (stamp, client);
        return client;
    }

    /// <summary>
    /// Revokes every session of a subject (here: every token issued to a client up to now). Resource servers that
    /// receive the event refuse those tokens with <c>invalid_token</c>; new tokens are unaffected.
    /// </summary>
    public async Task RevokeSubjectAsync(string subject, string actor, string? reason, CancellationToken cancellationToken)
    {
        CheckId(subject, "subject");
        var now = clock.GetUtcNow();
        await store.AddEventAsync(Event(now, "subject.revoked", subject, actor, reason ?? string.Empty), cancellationToken);
        await AuditAsync(actor, "subject.revoked", subject, new Dictionary<string, string> { ["reason"] = reason ?? string.Empty }, now, cancellationToken);
    }

    /// <summary>Records the revocation of one access token (RFC 7009) by the client it was issued to.</summary>
    public async Task RevokeTokenAsync(string clientId, string jti, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await store.AddEventAsync(Event(now, "token.revoked", clientId, "client:" + clientId, "revoked by its client") with { Subject = jti }, cancellationToken);
        Metrics.CountEvent("token.revoked", clientId);
    }

    /// <summary>Records a security event that is not a registration change (replayed proof, signature failure, ...).</summary>
    /// <remarks>
    /// Only registered clients are named in the event and the metrics; an unknown id is recorded as such. A refusal at
    /// the token endpoint counts towards the throttle of its <paramref name="source"/> (<see cref="AttemptSource"/>),
    /// and of the pair (client, source) when the client is registered.
    /// </remarks>
    public async Task RecordAsync(string type, string? clientId, string? source, string details, CancellationToken cancellationToken)
    {
        var registered = await RegisteredAsync(clientId, cancellationToken);
        Metrics.CountEvent(type, registered);
        if (source is not null && IsThrottled(type))
        {
            CountFailure(registered, source);
        }

        await AddDetectedEventAsync(clock.GetUtcNow(), type, clientId, registered, details, cancellationToken, source);
    }

    /// <summary>The client id when it names a registered client; null otherwise (metrics and events never carry unknown ids).</summary>
    private async Task<string?> RegisteredAsync(string? clientId, CancellationToken cancellationToken)
        => clientId is not null && await FindAsync(clientId, cancellationToken) is not null ? clientId : null;

    /// <summary>Stores an event sfi itself detected, saying so when the client id it named is not registered.</summary>
    private Task AddDetectedEventAsync(DateTimeOffset at, string type, string? clientId, string? registered, string details, CancellationToken cancellationToken, string? source = null)
        => store.AddEventAsync(Event(at, type, registered, "sfi", registered is null && clientId is not null ? details + " (unregistered client id)" : details) with { Source = source }, cancellationToken);

    /// <summary>
    /// Records a refusal at one of this server's resource endpoints that points at an attack (a forged or foreign-key
    /// token, a stolen bound token, a replayed proof, revoked access), as <c>attack.resource.{kind}</c> of the client
    /// whose verified token was misused (unregistered when the token did not verify). Counted every time; written to
    /// the security events at most once per kind and client every <see cref="ResourceRecordInterval"/> per node, with
    /// the number left out since, so a flood of forged tokens cannot flood the store. The client is not throttled for
    /// it: whoever presents its stolen token is not the client.
    /// </summary>
    public async Task RecordResourceRefusalAsync(string kind, string? clientId, string details, CancellationToken cancellationToken)
    {
        var type = ResourceAttackPrefix + kind;
        var registered = await RegisteredAsync(clientId, cancellationToken);
        Metrics.CountEvent(type, registered);
        var key = type + " " + (registered ?? string.Empty);
        var now = clock.GetUtcNow();
        long left;
        lock (_resourceRecords)
        {
            if (_resourceRecords.TryGetValue(key, out var last) && now - last.At < ResourceRecordInterval)
            {
                _resourceRecords[key] = (last.At, last.Left + 1);
                return;
            }

            left = last.Left;
            if (_resourceRecords.Count >= 10_000)
            {
                _resourceRecords.Clear(); // kinds x registered clients; bounded all the same
            }

            _resourceRecords[key] = (now, 0);
        }

        var text = left > 0 ? $"{details} (and {left} more since the previous record)" : details;
        await AddDetectedEventAsync(now, type, clientId, registered, text, cancellationToken);
    }

    /// <summary>At most one stored <c>attack.resource.*</c> event per kind and client in this interval, per node.</summary>
    public TimeSpan ResourceRecordInterval { get; init; } = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (DateTimeOffset At, long Left)> _resourceRecords = new(StringComparer.Ordinal);

    /// <summary>Security events of refusals that point at an attack.</summary>
    internal const string AttackPrefix = "attack.";

    /// <summary>Attack refusals at resource endpoints: recorded, but not counted towards the client's throttle.</summary>
    internal const string ResourceAttackPrefix = "attack.resource.";

    /// <summary>Refusals at the token endpoint count towards a client's throttle; those at resource endpoints do not.</summary>
    internal static bool IsThrottled(string type)
        => type.StartsWith(AttackPrefix, StringComparison.Ordinal) && !type.StartsWith(ResourceAttackPrefix, StringComparison.Ordinal);

    /// <summary>
    /// How many refused attempts for one client from one source (<see cref="AttemptSource"/>) within
    /// <see cref="FailureWindow"/> make that source wait before it tries that client again.
    /// </summary>
    public int MaxFailures { get; init; } = 20;

    /// <summary>How many refused attempts from one source, whatever clients they named, make that source wait.</summary>
    public int MaxFailuresPerSource { get; init; } = 100;

    /// <summary>The sliding window for <see cref="MaxFailures"/> and <see cref="MaxFailuresPerSource"/>.</summary>
    public TimeSpan FailureWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Upper bound of tracked sources and pairs; past it the oldest counts are dropped (never a memory exhaustion).</summary>
    private const int MaxTracked = 100_000;

    /// <summary>Times of refused attempts, keyed by <see cref="SourceKey"/> and <see cref="PairKey"/>.</summary>
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>Sources and pairs over the limit counting every node's refusals, as of the last <see cref="RefreshSharedRefusalsAsync"/>.</summary>
    private volatile Dictionary<string, DateTimeOffset> _sharedThrottle = new(StringComparer.Ordinal);

    private static string SourceKey(string source) => "source " + source;

    private static string PairKey(string clientId, string source) => "pair " + source + " " + clientId;

    /// <summary>
    /// With several nodes (PostgreSQL), reads which sources and (client, source) pairs are over their limits counting
    /// the refusals recorded by every node, so an attacker spreading attempts over the nodes is throttled as on one
    /// node. The server calls it every second; on a single-node store it does nothing (this node sees every refusal).
    /// </summary>
    public async Task RefreshSharedRefusalsAsync(CancellationToken cancellationToken)
    {
        if (!store.IsShared)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var over = await store.RecentRefusalsAsync(now - FailureWindow, MaxFailuresPerSource, MaxFailures, AttackPrefix, ResourceAttackPrefix, cancellationToken);
        _sharedThrottle = over.ToDictionary(o => o.ClientId is null ? SourceKey(o.Source) : PairKey(o.ClientId, o.Source), o => o.Oldest + FailureWindow, StringComparer.Ordinal);
    }

    /// <summary>
    /// When <paramref name="source"/> has had <see cref="MaxFailuresPerSource"/> refused attempts, or
    /// <see cref="MaxFailures"/> for <paramref name="clientId"/>, within <see cref="FailureWindow"/> (bad or replayed
    /// assertions, requests while disabled, replayed proofs): how long until it may try again; null otherwise.
    /// Refusals are counted by where they came from, never by client alone, so someone who knows a client's id cannot
    /// lock the client out from elsewhere; and the token endpoint still accepts a correctly signed assertion from a
    /// throttled source. Counts this node's refusals at once, and, with several nodes, every node's as of the last second.
    /// </summary>
    public TimeSpan? ThrottledFor(string? clientId, string? source)
    {
        if (source is null)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        TimeSpan? wait = null;
        foreach (var (key, limit) in new[] { (SourceKey(source), MaxFailuresPerSource), (clientId is null ? null : PairKey(clientId, source), MaxFailures) })
        {
            if (key is null)
            {
                continue;
            }

            if (_sharedThrottle.TryGetValue(key, out var until) && until > now)
            {
                wait = Longer(wait, until - now);
            }

            if (_failures.TryGetValue(key, out var times))
            {
                lock (times)
                {
                    while (times.Count > 0 && now - times.Peek() > FailureWindow)
                    {
                        times.Dequeue();
                    }

                    if (times.Count >= limit)
                    {
                        wait = Longer(wait, times.Peek() + FailureWindow - now);
                    }
                }
            }
        }

        return wait;

        static TimeSpan Longer(TimeSpan? a, TimeSpan b) => a is { } x && x > b ? x : b;
    }

    private void CountFailure(string? registeredClientId, string source)
    {
        if (_failures.Count > MaxTracked)
        {
            _failures.Clear(); // many sources at once: start counting afresh rather than grow without bound
        }

        Count(SourceKey(source), MaxFailuresPerSource);
        if (registeredClientId is not null)
        {
            Count(PairKey(registeredClientId, source), MaxFailures);
        }

        void Count(string key, int limit)
        {
            var times = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
            lock (times)
            {
                times.Enqueue(clock.GetUtcNow());
                while (times.Count > limit)
                {
                    times.Dequeue();
                }
            }
        }
    }

    private async Task<OAuthClient> ChangeAsync(string clientId, Func<OAuthClient, OAuthClient> change, string type, string actor, string details, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await GetAsync(clientId, cancellationToken);
            var now = clock.GetUtcNow();
            var next = change(current) with { UpdatedAt = now, Revision = current.Revision + 1 };
            if (await store.UpdateAsync(next, current.Revision, Event(now, type, clientId, actor, details), cancellationToken))
            {
                await AuditAsync(actor, type, clientId, new Dictionary<string, string> { ["details"] = details }, now, cancellationToken);
                Metrics.CountEvent(type, clientId);
                _cache.TryRemove(clientId, out _);
                return next;
            }
        }

        throw new KeyServiceException(KeyErrorKind.Conflict, $"client '{clientId}' is being changed by someone else; try again");
    }

    private Task AuditAsync(string actor, string action, string clientId, Dictionary<string, string> details, DateTimeOffset at, CancellationToken cancellationToken)
    {
        details["client"] = clientId;
        return audit.AppendAuditAsync(new AuditEntry(actor, action, null, null, details), at, cancellationToken);
    }

    private static SecurityEvent Event(DateTimeOffset at, string type, string? clientId, string actor, string details)
        => new(0, at, type, clientId, null, JsonSerializer.Serialize(new Dictionary<string, string> { ["actor"] = actor, ["details"] = details }));

    private static List<string> Names(IReadOnlyList<string> values, string field)
    {
        var list = new List<string>();
        foreach (var value in values)
        {
            CheckId(value, field);
            if (!list.Contains(value, StringComparer.Ordinal))
            {
                list.Add(value);
            }
        }

        return list.Count > 64 ? throw Invalid($"{field}: at most 64") : list;
    }

    private static void CheckId(string value, string field)
    {
        if (value.Length is 0 or > 200 || value.Any(c => c < 0x21 || c > 0x7e || c is '"' or '\\'))
        {
            throw Invalid($"{field}: '{Printable(value)}' must be 1-200 visible ASCII characters without quotes or backslashes");
        }
    }

    private static string Printable(string value) => new([.. value.Take(40).Select(c => c < 0x20 || c > 0x7e ? '?' : c)]);

    private static KeyServiceException Invalid(string message) => new(KeyErrorKind.Invalid, message);
}
