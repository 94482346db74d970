using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Keys.Storage;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

/// <summary>The key lifecycle, run against both stores with the real SoftHSM2 token and a fake clock.</summary>
[Collection(HsmGroup.Name)]
[Trait("Category", "Integration")]
public sealed partial class KeyRingServiceTests(HsmFixture hsm)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_ring_rotates_on_schedule_with_pre_publication_grace_and_destruction(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("rotating");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT1H", PrePublication = "PT10M", VerificationGrace = "PT20M", MaxTokenLifetime = "PT15M", Retention = "PT30M" }, "admin", false, default);

        var first = Assert.Single(await Versions(node, ring));
        Assert.Equal(KeyState.Active, first.State);
        Assert.Equal(Start + TimeSpan.FromHours(1), first.ExpiresAt);
        Assert.Equal([first.Kid], await JwksKids(node, ring));

        // Nothing is due before the pre-publication window opens.
        node.Clock.Advance(TimeSpan.FromMinutes(49));
        Assert.Empty(await node.Service.TickAsync(default));

        // 10 minutes before the end of the period the next key is published, but does not sign.
        node.Clock.Advance(TimeSpan.FromMinutes(1));
        var published = Assert.Single(await node.Service.TickAsync(default));
        Assert.Equal("published", published.Action);
        Assert.Equal([first.Kid, published.Kid], await JwksKids(node, ring));
        Assert.Equal(first.Kid, (await node.Service.SignAsync(ring, SHA256.HashData("x"u8), null, default)).Kid);

        // At the end of the period it takes over; the old key retires but still verifies.
        node.Clock.Advance(TimeSpan.FromMinutes(10));
        var actions = await node.Service.TickAsync(default);
        Assert.Contains(actions, a => a.Action == "activated" && a.Kid == published.Kid);
        Assert.Contains(actions, a => a.Action == "retiring" && a.Kid == first.Kid);
        var signed = await node.Service.SignAsync(ring, SHA256.HashData("y"u8), null, default);
        Assert.Equal(published.Kid, signed.Kid);
        Assert.Equal([published.Kid, first.Kid], await JwksKids(node, ring));

        var oldDigest = SHA256.HashData("signed by the old key"u8);
        var oldSignature = hsm.Custodian.SignDigest(first.HsmId, SigningAlgorithm.ES256, oldDigest);
        Assert.True((await node.Service.VerifyAsync(ring, first.Kid, oldDigest, null, oldSignature, default)).Valid);

        // After the grace period it is unpublished and no longer verifies.
        node.Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Contains(await node.Service.TickAsync(default), a => a.Action == "retired" && a.Kid == first.Kid);
        Assert.Equal([published.Kid], await JwksKids(node, ring));
        var refused = await node.Service.VerifyAsync(ring, first.Kid, oldDigest, null, oldSignature, default);
        Assert.False(refused.Valid);
        Assert.Equal(KeyState.Retired, refused.State);

        // After the retention period it is destroyed in the HSM.
        // (The same pass, 10 minutes before the current key's period ends, publishes the next key.)
        node.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Contains(await node.Service.TickAsync(default), a => a.Action == "destroyed" && a.Kid == first.Kid);
        Assert.Null(hsm.Custodian.FindPublicKey(first.HsmId, SigningAlgorithm.ES256));
        Assert.Equal(KeyState.Destroyed, (await Versions(node, ring)).Single(v => v.Kid == first.Kid).State);

        var audit = await node.Service.VerifyAuditAsync(default);
        Assert.True(audit.IsIntact, string.Join("\n", audit.Problems));
        // (Signatures have their own records, key.signed, written in batches at each pass.)
        var actionsInLog = (await node.Store.ReadAuditAsync(default)).Where(r => r.Ring == ring && r.Action != "key.signed").Select(r => r.Action).ToArray();
        // Every key's creation is preceded by its intent (key.generating), so a crash in between is explained by the log.
        Assert.Equal(["key.generating", "ring.created", "key.created", "key.activated", "key.generating", "key.created", "key.activated", "key.retiring", "key.retired", "key.generating", "key.created", "key.destroyed"], actionsInLog);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task An_emergency_rotation_can_unpublish_a_compromised_key_at_once(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("emergency");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring }, "admin", false, default);
        var compromised = Assert.Single(await Versions(node, ring));

        var graceful = await node.Service.RotateAsync(ring, "admin", "drill", retireImmediately: false, default);
        Assert.Equal(KeyState.Active, graceful.State);
        Assert.Equal(KeyState.Retiring, (await Versions(node, ring)).Single(v => v.Kid == compromised.Kid).State);

        var next = await node.Service.RotateAsync(ring, "admin", "key material exposed", retireImmediately: true, default);
        var states = (await Versions(node, ring)).ToDictionary(v => v.Kid, v => v.State);
        Assert.Equal(KeyState.Active, states[next.Kid]);
        Assert.Equal(KeyState.Retired, states[graceful.Kid]);
        Assert.DoesNotContain(graceful.Kid, await JwksKids(node, ring));
        Assert.Equal(next.Kid, (await node.Service.SignAsync(ring, SHA256.HashData("z"u8), null, default)).Kid);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task The_store_refuses_to_move_a_key_backwards_or_to_edit_the_audit_log(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("forward");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring }, "admin", false, default);
        var first = Assert.Single(await Versions(node, ring));
        await node.Service.RotateAsync(ring, "admin", "test", retireImmediately: true, default);

        // Through the store's own API: a compare-and-set that no longer matches changes nothing.
        var reactivated = first with { State = KeyState.Active };
        Assert.False(await node.Store.ApplyAsync([new KeyTransition(KeyState.Active, reactivated)], [], Start, default));
        Assert.False(await node.Store.ApplyAsync([new KeyTransition(KeyState.Retired, reactivated)], [], Start, default));
        Assert.Equal(KeyState.Retired, (await Versions(node, ring)).Single(v => v.Kid == first.Kid).State);

        // And straight SQL against the database is refused by its triggers.
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => TestStores.ExecuteRawAsync(node.Store, $"UPDATE key_versions SET state = 1 WHERE kid = '{first.Kid}'"));
        var active = (await Versions(node, ring)).Single(v => v.State == KeyState.Active);
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => TestStores.ExecuteRawAsync(node.Store, $"UPDATE key_versions SET expires_at = expires_at + 86400000 WHERE kid = '{active.Kid}'"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => TestStores.ExecuteRawAsync(node.Store, $"UPDATE key_versions SET expires_at = NULL WHERE kid = '{active.Kid}'"));
        await TestStores.ExecuteRawAsync(node.Store, $"UPDATE key_versions SET expires_at = expires_at - 1000 WHERE kid = '{active.Kid}'"); // shortening is allowed
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => TestStores.ExecuteRawAsync(node.Store, "UPDATE audit_records SET actor = 'someone else' WHERE seq = 1"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => TestStores.ExecuteRawAsync(node.Store, "DELETE FROM audit_records WHERE seq = 1"));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Audit_verification_names_edited_removed_and_reordered_records(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("audit");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring }, "admin", false, default);
        await node.Service.RotateAsync(ring, "admin", "one", false, default);
        Assert.NotNull(await node.Service.CheckpointAsync(default));
        await node.Service.RotateAsync(ring, "admin", "two", false, default);
        var clean = await node.Service.VerifyAuditAsync(default);
        Assert.True(clean.IsIntact, string.Join("\n", clean.Problems));
        Assert.True(clean.Records >= 8);

        // Someone with database access drops the triggers first, as an attacker would.
        var dropTriggers = kind == TestStores.Sqlite
            ? "DROP TRIGGER audit_records_no_update; DROP TRIGGER audit_records_no_delete"
            : "DROP TRIGGER audit_records_append_only ON audit_records";
        await TestStores.ExecuteRawAsync(node.Store, dropTriggers);

        await TestStores.ExecuteRawAsync(node.Store, "UPDATE audit_records SET actor = 'nobody' WHERE seq = 3");
        var edited = await node.Service.VerifyAuditAsync(default);
        Assert.Contains(edited.Problems, p => p.StartsWith("record 3 edited", StringComparison.Ordinal));

        await TestStores.ExecuteRawAsync(node.Store, "DELETE FROM audit_records WHERE seq = 5");
        var removed = await node.Service.VerifyAuditAsync(default);
        Assert.Contains(removed.Problems, p => p.StartsWith("record 5 removed", StringComparison.Ordinal));

        // Swapping two records' contents (keeping the sequence numbers) breaks the links.
        await TestStores.ExecuteRawAsync(node.Store, "UPDATE audit_records SET seq = -6 WHERE seq = 6; UPDATE audit_records SET seq = 6 WHERE seq = 7; UPDATE audit_records SET seq = 7 WHERE seq = -6");
        var reordered = await node.Service.VerifyAuditAsync(default);
        Assert.Contains(reordered.Problems, p => p.StartsWith("record 6 ", StringComparison.Ordinal) || p.StartsWith("record 7 ", StringComparison.Ordinal));

        // Rewriting the whole chain consistently still disagrees with the checkpoint signed in the HSM.
        var fresh = await Node.StartAsync(hsm, kind);
        await using (fresh)
        {
            var ring2 = Ring("rewritten");
            await fresh.Service.CreateRingAsync(new KeyRingRequest { Name = ring2 }, "admin", false, default);
            var checkpoint = await fresh.Service.CheckpointAsync(default);
            Assert.NotNull(checkpoint);
            await TestStores.ExecuteRawAsync(fresh.Store, dropTriggers);
            var records = await fresh.Store.ReadAuditAsync(default);
            var previous = Audit.AuditRecord.GenesisHash;
            foreach (var record in records)
            {
                var forged = Audit.AuditRecord.Create(record.Sequence, record.At, new Audit.AuditEntry(record.Actor == "admin" ? "intruder" : record.Actor, record.Action, record.Ring, record.Kid), previous);
                await TestStores.ExecuteRawAsync(fresh.Store, $"UPDATE audit_records SET actor = '{forged.Actor}', details = '{forged.Details}', prev_hash = '{forged.PreviousHash}', hash = '{forged.Hash}' WHERE seq = {record.Sequence}");
                previous = forged.Hash;
            }

            var rewritten = await fresh.Service.VerifyAuditAsync(default);
            Assert.Contains(rewritten.Problems, p => p.Contains("the chain was rewritten", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_node_killed_between_generating_and_recording_a_key_leaves_a_consistent_ring(string kind)
    {
        var factory = await TestStores.CreateAsync(kind);
        var clock = new FakeTimeProvider(Start);
        var ring = Ring("crash");
        var crashing = new CrashingCustodian(hsm.Custodian);
        await using (var store = factory())
        {
            var service = await StartServiceAsync(store, crashing, clock);
            await service.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT1H", PrePublication = "PT10M" }, "admin", false, default);

            // The node dies right after the HSM generated the next key, before the store recorded it (in this
            // process the "crash" is an exception, which the scheduler confines to the ring).
            clock.Advance(TimeSpan.FromMinutes(55));
            crashing.CrashAfterNextGenerate = true;
            Assert.DoesNotContain(await service.TickAsync(default), a => a.Ring == ring);
            Assert.Contains("simulated crash", service.UnhealthyRings[ring], StringComparison.Ordinal);
        }

        var orphan = Assert.Single(crashing.Generated, k => k.Label.EndsWith($"/{ring}/v2", StringComparison.Ordinal));
        Assert.NotNull(hsm.Custodian.FindPublicKey(orphan.HsmId, SigningAlgorithm.ES256));

        // A restarted node finds the orphan (never published, never signed), destroys it and rotates normally.
        await using var restarted = factory();
        var recovered = await StartServiceAsync(restarted, hsm.Custodian, clock);
        var actions = await recovered.TickAsync(default);
        Assert.Contains(actions, a => a.Action == "orphan-destroyed" && a.Kid == orphan.HsmId);
        Assert.Contains(actions, a => a.Action == "published" && a.Ring == ring);
        Assert.Null(hsm.Custodian.FindPublicKey(orphan.HsmId, SigningAlgorithm.ES256));

        var versions = await restarted.ListVersionsAsync(ring, default);
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Single(versions, v => v.State == KeyState.Active);
        Assert.Single(versions, v => v.State == KeyState.Pending);
        Assert.Equal(versions.Select(v => v.HsmId).Order(), hsm.Custodian.List(recovered.LabelPrefix(ring)).Select(k => k.HsmId).Order());
        var audit = await recovered.VerifyAuditAsync(default);
        Assert.True(audit.IsIntact, string.Join("\n", audit.Problems));
    }

    [Fact]
    public async Task Two_nodes_on_one_postgresql_never_rotate_the_same_ring_twice()
    {
        var factory = await TestStores.CreateAsync(TestStores.Postgres);
        var clock = new FakeTimeProvider(Start);
        var options = new KeyServiceOptions { DefaultRing = new KeyRingRequest { Name = Ring("default") }, Dev = true };
        await using var storeA = factory();
        await using var storeB = factory();
        var nodeA = new KeyRingService(storeA, hsm.Custodian, clock, options with { NodeName = "a" });
        var nodeB = new KeyRingService(storeB, hsm.Custodian, clock, options with { NodeName = "b" });
        await Task.WhenAll(nodeA.InitializeAsync(default), nodeB.InitializeAsync(default));
        var ring = Ring("contended");
        await nodeA.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT10S", PrePublication = "PT4S", MaxTokenLifetime = "PT3S", VerificationGrace = "PT3S" }, "admin", false, default);

        // 60 simulated seconds, both nodes ticking concurrently four times a second.
        for (var step = 0; step < 240; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.WhenAll(nodeA.TickAsync(default), nodeB.TickAsync(default), nodeA.TickAsync(default), nodeB.TickAsync(default));
        }

        var versions = await storeA.ListVersionsAsync(ring, default);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
        Assert.InRange(versions.Count, 6, 8);
        Assert.Single(versions, v => v.State == KeyState.Active);
        var records = (await storeA.ReadAuditAsync(default)).Where(r => r.Ring == ring).ToArray();
        Assert.Equal(versions.Count, records.Count(r => r.Action == "key.created"));
        Assert.Equal(records.Count(r => r.Action == "key.activated"), records.Where(r => r.Action == "key.activated").Select(r => r.Kid).Distinct().Count());
        var activations = versions.Where(v => v.ActivatedAt is not null).Select(v => v.ActivatedAt!.Value).Order().ToArray();
        Assert.All(activations.Zip(activations.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(10), pair.Second - pair.First));
        var audit = await nodeB.VerifyAuditAsync(default);
        Assert.True(audit.IsIntact, string.Join("\n", audit.Problems));
    }

    /// <summary>
    /// Waits until the listener receives notifications. LISTEN is registered on another connection, in its own time, and
    /// a notification sent before that reaches no one, so a probe is sent again until one arrives; each try waits for
    /// the probe itself, not for a guess at how long the registration takes.
    /// </summary>
    private static async Task ListeningAsync(SqlKeyStore notifier, Notifications received)
    {
        const string Probe = "listener-probe";
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using (var connection = await notifier.DataSource.OpenConnectionAsync())
            await using (var notify = connection.CreateCommand())
            {
                notify.CommandText = $"SELECT pg_notify('{SqlKeyStore.NotifyChannel}', '{Probe}')";
                await notify.ExecuteNonQueryAsync();
            }

            if (await received.WaitForAsync(Probe, TimeSpan.FromMilliseconds(100)))
            {
                return;
            }
        }

        Assert.Fail("the listener received none of 100 probes");
    }

    [Fact]
    public async Task A_change_on_one_postgresql_node_reaches_the_others_cache_at_once()
    {
        var factory = await TestStores.CreateAsync(TestStores.Postgres);
        var clock = new FakeTimeProvider(Start); // never advanced: only a notification can refresh node B's cache
        var options = new KeyServiceOptions { DefaultRing = new KeyRingRequest { Name = Ring("default") } };
        await using var storeA = factory();
        await using var storeB = factory();
        var nodeA = new KeyRingService(storeA, hsm.Custodian, clock, options);
        var nodeB = new KeyRingService(storeB, hsm.Custodian, clock, options);
        await nodeA.InitializeAsync(default);
        await nodeB.InitializeAsync(default);
        var ring = Ring("notified");
        await nodeA.CreateRingAsync(new KeyRingRequest { Name = ring }, "admin", false, default);
        var before = await nodeB.GetJwksAsync(ring, default);

        using var stop = new CancellationTokenSource();
        var changed = new Notifications();
        var listening = storeB.ListenAsync(name => { nodeB.Invalidate(name); changed.Add(name); }, stop.Token);
        await ListeningAsync((SqlKeyStore)storeA, changed);
        var rotated = await nodeA.RotateAsync(ring, "admin", "test", retireImmediately: false, default);

        // The rotation is committed; once node B has taken a notification for the ring (and invalidated its cache),
        // it serves the new key.
        Assert.True(await changed.WaitForAsync(ring, TimeSpan.FromSeconds(5)), "node B was not notified of the rotation");
        var json = System.Text.Encoding.UTF8.GetString((await nodeB.GetJwksAsync(ring, default)).Json);
        Assert.DoesNotContain(rotated.Kid, System.Text.Encoding.UTF8.GetString(before.Json), StringComparison.Ordinal);
        Assert.Contains(rotated.Kid, json, StringComparison.Ordinal);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listening);
    }

    [Fact]
    public async Task Installations_sharing_a_token_never_touch_each_others_keys()
    {
        // Two independent deployments (separate stores) on one HSM token, with the same ring name.
        await using var first = await Node.StartAsync(hsm, TestStores.Sqlite);
        await using var second = await Node.StartAsync(hsm, TestStores.Sqlite);
        const string Name = "payments";
        await first.Service.CreateRingAsync(new KeyRingRequest { Name = Name }, "admin", false, default);
        await second.Service.CreateRingAsync(new KeyRingRequest { Name = Name }, "admin", false, default);
        var firstKey = Assert.Single(await Versions(first, Name));
        var secondKey = Assert.Single(await Versions(second, Name));

        // Each scheduler looks for orphans under its own installation's labels only.
        Assert.DoesNotContain(await first.Service.TickAsync(default), a => a.Action == "orphan-destroyed");
        Assert.DoesNotContain(await second.Service.TickAsync(default), a => a.Action == "orphan-destroyed");
        Assert.NotNull(hsm.Custodian.FindPublicKey(firstKey.HsmId, SigningAlgorithm.ES256));
        Assert.NotNull(hsm.Custodian.FindPublicKey(secondKey.HsmId, SigningAlgorithm.ES256));
        Assert.NotEqual(first.Service.LabelPrefix(Name), second.Service.LabelPrefix(Name));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_scoped_ring_signs_only_tokens_for_its_issuer_audiences_and_lifetime(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("scoped");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring, Issuer = "https://id.example.test", Audiences = ["api://orders"], MaxTokenLifetime = "PT10M", VerificationGrace = "PT10M" }, "admin", false, default);
        var kid = Assert.Single(await Versions(node, ring)).Kid;
        var now = Start.ToUnixTimeSeconds();

        string Jws(object header, object claims) => $"{Base64Url.Encode(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(header)))}.{Base64Url.Encode(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(claims)))}";
        var good = Jws(new { alg = "ES256", kid, typ = "JWT" }, new { iss = "https://id.example.test", aud = "api://orders", iat = now, exp = now + 300 });
        var signed = await node.Service.SignAsync(ring, null, Encoding.ASCII.GetBytes(good), default);
        Assert.True((await node.Service.VerifyAsync(ring, kid, null, Encoding.ASCII.GetBytes(good), signed.Signature, default)).Valid);

        async Task<KeyServiceException> Refused(byte[]? digest, string? payload)
            => await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync(ring, digest, payload is null ? null : Encoding.ASCII.GetBytes(payload), default));

        Assert.Contains("scoped to issuer", (await Refused(SHA256.HashData("raw"u8), null)).Message, StringComparison.Ordinal);
        Assert.Contains("claims.iss", (await Refused(null, Jws(new { alg = "ES256", kid }, new { iss = "https://login.microsoftonline.com/common", aud = "api://orders", iat = now, exp = now + 60 }))).Message, StringComparison.Ordinal);
        Assert.Contains("claims.aud", (await Refused(null, Jws(new { alg = "ES256", kid }, new { iss = "https://id.example.test", aud = "api://payroll", iat = now, exp = now + 60 }))).Message, StringComparison.Ordinal);
        Assert.Contains("maxTokenLifetime", (await Refused(null, Jws(new { alg = "ES256", kid }, new { iss = "https://id.example.test", aud = "api://orders", iat = now, exp = now + 86400 }))).Message, StringComparison.Ordinal);
        Assert.Contains("claims.exp: required", (await Refused(null, Jws(new { alg = "ES256", kid }, new { iss = "https://id.example.test", aud = "api://orders" }))).Message, StringComparison.Ordinal);
        Assert.Contains("header.alg", (await Refused(null, Jws(new { alg = "none", kid }, new { iss = "https://id.example.test", aud = "api://orders", exp = now + 60 }))).Message, StringComparison.Ordinal);
        Assert.Contains("header.jwk", (await Refused(null, Jws(new { alg = "ES256", kid, jwk = new { kty = "EC" } }, new { iss = "https://id.example.test", aud = "api://orders", exp = now + 60 }))).Message, StringComparison.Ordinal);
        var stale = await Refused(null, Jws(new { alg = "ES256", kid = "old-kid" }, new { iss = "https://id.example.test", aud = "api://orders", exp = now + 60 }));
        Assert.Equal(KeyErrorKind.Conflict, stale.Kind);
        Assert.Contains("signs only a JWS signing input", (await Refused(null, "plain bytes")).Message, StringComparison.Ordinal);
        Assert.Contains("signs only a JWS signing input", (await Refused(null, good + ".c2ln")).Message, StringComparison.Ordinal);
        Assert.Contains("header is not base64url", (await Refused(null, "eyJhbGciOiJFUzI1NiJ9=." + good.Split('.')[1])).Message, StringComparison.Ordinal);

        // Audiences: an array of the ring's is signed; one foreign, empty, or not a string is refused.
        await node.Service.SignAsync(ring, null, Encoding.ASCII.GetBytes(Jws(new { alg = "ES256", kid }, new { iss = "https://id.example.test", aud = new[] { "api://orders", "api://orders" }, exp = now + 60 })), default);
        foreach (object aud in new object[] { new[] { "api://orders", "api://payroll" }, Array.Empty<string>(), new object[] { "api://orders", 7 }, 7 })
        {
            Assert.Contains("claims.aud", (await Refused(null, Jws(new { alg = "ES256", kid }, new { iss = "https://id.example.test", aud, exp = now + 60 }))).Message, StringComparison.Ordinal);
        }

        // Compared as JSON strings: an escape is its character; a lone surrogate is not text and is refused, not a crash.
        string Raw(string header, string claims) => $"{Base64Url.Encode(Encoding.UTF8.GetBytes(header))}.{Base64Url.Encode(Encoding.UTF8.GetBytes(claims))}";
        await node.Service.SignAsync(ring, null, Encoding.ASCII.GetBytes(Raw($$"""{"alg":"\u0045S256","kid":"{{kid}}"}""", $$"""{"iss":"https:\/\/id.example.test","aud":"api://orders","exp":{{now + 60}}}""")), default);
        var surrogate = await Refused(null, Raw($$"""{"alg":"ES256","kid":"{{kid}}"}""", $$"""{"iss":"https://id.example.test","aud":"api://orders","exp":{{now + 60}},"sub":"\ud800"}"""));
        Assert.Equal(KeyErrorKind.Invalid, surrogate.Kind);
        Assert.Contains("claims is not JSON", surrogate.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Bad_sign_requests_are_refused_and_change_nothing(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("bad");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring, Algorithm = "ES384" }, "admin", false, default);
        var before = (await node.Store.ReadAuditAsync(default)).Count;

        Assert.Equal(KeyErrorKind.NotFound, (await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync("no-such-ring", new byte[32], null, default))).Kind);
        Assert.Contains("48-byte", (await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync(ring, new byte[32], null, default))).Message, StringComparison.Ordinal);
        Assert.Equal(KeyErrorKind.TooLarge, (await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync(ring, null, new byte[64 * 1024 + 1], default))).Kind);
        Assert.Equal(KeyErrorKind.Invalid, (await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync(ring, new byte[48], new byte[1], default))).Kind);
        Assert.Equal(KeyErrorKind.Conflict, (await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.CreateRingAsync(new KeyRingRequest { Name = ring }, "admin", false, default))).Kind);

        var signed = await node.Service.SignAsync(ring, null, "payload"u8.ToArray(), default);
        Assert.Equal("ES384", signed.Algorithm);
        Assert.Equal(96, signed.Signature.Length);
        Assert.Equal(before, (await node.Store.ReadAuditAsync(default)).Count);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_key_overdue_by_a_whole_period_stops_signing(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("overdue");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT1H" }, "admin", false, default);

        // The scheduler never runs (say the HSM refused to generate keys for two hours).
        node.Clock.Advance(TimeSpan.FromMinutes(119));
        await node.Service.SignAsync(ring, new byte[32], null, default);
        node.Clock.Advance(TimeSpan.FromMinutes(2));
        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync(ring, new byte[32], null, default));
        Assert.Equal(KeyErrorKind.Unavailable, refused.Kind);
        Assert.Contains("overdue", refused.Message, StringComparison.Ordinal);

        // The scheduler's next pass recovers: the next key is published, and signs after pre-publication.
        await node.Service.TickAsync(default);
        node.Clock.Advance(TimeSpan.FromHours(12));
        await node.Service.TickAsync(default);
        Assert.Equal(2, (await node.Service.SignAsync(ring, new byte[32], null, default)) is { } s ? (await Versions(node, ring)).Single(v => v.Kid == s.Kid).Version : 0);
    }

    /// <summary>A key service on <paramref name="store"/>, initialized as <c>sfi serve</c> starts it (with its default ring).</summary>
    private static async Task<KeyRingService> StartServiceAsync(IKeyStore store, IKeyCustodian custodian, TimeProvider clock, ILogger<KeyRingService>? log = null)
    {
        var service = new KeyRingService(store, custodian, clock, new KeyServiceOptions { DefaultRing = new KeyRingRequest { Name = Ring("default") } }, log);
        await service.InitializeAsync(default);
        return service;
    }

    private static string Ring(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..(purpose.Length + 9)];

    private static Task<IReadOnlyList<KeyVersion>> Versions(Node node, string ring) => node.Store.ListVersionsAsync(ring, default);

    private static async Task<string[]> JwksKids(Node node, string ring)
    {
        node.Clock.Advance(TimeSpan.FromSeconds(2));
        var (json, _) = await node.Service.GetJwksAsync(ring, default);
        return JsonNode.Parse(json)!["keys"]!.AsArray().Select(k => (string)k!["kid"]!).ToArray();
    }

    /// <summary>The ring names a store's listener has been notified of, and a way to wait for one.</summary>
    private sealed class Notifications
    {
        private readonly List<string> _names = [];
        private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Add(string name)
        {
            lock (_names)
            {
                _names.Add(name);
            }

            Interlocked.Exchange(ref _arrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        /// <summary>True once <paramref name="name"/> has arrived; false if it did not within <paramref name="timeout"/>.</summary>
        public async Task<bool> WaitForAsync(string name, TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            while (true)
            {
                // Taken before looking, so that a name added after the look completes it.
                var next = Volatile.Read(ref _arrived).Task;
                lock (_names)
                {
                    if (_names.Contains(name))
                    {
                        return true;
                    }
                }

                try
                {
                    await next.WaitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    /// <summary>A service node with its own store connection, on the shared token.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private Node(IKeyStore store, KeyRingService service, FakeTimeProvider clock)
        {
            Store = store;
            Service = service;
            Clock = clock;
        }

        public IKeyStore Store { get; }

        public KeyRingService Service { get; }

        public FakeTimeProvider Clock { get; }

        public static async Task<Node> StartAsync(HsmFixture hsm, string kind)
        {
            var store = (await TestStores.CreateAsync(kind))();
            var clock = new FakeTimeProvider(Start);
            var service = await StartServiceAsync(store, hsm.Custodian, clock);
            return new Node(store, service, clock);
        }

        public ValueTask DisposeAsync() => Store.DisposeAsync();
    }
}

internal sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException()
        : base("simulated crash")
    {
    }
}

/// <summary>The real custodian, except that it can "crash" the node right after the HSM has generated a key.</summary>
internal sealed class CrashingCustodian(IKeyCustodian inner) : DelegatingCustodian(inner)
{
    public bool CrashAfterNextGenerate { get; set; }

    public List<HsmKey> Generated { get; } = [];

    public override HsmKey Generate(SigningAlgorithm algorithm, string label)
    {
        var key = base.Generate(algorithm, label);
        Generated.Add(key);
        if (CrashAfterNextGenerate)
        {
            CrashAfterNextGenerate = false;
            throw new SimulatedCrashException();
        }

        return key;
    }
}
