using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Keys.Audit;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Keys;

/// <summary>
/// Key rings and their lifecycle. Signing always uses the ring's one active key, inside the HSM. <see cref="TickAsync"/>
/// (called by the host's scheduler) drives every transition with no human step:
/// <list type="bullet">
/// <item>the next key is generated and published <c>prePublication</c> before the active key's period ends;</item>
/// <item>at the end of the period it becomes active and the old key retires, still published for <c>verificationGrace</c>;</item>
/// <item>after the grace it is unpublished for good, and after <c>retention</c> destroyed in the HSM.</item>
/// </list>
/// Every change happens under the ring's lease, is compare-and-set in the store and is written with its audit record
/// in one transaction. Nothing moves a key backwards or extends its life; <see cref="RotateAsync"/> only shortens it.
/// All times come from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class KeyRingService
{
    private const string SchedulerActor = "scheduler";

    private readonly IKeyStore _store;
    private readonly IKeyCustodian _custodian;
    private readonly TimeProvider _clock;
    private readonly KeyServiceOptions _options;
    private readonly ConcurrentDictionary<string, RingSnapshot> _cache = new(StringComparer.Ordinal);
    private HsmKey? _auditKey;

    public KeyRingService(IKeyStore store, IKeyCustodian custodian, TimeProvider clock, KeyServiceOptions options)
    {
        _store = store;
        _custodian = custodian;
        _clock = clock;
        _options = options;
    }

    /// <summary>Counters for <c>/metrics</c>.</summary>
    public KeyMetrics Metrics { get; } = new();

    /// <summary>The default ring's name.</summary>
    public string DefaultRingName => _options.DefaultRing.Name ?? "default";

    public IKeyStore Store => _store;

    public IKeyCustodian Custodian => _custodian;

    /// <summary>The HSM label prefix of this installation's keys for <paramref name="ring"/>.</summary>
    public string LabelPrefix(string ring) => $"sfi/{_store.InstallationId}/{ring}/";

    /// <summary>The HSM label prefix of this installation's audit keys.</summary>
    public string AuditKeyLabelPrefix => $"sfi-audit/{_store.InstallationId}/";

    /// <summary>Drops this node's cached view of a ring (another node changed it); the next request reads the store.</summary>
    public void Invalidate(string ring) => _cache.TryRemove(ring, out _);

    /// <summary>Creates the schema, the audit key and the default ring if they do not exist yet.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _store.InitializeAsync(cancellationToken);
        await EnsureAuditKeyAsync(cancellationToken);
        if (await _store.GetRingAsync(DefaultRingName, cancellationToken) is null)
        {
            try
            {
                await CreateRingAsync(_options.DefaultRing, "bootstrap", isDefault: true, cancellationToken);
            }
            catch (KeyServiceException e) when (e.Kind == KeyErrorKind.Conflict)
            {
                // Another node created it first.
            }
        }

        foreach (var required in _options.RequiredRings)
        {
            var name = required.Name ?? throw new ArgumentException("a required ring needs a name");
            if (await _store.GetRingAsync(name, cancellationToken) is { } existing)
            {
                if (existing.Policy.Issuer != required.Issuer)
                {
                    throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{name}' is scoped to issuer {existing.Policy.Issuer ?? "(none)"}, not {required.Issuer}; its keys never sign for another issuer (choose the issuer it was made for, or another data directory)");
                }

                continue;
            }

            try
            {
                await CreateRingAsync(required, "bootstrap", isDefault: false, cancellationToken);
            }
            catch (KeyServiceException e) when (e.Kind == KeyErrorKind.Conflict)
            {
                // Another node created it first.
            }
        }
    }

    /// <summary>Creates a ring and its first, immediately active key.</summary>
    public async Task<KeyRing> CreateRingAsync(KeyRingRequest request, string actor, bool isDefault, CancellationToken cancellationToken)
    {
        var (policy, errors) = KeyRingPolicies.Create(request, _options.Dev);
        if (policy is null)
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, "invalid key ring: " + string.Join("; ", errors), errors);
        }

        var name = request.Name!;
        await using var lease = await AcquireLeaseAsync(RingLease(name), TimeSpan.FromSeconds(10), cancellationToken);
        if (await _store.GetRingAsync(name, cancellationToken) is not null)
        {
            throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{name}' already exists");
        }

        var now = _clock.GetUtcNow();
        var ring = new KeyRing(name, policy, now, isDefault);
        var hsmKey = Generate(policy.Algorithm, name, 1);
        var first = NewVersion(ring, hsmKey, 1, now, now) with { State = KeyState.Active, ActivatedAt = now, ExpiresAt = now + policy.RotationPeriod };
        var audit = new[]
        {
            new AuditEntry(actor, "ring.created", name, null, PolicyDetails(policy)),
            new AuditEntry(actor, "key.created", name, first.Kid, KeyDetails(first)),
            new AuditEntry(actor, "key.activated", name, first.Kid, new Dictionary<string, string> { ["expiresAt"] = Stamp(first.ExpiresAt) }),
        };
        // Not cancellable: the key now exists in the HSM, and a stop or a client that goes away must not leave it unrecorded.
        if (!await _store.CreateRingAsync(ring, first, audit, now, CancellationToken.None))
        {
            _custodian.Destroy(hsmKey.HsmId);
            throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{name}' already exists");
        }

        _cache.TryRemove(name, out _);
        return ring;
    }

    public async Task<IReadOnlyList<KeyRing>> ListRingsAsync(CancellationToken cancellationToken) => await _store.ListRingsAsync(cancellationToken);

    /// <summary>A ring and all its keys, read fresh from the store.</summary>
    public async Task<(KeyRing Ring, IReadOnlyList<KeyVersion> Versions)> GetRingAsync(string name, CancellationToken cancellationToken)
    {
        var ring = await _store.GetRingAsync(name, cancellationToken) ?? throw NotFound(name);
        return (ring, await _store.ListVersionsAsync(name, cancellationToken));
    }

    /// <summary>
    /// The ring's policy and its active key as this node currently sees them (cached for at most a second), so a token
    /// service can name the key in a JWS header before asking <see cref="SignAsync"/> to sign it.
    /// </summary>
    public async Task<(KeyRing Ring, KeyVersion Active)> GetActiveAsync(string ringName, CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotAsync(ringName, cancellationToken);
        return (snapshot.Ring, snapshot.Active ?? throw new KeyServiceException(KeyErrorKind.Unavailable, $"key ring '{ringName}' has no active key yet; the scheduler creates one"));
    }

    /// <summary>Signs a digest or a payload with the ring's active key.</summary>
    public async Task<SignResult> SignAsync(string ringName, byte[]? digest, byte[]? payload, CancellationToken cancellationToken)
    {
        if ((digest is null) == (payload is null))
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, "send exactly one of 'digest' and 'payload'");
        }

        if (payload is not null && payload.Length > _options.MaxPayloadBytes)
        {
            throw new KeyServiceException(KeyErrorKind.TooLarge, $"payload: {payload.Length} bytes is more than the {_options.MaxPayloadBytes} this service signs; send a digest instead");
        }

        var snapshot = await SnapshotAsync(ringName, cancellationToken);
        var policy = snapshot.Ring.Policy;
        var active = snapshot.Active ?? throw new KeyServiceException(KeyErrorKind.Unavailable, $"key ring '{ringName}' has no active key yet; the scheduler creates one");
        var now = _clock.GetUtcNow();
        if (active.ExpiresAt is { } expires && now > expires + policy.RotationPeriod)
        {
            // The scheduler has not rotated for a whole extra period (HSM or store down): stop rather than let a key live on.
            throw new KeyServiceException(KeyErrorKind.Unavailable, $"key ring '{ringName}': the active key is overdue for rotation since {Stamp(expires)} and no longer signs");
        }

        if (policy.IsScoped)
        {
            if (payload is null)
            {
                throw new KeyServiceException(KeyErrorKind.Invalid, $"key ring '{ringName}' is scoped to issuer {policy.Issuer}: sign a JWS signing input as 'payload' so its claims can be checked");
            }

            try
            {
                JwsScope.Check(payload, policy, active, now);
            }
            catch (KeyServiceException e) when (e.Kind == KeyErrorKind.Conflict)
            {
                // The caller may know of a rotation made by another node within this node's cache lifetime.
                snapshot = await SnapshotAsync(ringName, cancellationToken, refresh: true);
                active = snapshot.Active ?? throw new KeyServiceException(KeyErrorKind.Unavailable, $"key ring '{ringName}' has no active key yet; the scheduler creates one");
                JwsScope.Check(payload, policy, active, now);
            }
        }

        var algorithm = active.Algorithm;
        var toSign = digest ?? algorithm.HashData(payload);
        if (toSign.Length != algorithm.DigestLength)
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, $"digest: {toSign.Length} bytes; {algorithm.Name} needs a {algorithm.DigestLength}-byte {algorithm.Hash.Name} digest");
        }

        try
        {
            var signature = _custodian.SignDigest(active.HsmId, algorithm, toSign);
            Metrics.CountSignature(ringName);
            return new SignResult(active.Kid, algorithm.Name, signature);
        }
        catch (HsmUnavailableException e)
        {
            Metrics.CountSignFailure();
            throw new KeyServiceException(KeyErrorKind.Unavailable, "the HSM is unavailable: " + e.Message, inner: e);
        }
    }

    /// <summary>Verifies a signature made by one of the ring's keys; only active and retiring keys are accepted.</summary>
    public async Task<VerifyResult> VerifyAsync(string ringName, string kid, byte[]? digest, byte[]? payload, byte[] signature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if ((digest is null) == (payload is null))
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, "send exactly one of 'digest' and 'payload'");
        }

        if (payload is not null && payload.Length > _options.MaxPayloadBytes)
        {
            throw new KeyServiceException(KeyErrorKind.TooLarge, $"payload: more than {_options.MaxPayloadBytes} bytes");
        }

        var snapshot = await SnapshotAsync(ringName, cancellationToken);
        var key = snapshot.Versions.FirstOrDefault(v => v.Kid == kid);
        if (key is null || key.State == KeyState.Pending)
        {
            // Another node may have published or activated it within the cache lifetime: read the store once.
            snapshot = await SnapshotAsync(ringName, cancellationToken, refresh: true);
            key = snapshot.Versions.FirstOrDefault(v => v.Kid == kid);
        }

        if (key is null)
        {
            return new VerifyResult(false, kid, null, "no key with this kid in the ring");
        }

        if (!key.Verifies)
        {
            return new VerifyResult(false, kid, key.State, key.State == KeyState.Pending ? "the key has not signed yet" : "the key is retired and no longer verifies");
        }

        var toVerify = digest ?? key.Algorithm.HashData(payload);
        if (toVerify.Length != key.Algorithm.DigestLength)
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, $"digest: {key.Algorithm.Name} needs a {key.Algorithm.DigestLength}-byte digest");
        }

        var valid = key.PublicKey.VerifyDigest(toVerify, signature);
        return new VerifyResult(valid, kid, key.State, valid ? null : "the signature does not verify");
    }

    /// <summary>The ring's published keys (pending, active, retiring) as a JWKS document, and the cache lifetime for it.</summary>
    public async Task<(byte[] Json, TimeSpan MaxAge)> GetJwksAsync(string ringName, CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotAsync(ringName, cancellationToken);
        return (snapshot.Jwks, snapshot.JwksMaxAge);
    }

    /// <summary>
    /// Emergency rotation: a new (or the waiting) key signs from now on. The old key keeps verifying for the grace
    /// period, or, with <paramref name="retireImmediately"/> (a compromised key), is unpublished at once.
    /// </summary>
    public async Task<KeyVersion> RotateAsync(string ringName, string actor, string? reason, bool retireImmediately, CancellationToken cancellationToken)
    {
        await using var lease = await AcquireLeaseAsync(RingLease(ringName), TimeSpan.FromSeconds(10), cancellationToken);
        var (ring, versions) = await GetRingAsync(ringName, cancellationToken);
        var now = _clock.GetUtcNow();
        var pending = versions.FirstOrDefault(v => v.State == KeyState.Pending);
        if (pending is null)
        {
            pending = NewVersion(ring, Generate(ring.Policy.Algorithm, ring.Name, NextVersion(versions)), NextVersion(versions), now, now);
            // Not cancellable: the key now exists in the HSM (see CreateAsync).
            if (!await _store.InsertVersionAsync(pending, new AuditEntry(actor, "key.created", ring.Name, pending.Kid, KeyDetails(pending)), now, CancellationToken.None))
            {
                _custodian.Destroy(pending.HsmId);
                throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{ringName}' changed during the rotation; try again");
            }
        }

        var active = versions.FirstOrDefault(v => v.State == KeyState.Active);
        var details = new Dictionary<string, string> { ["reason"] = reason ?? "unspecified", ["emergency"] = "true" };
        if (retireImmediately)
        {
            details["retireImmediately"] = "true";
        }

        var applied = await ActivateAsync(ring, pending, active, now, actor, details, retireImmediately, cancellationToken);
        if (!applied)
        {
            throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{ringName}' changed during the rotation; try again");
        }

        Metrics.CountRotation(emergency: true);
        _cache.TryRemove(ringName, out _);
        return (await _store.ListVersionsAsync(ringName, cancellationToken)).Single(v => v.Kid == pending.Kid);
    }

    /// <summary>One scheduler pass over every ring, then an audit checkpoint. Rings whose lease another node holds are skipped.</summary>
    public async Task<IReadOnlyList<TickAction>> TickAsync(CancellationToken cancellationToken)
    {
        var actions = new List<TickAction>();
        foreach (var ring in await _store.ListRingsAsync(cancellationToken))
        {
            await using var lease = await _store.TryAcquireLeaseAsync(RingLease(ring.Name), cancellationToken);
            if (lease is null)
            {
                continue;
            }

            actions.AddRange(await TickRingAsync(ring, cancellationToken));
        }

        await CheckpointAsync(cancellationToken);
        return actions;
    }

    /// <summary>Signs a checkpoint over the newest audit record if there is none for it yet.</summary>
    public async Task<AuditCheckpoint?> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var lease = await _store.TryAcquireLeaseAsync("audit-checkpoint", cancellationToken);
        if (lease is null)
        {
            return null;
        }

        var last = await _store.LastAuditAsync(cancellationToken);
        var previous = await _store.LastCheckpointAsync(cancellationToken);
        if (last is null || previous?.Sequence >= last.Sequence)
        {
            return null;
        }

        var auditKey = await EnsureAuditKeyAsync(cancellationToken);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());
        var input = AuditCheckpoint.SigningInput(last.Sequence, at, last.Hash);
        var signature = _custodian.SignDigest(auditKey.HsmId, SigningAlgorithm.ES256, SHA256.HashData(input));
        var checkpoint = new AuditCheckpoint(last.Sequence, at, last.Hash, auditKey.PublicKey.Thumbprint(), Base64Url.Encode(signature));
        await _store.AddCheckpointAsync(checkpoint, cancellationToken);
        return checkpoint;
    }

    /// <summary>Verifies the audit chain and every checkpoint against the audit keys held in the HSM.</summary>
    public async Task<AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_store.InstallationId))
        {
            await _store.InitializeAsync(cancellationToken);
        }

        var records = await _store.ReadAuditAsync(cancellationToken);
        var checkpoints = await _store.ReadCheckpointsAsync(cancellationToken);
        var keys = _custodian.List(AuditKeyLabelPrefix)
            .Select(k => _custodian.FindPublicKey(k.HsmId, SigningAlgorithm.ES256))
            .OfType<PublicKeyMaterial>()
            .ToDictionary(k => k.Thumbprint(), StringComparer.Ordinal);
        return AuditVerifier.Verify(records, checkpoints, checkpoint =>
        {
            try
            {
                return keys.TryGetValue(checkpoint.KeyId, out var key) &&
                       key.VerifyDigest(SHA256.HashData(AuditCheckpoint.SigningInput(checkpoint.Sequence, checkpoint.At, checkpoint.RecordHash)), Base64Url.Decode(checkpoint.Signature));
            }
            catch (FormatException)
            {
                return false;
            }
        });
    }

    /// <summary>Checks that both the store and the HSM answer.</summary>
    public async Task<(bool Store, bool Hsm, string? Problem)> CheckReadinessAsync(CancellationToken cancellationToken)
    {
        string? problem = null;
        var store = true;
        var hsm = true;
        try
        {
            await _store.PingAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException or IOException)
        {
            store = false;
            problem = "store: " + e.Message;
        }

        try
        {
            _custodian.Ping();
        }
        catch (HsmUnavailableException e)
        {
            hsm = false;
            problem = (problem is null ? string.Empty : problem + "; ") + "hsm: " + e.Message;
        }

        Metrics.HsmUp = hsm;
        return (store, hsm, problem);
    }

    private async Task<IReadOnlyList<TickAction>> TickRingAsync(KeyRing ring, CancellationToken cancellationToken)
    {
        var actions = new List<TickAction>();
        var policy = ring.Policy;
        var versions = await _store.ListVersionsAsync(ring.Name, cancellationToken);
        var now = _clock.GetUtcNow();

        // A node killed between generating a key and recording it leaves an orphan in the HSM: it was never
        // published and never signed, so it is destroyed.
        var known = versions.Select(v => v.HsmId).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in _custodian.List(LabelPrefix(ring.Name)).Where(k => !known.Contains(k.HsmId)))
        {
            _custodian.Destroy(orphan.HsmId);
            await _store.AppendAuditAsync(new AuditEntry(SchedulerActor, "key.orphan-destroyed", ring.Name, null, new Dictionary<string, string> { ["hsmId"] = orphan.HsmId, ["label"] = orphan.Label }), now, cancellationToken);
            _options.Diagnostics?.Invoke($"key ring '{ring.Name}': destroyed HSM key {orphan.Label} that was never recorded (a rotation was interrupted)");
            actions.Add(new TickAction(ring.Name, "orphan-destroyed", orphan.HsmId));
        }

        var active = versions.FirstOrDefault(v => v.State == KeyState.Active);
        var pending = versions.FirstOrDefault(v => v.State == KeyState.Pending);
        if (active is null && pending is null)
        {
            // A ring with no key at all (its first key was lost): nothing has been published, so the new key signs at once.
            var first = NewVersion(ring, Generate(policy.Algorithm, ring.Name, NextVersion(versions)), NextVersion(versions), now, now);
            if (await InsertAsync(first))
            {
                pending = first;
                actions.Add(new TickAction(ring.Name, "created", first.Kid));
            }
        }
        else if (active is not null && pending is null && now >= active.ExpiresAt - policy.PrePublication)
        {
            var activateAt = Max(active.ExpiresAt!.Value, now + policy.PrePublication);
            var next = NewVersion(ring, Generate(policy.Algorithm, ring.Name, NextVersion(versions)), NextVersion(versions), now, activateAt);
            if (await InsertAsync(next))
            {
                pending = next;
                actions.Add(new TickAction(ring.Name, "published", next.Kid));
            }
        }

        if (pending is not null && (now >= pending.ActivateAt || active is null))
        {
            if (await ActivateAsync(ring, pending, active, now, SchedulerActor, new Dictionary<string, string> { ["reason"] = "scheduled" }, retireImmediately: false, cancellationToken))
            {
                Metrics.CountRotation(emergency: false);
                actions.Add(new TickAction(ring.Name, "activated", pending.Kid));
                if (active is not null)
                {
                    actions.Add(new TickAction(ring.Name, "retiring", active.Kid));
                }
            }
        }
        else if (active?.ExpiresAt is { } due && now > due + TimeSpan.FromSeconds(1))
        {
            _options.Diagnostics?.Invoke($"key ring '{ring.Name}': key {active.Kid} is past its rotation time; the next key signs from {Stamp(pending?.ActivateAt)}");
        }

        foreach (var retiring in versions.Where(v => v.State == KeyState.Retiring && now >= v.VerifyUntil))
        {
            var retired = retiring with { State = KeyState.Retired, RetiredAt = now };
            if (await _store.ApplyAsync([new KeyTransition(KeyState.Retiring, retired)], [new AuditEntry(SchedulerActor, "key.retired", ring.Name, retiring.Kid)], now, cancellationToken))
            {
                actions.Add(new TickAction(ring.Name, "retired", retiring.Kid));
            }
        }

        foreach (var retired in versions.Where(v => v.State == KeyState.Retired && now >= v.RetiredAt + policy.Retention))
        {
            var existed = _custodian.Destroy(retired.HsmId);
            var destroyed = retired with { State = KeyState.Destroyed, DestroyedAt = now };
            var details = new Dictionary<string, string> { ["hsmObjectFound"] = existed ? "true" : "false" };
            // Not cancellable: the key is gone from the HSM, and a graceful stop must not leave the store saying otherwise.
            if (await _store.ApplyAsync([new KeyTransition(KeyState.Retired, destroyed)], [new AuditEntry(SchedulerActor, "key.destroyed", ring.Name, retired.Kid, details)], now, CancellationToken.None))
            {
                actions.Add(new TickAction(ring.Name, "destroyed", retired.Kid));
            }
        }

        if (actions.Count > 0)
        {
            _cache.TryRemove(ring.Name, out _);
        }

        return actions;

        async Task<bool> InsertAsync(KeyVersion key)
        {
            // Not cancellable: the key already exists in the HSM; recording it is what keeps it from being an orphan.
            if (await _store.InsertVersionAsync(key, new AuditEntry(SchedulerActor, "key.created", ring.Name, key.Kid, KeyDetails(key)), now, CancellationToken.None))
            {
                return true;
            }

            // Someone else recorded a key first (should not happen under the lease); ours was never published.
            _custodian.Destroy(key.HsmId);
            return false;
        }
    }

    private async Task<bool> ActivateAsync(KeyRing ring, KeyVersion pending, KeyVersion? active, DateTimeOffset now, string actor, Dictionary<string, string> details, bool retireImmediately, CancellationToken cancellationToken)
    {
        var transitions = new List<KeyTransition>
        {
            new(KeyState.Pending, pending with { State = KeyState.Active, ActivatedAt = now, ExpiresAt = now + ring.Policy.RotationPeriod }),
        };
        var audit = new List<AuditEntry>
        {
            new(actor, "key.activated", ring.Name, pending.Kid, new Dictionary<string, string>(details) { ["expiresAt"] = Stamp(now + ring.Policy.RotationPeriod) }),
        };
        if (active is not null)
        {
            var old = retireImmediately
                ? active with { State = KeyState.Retired, DeactivatedAt = now, VerifyUntil = now, RetiredAt = now }
                : active with { State = KeyState.Retiring, DeactivatedAt = now, VerifyUntil = now + ring.Policy.VerificationGrace };
            transitions.Add(new KeyTransition(KeyState.Active, old));
            audit.Add(new AuditEntry(actor, retireImmediately ? "key.retired" : "key.retiring", ring.Name, active.Kid,
                new Dictionary<string, string>(details) { ["verifyUntil"] = Stamp(old.VerifyUntil) }));
        }

        var applied = await _store.ApplyAsync(transitions, audit, now, cancellationToken);
        _cache.TryRemove(ring.Name, out _);
        return applied;
    }

    private async Task<RingSnapshot> SnapshotAsync(string ringName, CancellationToken cancellationToken, bool refresh = false)
    {
        var stamp = _clock.GetTimestamp();
        if (!refresh && _cache.TryGetValue(ringName, out var cached) && _clock.GetElapsedTime(cached.Stamp, stamp) < _options.CacheTtl)
        {
            return cached;
        }

        KeyRing ring;
        IReadOnlyList<KeyVersion> versions;
        try
        {
            ring = await _store.GetRingAsync(ringName, cancellationToken) ?? throw NotFound(ringName);
            versions = await _store.ListVersionsAsync(ringName, cancellationToken);
        }
        catch (System.Data.Common.DbException e)
        {
            throw new KeyServiceException(KeyErrorKind.Unavailable, "the key store is unavailable: " + e.Message, inner: e);
        }

        var keys = new JsonArray();
        foreach (var version in versions.Where(v => v.IsPublished).OrderByDescending(v => v.State == KeyState.Active).ThenByDescending(v => v.Version))
        {
            keys.Add(version.PublicKey.ToJwk(version.Kid));
        }

        var jwks = System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["keys"] = keys }.ToJsonString());

        // A relying party that fetched the JWKS just before a key was published must fetch again before that key signs.
        var maxAge = TimeSpan.FromSeconds(Math.Floor(Math.Min(ring.Policy.PrePublication.TotalSeconds / 2, 3600)));
        var snapshot = new RingSnapshot(stamp, ring, versions, versions.FirstOrDefault(v => v.State == KeyState.Active), jwks, maxAge);
        _cache[ringName] = snapshot;
        Metrics.SetKeyStates(ringName, versions);
        return snapshot;
    }

    private async Task<HsmKey> EnsureAuditKeyAsync(CancellationToken cancellationToken)
    {
        if (_auditKey is not null)
        {
            return _auditKey;
        }

        await using var lease = await AcquireLeaseAsync("audit-key", TimeSpan.FromSeconds(30), cancellationToken);
        var existing = _custodian.List(AuditKeyLabelPrefix).OrderBy(k => k.Label, StringComparer.Ordinal).LastOrDefault();
        if (existing is not null && _custodian.FindPublicKey(existing.HsmId, SigningAlgorithm.ES256) is { } publicKey)
        {
            _auditKey = new HsmKey(existing.HsmId, existing.Label, publicKey);
        }
        else
        {
            _auditKey = _custodian.Generate(SigningAlgorithm.ES256, AuditKeyLabelPrefix + "v1");
            await _store.AppendAuditAsync(new AuditEntry("bootstrap", "audit-key.created", null, _auditKey.PublicKey.Thumbprint()), _clock.GetUtcNow(), cancellationToken);
        }

        return _auditKey;
    }

    /// <summary>The lease that serializes every change to one ring, across nodes.</summary>
    private static string RingLease(string ring) => "ring/" + ring;

    private async Task<IAsyncDisposable> AcquireLeaseAsync(string leaseName, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var lease = await _store.TryAcquireLeaseAsync(leaseName, cancellationToken);
            if (lease is not null)
            {
                return lease;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new KeyServiceException(KeyErrorKind.Conflict, $"'{leaseName}' is being changed by another node; try again");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private HsmKey Generate(SigningAlgorithm algorithm, string ring, int version)
    {
        try
        {
            return _custodian.Generate(algorithm, $"{LabelPrefix(ring)}v{version.ToString(CultureInfo.InvariantCulture)}");
        }
        catch (HsmUnavailableException e)
        {
            throw new KeyServiceException(KeyErrorKind.Unavailable, "the HSM is unavailable: " + e.Message, inner: e);
        }
    }

    private static KeyVersion NewVersion(KeyRing ring, HsmKey key, int version, DateTimeOffset now, DateTimeOffset activateAt) => new()
    {
        Kid = key.PublicKey.Thumbprint(),
        Ring = ring.Name,
        Version = version,
        State = KeyState.Pending,
        HsmId = key.HsmId,
        PublicKey = key.PublicKey,
        CreatedAt = now,
        ActivateAt = activateAt,
    };

    private static int NextVersion(IReadOnlyList<KeyVersion> versions) => versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string Stamp(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) ?? "-";

    private static KeyServiceException NotFound(string ring) => new(KeyErrorKind.NotFound, $"no key ring named '{ring}'");

    private static Dictionary<string, string> KeyDetails(KeyVersion key) => new()
    {
        ["version"] = key.Version.ToString(CultureInfo.InvariantCulture),
        ["algorithm"] = key.Algorithm.Id,
        ["hsmId"] = key.HsmId,
        ["activateAt"] = Stamp(key.ActivateAt),
    };

    private static Dictionary<string, string> PolicyDetails(KeyRingPolicy policy) => new()
    {
        ["algorithm"] = policy.Algorithm.Id,
        ["rotationPeriod"] = IsoDuration.Format(policy.RotationPeriod),
        ["prePublication"] = IsoDuration.Format(policy.PrePublication),
        ["verificationGrace"] = IsoDuration.Format(policy.VerificationGrace),
        ["maxTokenLifetime"] = IsoDuration.Format(policy.MaxTokenLifetime),
        ["retention"] = IsoDuration.Format(policy.Retention),
        ["issuer"] = policy.Issuer ?? string.Empty,
        ["audiences"] = string.Join(" ", policy.Audiences),
    };

    private sealed record RingSnapshot(long Stamp, KeyRing Ring, IReadOnlyList<KeyVersion> Versions, KeyVersion? Active, byte[] Jwks, TimeSpan JwksMaxAge);
}
