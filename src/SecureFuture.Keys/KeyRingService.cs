using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
    private readonly ILogger<KeyRingService> _log;
    private readonly ConcurrentDictionary<string, RingSnapshot> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _unhealthy = new(StringComparer.Ordinal);
    private readonly SignatureAudit _signatureAudit;
    private HsmKey? _auditKey;

    /// <summary>The outage that ended the last scheduler pass, if it did not complete: what holds every rotation up.</summary>
    private volatile string? _schedulerOutage;

    public KeyRingService(IKeyStore store, IKeyCustodian custodian, TimeProvider clock, KeyServiceOptions options, ILogger<KeyRingService>? log = null)
    {
        _log = log ?? NullLogger<KeyRingService>.Instance;
        _store = store;
        _custodian = custodian;
        _clock = clock;
        _options = options;
        _signatureAudit = new SignatureAudit(store, clock);
    }

    /// <summary>
    /// Rings whose scheduled work failed on the last pass, with the reason. Their keys still sign while they can; the
    /// host shows them in <c>/readyz</c> and the audit log records when a ring fails and recovers.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnhealthyRings => _unhealthy;

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

        // Before this node signs anything: a key the store names as signing (or about to) must be in the token.
        foreach (var ring in await _store.ListRingsAsync(cancellationToken))
        {
            await using var lease = await _store.TryAcquireLeaseAsync(RingLease(ring.Name), cancellationToken);
            if (lease is not null)
            {
                _ = await ReconcileRingAsync(ring, cancellationToken);
            }
        }
    }

    /// <summary>Creates a ring and its first, immediately active key.</summary>
    public async Task<KeyRing> CreateRingAsync(KeyRingRequest request, string actor, bool isDefault, CancellationToken cancellationToken)
    {
        var (policy, errors) = KeyRingPolicies.Create(request, _options.Dev, _options.MaximumTokenLifetime);
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
        var hsmKey = await GenerateAsync(ring, 1, actor, now, cancellationToken);
        var first = NewVersion(ring, hsmKey, 1, now, now) with { State = KeyState.Active, ActivatedAt = now, ExpiresAt = After(now, policy.RotationPeriod) };
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

        Fault(KeyFaultPoints.Activated);
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

    /// <summary>Signs a digest or a payload with the ring's active key, for one of this server's own services.</summary>
    public Task<SignResult> SignAsync(string ringName, byte[]? digest, byte[]? payload, CancellationToken cancellationToken)
        => SignForAsync(ringName, digest, payload, SignCaller.Service, cancellationToken);

    /// <summary>
    /// Signs a digest or a payload with the ring's active key. Every signature is audited (ring, kid, caller and the
    /// SHA-256 of what was signed), in batches: see <see cref="FlushSignatureAuditAsync"/>.
    /// </summary>
    public async Task<SignResult> SignForAsync(string ringName, byte[]? digest, byte[]? payload, SignCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.External && _options.InternalRings.Contains(ringName))
        {
            throw new KeyServiceException(KeyErrorKind.Forbidden, $"key ring '{ringName}' signs only for this server's own services");
        }

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
        if (SignsNoLonger(active, policy, now))
        {
            // The scheduler has not rotated for a whole extra period (HSM or store down): stop rather than let a key live
            // on, and say what holds the rotation up, or when it ends.
            var blocker = _unhealthy.TryGetValue(ringName, out var problem) ? problem : _schedulerOutage;
            var next = snapshot.Versions.FirstOrDefault(v => v.State == KeyState.Pending);
            var why = blocker is not null ? "; the scheduler cannot rotate it: " + blocker
                : next is not null ? $"; the next key signs from {Stamp(next.ActivateAt)}"
                : string.Empty;
            throw new KeyServiceException(KeyErrorKind.Unavailable, $"key ring '{ringName}': the active key is overdue for rotation since {Stamp(active.ExpiresAt)} and no longer signs{why}");
        }

        if (policy.IsScoped)
        {
            if (payload is null)
            {
                throw new KeyServiceException(KeyErrorKind.Invalid, $"key ring '{ringName}' is scoped to issuer {policy.Issuer}: sign a JWS signing input as 'payload' so its claims can be checked");
            }

            try
            {
                JwsScope.Check(payload, policy, active, now, _options.MaximumTokenLifetime);
            }
            catch (KeyServiceException e) when (e.Kind == KeyErrorKind.Conflict)
            {
                // The caller may know of a rotation made by another node within this node's cache lifetime.
                snapshot = await SnapshotAsync(ringName, cancellationToken, refresh: true);
                active = snapshot.Active ?? throw new KeyServiceException(KeyErrorKind.Unavailable, $"key ring '{ringName}' has no active key yet; the scheduler creates one");
                JwsScope.Check(payload, policy, active, now, _options.MaximumTokenLifetime);
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
            // The digest of a payload is of the whole signing input (a JWS header and its claims); for a raw digest it
            // is the digest itself.
            await _signatureAudit.AddAsync(caller.Actor, ringName, active.Kid, payload is null || algorithm.Hash == HashAlgorithmName.SHA256 ? toSign : SHA256.HashData(payload), cancellationToken);
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
            pending = NewVersion(ring, await GenerateAsync(ring, NextVersion(versions), actor, now, cancellationToken), NextVersion(versions), now, now);
            if (!await RecordAsync(pending, actor, now))
            {
                throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{ringName}' changed during the rotation; try again");
            }
        }

        var active = versions.FirstOrDefault(v => v.State == KeyState.Active);
        var details = new Dictionary<string, string> { ["reason"] = reason ?? "unspecified", ["emergency"] = "true" };
        if (retireImmediately)
        {
            details["retireImmediately"] = "true";
        }

        var applied = await ActivateAsync(ring, pending, active, now, actor, details, retireImmediately ? Handover.RetiredAtOnce : Handover.Retiring, cancellationToken);
        if (!applied)
        {
            throw new KeyServiceException(KeyErrorKind.Conflict, $"key ring '{ringName}' changed during the rotation; try again");
        }

        Fault(KeyFaultPoints.Activated);

        Metrics.CountRotation(emergency: true);
        _cache.TryRemove(ringName, out _);
        return (await _store.ListVersionsAsync(ringName, cancellationToken)).Single(v => v.Kid == pending.Kid);
    }

    /// <summary>
    /// One scheduler pass over every ring, then the pending signature audit and an audit checkpoint. Rings whose lease
    /// another node holds are skipped. An outage of the HSM or the store ends the pass (the host retries); any other
    /// failure is confined to its ring: recorded once in the audit log, listed in <see cref="UnhealthyRings"/>, and the
    /// other rings rotate on.
    /// </summary>
    public async Task<IReadOnlyList<TickAction>> TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            var actions = await TickAllAsync(cancellationToken);
            _schedulerOutage = null;
            return actions;
        }
        catch (Exception e) when (IsOutage(e, cancellationToken) && !cancellationToken.IsCancellationRequested)
        {
            _schedulerOutage = e switch
            {
                HsmUnavailableException => "the HSM is unavailable: " + e.Message,
                System.Data.Common.DbException => "the key store is unavailable: " + e.Message,
                _ => e.Message,
            };
            throw;
        }
    }

    private async Task<IReadOnlyList<TickAction>> TickAllAsync(CancellationToken cancellationToken)
    {
        var actions = new List<TickAction>();
        foreach (var ring in await _store.ListRingsAsync(cancellationToken))
        {
            await using var lease = await _store.TryAcquireLeaseAsync(RingLease(ring.Name), cancellationToken);
            if (lease is null)
            {
                continue;
            }

            try
            {
                actions.AddRange(await TickRingAsync(ring, cancellationToken));
                if (_unhealthy.ContainsKey(ring.Name))
                {
                    // Recorded before /readyz shows the ring healthy again: the audit trail leads what operators see.
                    await _store.AppendAuditAsync(new AuditEntry(SchedulerActor, "ring.recovered", ring.Name, null), _clock.GetUtcNow(), cancellationToken);
                    _unhealthy.TryRemove(ring.Name, out _);
                }
            }
            catch (Exception e) when (!IsOutage(e, cancellationToken))
            {
                await MarkUnhealthyAsync(ring.Name, e, cancellationToken);
            }
        }

        await FlushSignatureAuditAsync(cancellationToken);
        await CheckpointAsync(cancellationToken);
        return actions;
    }

    /// <summary>Writes the signatures made since the last flush to the audit log, one record per ring and caller.</summary>
    public Task FlushSignatureAuditAsync(CancellationToken cancellationToken) => _signatureAudit.FlushAsync(cancellationToken);

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
        var actions = new List<TickAction>(await ReconcileRingAsync(ring, cancellationToken));
        actions.AddRange(await TickRingCoreAsync(ring, cancellationToken));
        return actions;
    }

    private async Task<IReadOnlyList<TickAction>> TickRingCoreAsync(KeyRing ring, CancellationToken cancellationToken)
    {
        var actions = new List<TickAction>();
        var policy = ring.Policy;
        var versions = await _store.ListVersionsAsync(ring.Name, cancellationToken);
        var now = _clock.GetUtcNow();

        // A node killed between generating a key and recording it leaves an orphan in the HSM: it was never
        // published and never signed (its intent record says so), so it is destroyed rather than adopted.
        var known = versions.Select(v => v.HsmId).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in _custodian.List(LabelPrefix(ring.Name)).Where(k => !known.Contains(k.HsmId)))
        {
            _custodian.Destroy(orphan.HsmId);
            await _store.AppendAuditAsync(new AuditEntry(SchedulerActor, "key.orphan-destroyed", ring.Name, null, new Dictionary<string, string> { ["hsmId"] = orphan.HsmId, ["label"] = orphan.Label }), now, cancellationToken);
            KeysLog.OrphanDestroyed(_log, ring.Name, orphan.Label);
            actions.Add(new TickAction(ring.Name, "orphan-destroyed", orphan.HsmId));
        }

        var active = versions.FirstOrDefault(v => v.State == KeyState.Active);
        var pending = versions.FirstOrDefault(v => v.State == KeyState.Pending);
        if (active is null && pending is null)
        {
            // A ring with no key at all (its first key was lost): nothing has been published, so the new key signs at once.
            var first = NewVersion(ring, await GenerateAsync(ring, NextVersion(versions), SchedulerActor, now, cancellationToken), NextVersion(versions), now, now);
            if (await RecordAsync(first, SchedulerActor, now))
            {
                pending = first;
                actions.Add(new TickAction(ring.Name, "created", first.Kid));
            }
        }
        else if (active is not null && pending is null && now >= Before(active.ExpiresAt!.Value, policy.PrePublication))
        {
            var activateAt = NextActivation(active, policy, now);
            var next = NewVersion(ring, await GenerateAsync(ring, NextVersion(versions), SchedulerActor, now, cancellationToken), NextVersion(versions), now, activateAt);
            if (await RecordAsync(next, SchedulerActor, now))
            {
                pending = next;
                actions.Add(new TickAction(ring.Name, "published", next.Kid));
            }
        }

        if (pending is not null && (now >= pending.ActivateAt || active is null))
        {
            if (await ActivateAsync(ring, pending, active, now, SchedulerActor, new Dictionary<string, string> { ["reason"] = "scheduled" }, Handover.Retiring, cancellationToken))
            {
                Fault(KeyFaultPoints.Activated);
                Metrics.CountRotation(emergency: false);
                actions.Add(new TickAction(ring.Name, "activated", pending.Kid));
                if (active is not null)
                {
                    actions.Add(new TickAction(ring.Name, "retiring", active.Kid));
                }
            }
        }
        else if (active?.ExpiresAt is { } due && now > After(due, TimeSpan.FromSeconds(1)))
        {
            KeysLog.Overdue(_log, ring.Name, active.Kid, Stamp(pending?.ActivateAt));
        }

        foreach (var retiring in versions.Where(v => v.State == KeyState.Retiring && now >= v.VerifyUntil))
        {
            var retired = retiring with { State = KeyState.Retired, RetiredAt = now };
            if (await _store.ApplyAsync([new KeyTransition(KeyState.Retiring, retired)], [new AuditEntry(SchedulerActor, "key.retired", ring.Name, retiring.Kid)], now, cancellationToken))
            {
                actions.Add(new TickAction(ring.Name, "retired", retiring.Kid));
            }
        }

        foreach (var retired in versions.Where(v => v.State == KeyState.Retired && v.RetiredAt is { } at && now >= After(at, policy.Retention)))
        {
            var existed = _custodian.Destroy(retired.HsmId);
            Fault(KeyFaultPoints.DestroyedInHsm);
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
    }

    /// <summary>
    /// Records a key just generated in the HSM as pending, with its audit record. False (and the key destroyed in the
    /// HSM, never published) if someone else recorded a key first, which the ring's lease should prevent.
    /// </summary>
    private async Task<bool> RecordAsync(KeyVersion key, string actor, DateTimeOffset now)
    {
        // Not cancellable: the key already exists in the HSM; recording it is what keeps it from being an orphan.
        if (await _store.InsertVersionAsync(key, new AuditEntry(actor, "key.created", key.Ring, key.Kid, KeyDetails(key)), now, CancellationToken.None))
        {
            Fault(KeyFaultPoints.Recorded);
            return true;
        }

        _custodian.Destroy(key.HsmId);
        return false;
    }

    /// <summary>
    /// Makes <paramref name="pending"/> the ring's active key and hands <paramref name="active"/> over as
    /// <paramref name="handover"/> says, in one transaction with their audit records: the ring is never seen without an
    /// active key, and never demotes one before its successor exists.
    /// </summary>
    private async Task<bool> ActivateAsync(KeyRing ring, KeyVersion pending, KeyVersion? active, DateTimeOffset now, string actor, Dictionary<string, string> details, Handover handover, CancellationToken cancellationToken)
    {
        var expiresAt = After(now, ring.Policy.RotationPeriod);
        var transitions = new List<KeyTransition>
        {
            new(KeyState.Pending, pending with { State = KeyState.Active, ActivatedAt = now, ExpiresAt = expiresAt }),
        };
        var audit = new List<AuditEntry>
        {
            new(actor, "key.activated", ring.Name, pending.Kid, new Dictionary<string, string>(details) { ["expiresAt"] = Stamp(expiresAt) }),
        };
        if (active is not null)
        {
            var old = handover == Handover.RetiredAtOnce
                ? active with { State = KeyState.Retired, DeactivatedAt = now, VerifyUntil = now, RetiredAt = now }
                : active with { State = KeyState.Retiring, DeactivatedAt = now, VerifyUntil = After(now, ring.Policy.VerificationGrace) };
            var action = handover switch
            {
                Handover.RetiredAtOnce => "key.retired",
                Handover.Lost => "key.lost",
                _ => "key.retiring",
            };
            var oldDetails = handover == Handover.Lost ? new Dictionary<string, string>(LostDetails(active).Concat(details)) : new Dictionary<string, string>(details);
            oldDetails["verifyUntil"] = Stamp(old.VerifyUntil);
            transitions.Add(new KeyTransition(KeyState.Active, old));
            audit.Add(new AuditEntry(actor, action, ring.Name, active.Kid, oldDetails));
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
        // Real time, whatever the injected clock: this waits for another process to release the lease, and a test's
        // frozen clock must not turn that wait into a hang.
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var lease = await _store.TryAcquireLeaseAsync(leaseName, cancellationToken);
            if (lease is not null)
            {
                return lease;
            }

            if (TimeProvider.System.GetElapsedTime(started) > wait)
            {
                throw new KeyServiceException(KeyErrorKind.Conflict, $"'{leaseName}' is being changed by another node; try again");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>
    /// Generates a ring's next key in the HSM, crash-safely: the intent is in the audit log first, then the HSM creates
    /// the key, then the caller records it (the confirmation). A crash between the steps leaves an intent with no key,
    /// or an orphan the scheduler destroys; never a recorded key the HSM does not hold.
    /// </summary>
    private async Task<HsmKey> GenerateAsync(KeyRing ring, int version, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var label = $"{LabelPrefix(ring.Name)}v{version.ToString(CultureInfo.InvariantCulture)}";
        await _store.AppendAuditAsync(new AuditEntry(actor, "key.generating", ring.Name, null, new Dictionary<string, string>
        {
            ["label"] = label,
            ["version"] = version.ToString(CultureInfo.InvariantCulture),
            ["algorithm"] = ring.Policy.Algorithm.Id,
        }), now, cancellationToken);
        Fault(KeyFaultPoints.IntentRecorded);
        HsmKey key;
        try
        {
            key = _custodian.Generate(ring.Policy.Algorithm, label);
        }
        catch (HsmUnavailableException e)
        {
            throw new KeyServiceException(KeyErrorKind.Unavailable, "the HSM is unavailable: " + e.Message, inner: e);
        }

        Fault(KeyFaultPoints.Generated);
        return key;
    }

    /// <summary>
    /// Makes the store agree with the token about the keys that sign or are about to: a pending or active key the
    /// token no longer holds (the token was restored from an older copy, replaced or wiped, or lost a write in a crash)
    /// can never sign again. Every lost key is replaced successor first: a new key is made in the HSM (unless a waiting
    /// key the token holds can take over an active key's place) before anything is retired. A lost pending key then
    /// retires at once and its replacement is published; a lost active key retires in the same transaction as its
    /// successor takes over (its public half stays published for the grace, so tokens it signed still verify). A token's
    /// listing cannot tell a wiped token from one that is going away (SoftHSM2 lists nothing once its directory has gone,
    /// on a session still open); a token that is going away cannot make a key either, so the pass ends there with
    /// nothing changed, the ring keeps its keys, and signing keeps naming the outage. Each lost key is an audit record
    /// <c>key.lost</c>.
    /// </summary>
    private async Task<IReadOnlyList<TickAction>> ReconcileRingAsync(KeyRing ring, CancellationToken cancellationToken)
    {
        var versions = await _store.ListVersionsAsync(ring.Name, cancellationToken);
        var signing = versions.Where(v => v.State is KeyState.Pending or KeyState.Active).ToArray();
        if (signing.Length == 0)
        {
            return [];
        }

        var held = HeldKeys(ring.Name);
        if (signing.Any(v => !held.Contains(v.HsmId)))
        {
            // Listed once more before any key is taken for lost: SoftHSM2's file-backed token can leave a key out of one
            // listing while another session creates or destroys a key (two nodes on one token: an active key was once
            // replaced out of schedule in KeyRingServiceTests.Two_nodes_on_one_postgresql_...). A key really gone (a
            // token restored from an older copy, wiped, unreachable) is missing from both listings.
            held.UnionWith(HeldKeys(ring.Name));
        }

        var lostActive = signing.FirstOrDefault(v => v.State == KeyState.Active && !held.Contains(v.HsmId));
        var lostPending = signing.FirstOrDefault(v => v.State == KeyState.Pending && !held.Contains(v.HsmId));
        if (lostActive is null && lostPending is null)
        {
            return [];
        }

        var actions = new List<TickAction>();
        var now = _clock.GetUtcNow();
        var active = signing.FirstOrDefault(v => v.State == KeyState.Active);
        var waiting = signing.FirstOrDefault(v => v.State == KeyState.Pending && v != lostPending);
        KeyVersion? replacement = null;
        if (waiting is null)
        {
            // Made before anything is retired, and throws while the HSM is away: then nothing has changed. A replacement
            // for a lost waiting key is pre-published like any next key; one for a lost active key signs at once.
            var version = NextVersion(versions);
            var activateAt = lostActive is null && active is not null ? NextActivation(active, ring.Policy, now) : now;
            replacement = NewVersion(ring, await GenerateAsync(ring, version, SchedulerActor, now, cancellationToken), version, now, activateAt);
        }

        if (lostPending is not null)
        {
            var retired = lostPending with { State = KeyState.Retired, DeactivatedAt = now, VerifyUntil = now, RetiredAt = now };
            var details = LostDetails(lostPending);
            details["verifyUntil"] = Stamp(retired.VerifyUntil);
            if (!await _store.ApplyAsync([new KeyTransition(KeyState.Pending, retired)], [new AuditEntry(SchedulerActor, "key.lost", ring.Name, lostPending.Kid, details)], now, CancellationToken.None))
            {
                // Changed under us (should not happen under the lease): the replacement was never published.
                _custodian.Destroy(replacement!.HsmId);
                return actions;
            }

            KeysLog.KeyLost(_log, ring.Name, "pending", lostPending.Kid, lostPending.HsmId);
            actions.Add(new TickAction(ring.Name, "lost", lostPending.Kid));
        }

        if (replacement is not null)
        {
            if (!await RecordAsync(replacement, SchedulerActor, now))
            {
                return actions;
            }

            actions.Add(new TickAction(ring.Name, lostActive is null ? "published" : "created", replacement.Kid));
        }

        var successor = replacement ?? waiting;
        if (lostActive is not null && successor is not null)
        {
            if (await ActivateAsync(ring, successor, lostActive, now, SchedulerActor, new Dictionary<string, string> { ["reason"] = "lost" }, Handover.Lost, CancellationToken.None))
            {
                KeysLog.KeyLost(_log, ring.Name, "active", lostActive.Kid, lostActive.HsmId);
                Fault(KeyFaultPoints.Activated);
                Metrics.CountRotation(emergency: false);
                actions.Add(new TickAction(ring.Name, "lost", lostActive.Kid));
                actions.Add(new TickAction(ring.Name, "activated", successor.Kid));
            }
        }

        _cache.TryRemove(ring.Name, out _);
        return actions;
    }

    /// <summary>The HSM ids of the private keys the token holds for <paramref name="ring"/>.</summary>
    private HashSet<string> HeldKeys(string ring) => _custodian.List(LabelPrefix(ring)).Select(k => k.HsmId).ToHashSet(StringComparer.Ordinal);

    private static Dictionary<string, string> LostDetails(KeyVersion lost) => new()
    {
        ["state"] = lost.State.ToString().ToLowerInvariant(),
        ["hsmId"] = lost.HsmId,
    };

    private async Task MarkUnhealthyAsync(string ring, Exception e, CancellationToken cancellationToken)
    {
        var problem = $"{e.GetType().Name}: {e.Message}";
        if (_unhealthy.TryGetValue(ring, out var known) && known == problem)
        {
            return; // once per distinct problem: a ring that fails every pass must not flood the audit log
        }

        // The audit record is written before the ring shows as unhealthy in /readyz (and before the operator's log
        // says so), so that no one sees a degraded ring the audit trail has no record of. A record that cannot be
        // written does not hide the failure: the ring is marked unhealthy all the same.
        try
        {
            await _store.AppendAuditAsync(new AuditEntry(SchedulerActor, "ring.unhealthy", ring, null, new Dictionary<string, string> { ["problem"] = problem }), _clock.GetUtcNow(), cancellationToken);
        }
        catch (Exception audit) when (audit is not OperationCanceledException)
        {
            KeysLog.AuditUnwritable(_log, ring, audit.Message);
        }
        finally
        {
            _unhealthy[ring] = problem;
        }

        KeysLog.RingUnhealthy(_log, ring, problem);
    }

    /// <summary>A failure of the whole node (HSM or store away, or the host stopping), not of one ring.</summary>
    private static bool IsOutage(Exception e, CancellationToken cancellationToken)
        => e is HsmUnavailableException or System.Data.Common.DbException
            || (e is KeyServiceException { Kind: KeyErrorKind.Unavailable })
            || (e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private void Fault(string point) => _options.FaultPoint?.Invoke(point);

    /// <summary><paramref name="at"/> plus <paramref name="span"/>, or the end of the calendar rather than an overflow.</summary>
    private static DateTimeOffset After(DateTimeOffset at, TimeSpan span)
        => span >= DateTimeOffset.MaxValue - at ? DateTimeOffset.MaxValue : at + span;

    /// <summary><paramref name="at"/> minus <paramref name="span"/>, or the start of the calendar rather than an overflow.</summary>
    private static DateTimeOffset Before(DateTimeOffset at, TimeSpan span)
        => span >= at - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : at - span;

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

    /// <summary>
    /// Whether <paramref name="active"/> is past the one extra rotation period a late rotation is allowed (the scheduler
    /// or the HSM was away): such a key no longer signs. Its successor still signs only after pre-publication, so that
    /// no relying party meets a key it could not have fetched.
    /// </summary>
    private static bool SignsNoLonger(KeyVersion active, KeyRingPolicy policy, DateTimeOffset now)
        => active.ExpiresAt is { } expires && now > After(expires, policy.RotationPeriod);

    /// <summary>When a next key made now may sign: at the end of the active key's period, and not before it has been published for the pre-publication.</summary>
    private static DateTimeOffset NextActivation(KeyVersion active, KeyRingPolicy policy, DateTimeOffset now)
        => Max(active.ExpiresAt!.Value, After(now, policy.PrePublication));

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

    /// <summary>What becomes of the active key a new one replaces.</summary>
    private enum Handover
    {
        /// <summary>Still published and verifying for the ring's grace (a rotation).</summary>
        Retiring,

        /// <summary>Unpublished at once (a compromised key).</summary>
        RetiredAtOnce,

        /// <summary>The token no longer holds it: retiring, as a rotation, recorded as <c>key.lost</c>.</summary>
        Lost,
    }

    private sealed record RingSnapshot(long Stamp, KeyRing Ring, IReadOnlyList<KeyVersion> Versions, KeyVersion? Active, byte[] Jwks, TimeSpan JwksMaxAge);
}
