using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

/// <summary>
/// Issue 14: the store and the token reconciled after a crash, ring durations bounded, one ring's failure confined to
/// it, the internal security-event ring kept from the admin API, and every signature audited.
/// </summary>
public sealed partial class KeyRingServiceTests
{
    private const string TwoWeeksOfMilliseconds = "423360000000000"; // P700000W, the penetration test's value

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_signing_key_the_token_no_longer_holds_is_retired_and_replaced_at_start_with_an_audit_record(string kind)
    {
        var factory = await TestStores.CreateAsync(kind);
        var clock = new FakeTimeProvider(Start);
        var ring = Ring("lost");
        KeyVersion lost;
        await using (var store = factory())
        {
            var service = await StartServiceAsync(store, hsm.Custodian, clock);
            await service.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT1H", PrePublication = "PT10M" }, "admin", false, default);
            lost = Assert.Single(await store.ListVersionsAsync(ring, default));
        }

        // What a crash between the store write and the token's own write leaves (or a token restored from an older
        // copy): the store names an active key the token does not hold.
        Assert.True(hsm.Custodian.Destroy(lost.HsmId));

        await using var restarted = factory();
        var recovered = await StartServiceAsync(restarted, hsm.Custodian, clock);

        // Signing works at once, with a key the token holds; the lost key still verifies what it signed (its public
        // half is in the store) until the grace ends.
        var signed = await recovered.SignAsync(ring, SHA256.HashData("after the crash"u8), null, default);
        var versions = await restarted.ListVersionsAsync(ring, default);
        var active = Assert.Single(versions, v => v.State == KeyState.Active);
        Assert.Equal(active.Kid, signed.Kid);
        Assert.NotEqual(lost.Kid, active.Kid);
        Assert.NotNull(hsm.Custodian.FindPublicKey(active.HsmId, SigningAlgorithm.ES256));
        Assert.Equal(KeyState.Retiring, versions.Single(v => v.Kid == lost.Kid).State);
        var (jwks, _) = await recovered.GetJwksAsync(ring, default);
        Assert.Equal([active.Kid, lost.Kid], JsonNode.Parse(jwks)!["keys"]!.AsArray().Select(k => (string)k!["kid"]!));

        var audit = await restarted.ReadAuditAsync(default);
        Assert.Contains(audit, r => r.Action == "key.lost" && r.Kid == lost.Kid && r.Ring == ring);
        Assert.Contains(audit, r => r.Action == "key.generating" && r.Ring == ring && r.Details.Contains("/v2", StringComparison.Ordinal));
        Assert.True((await recovered.VerifyAuditAsync(default)).IsIntact);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_ring_stored_with_unbounded_durations_rotates_without_overflow_and_never_destroys_early(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("huge");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT1H" }, "admin", false, default);
        // A ring made before durations were bounded (the API now refuses these values).
        await TestStores.ExecuteRawAsync(node.Store, $"UPDATE key_rings SET retention_ms = {TwoWeeksOfMilliseconds}, verification_grace_ms = {TwoWeeksOfMilliseconds} WHERE name = '{ring}'");
        node.Service.Invalidate(ring);

        // Was an ArgumentOutOfRangeException (500) that left a pending key behind.
        var first = Assert.Single(await Versions(node, ring));
        var rotated = await node.Service.RotateAsync(ring, "admin", "test", retireImmediately: false, default);
        Assert.Equal(KeyState.Active, rotated.State);
        Assert.Equal(DateTimeOffset.MaxValue.ToUnixTimeMilliseconds(), (await Versions(node, ring)).Single(v => v.Kid == first.Kid).VerifyUntil!.Value.ToUnixTimeMilliseconds());

        await node.Service.RotateAsync(ring, "admin", "compromised", retireImmediately: true, default);
        node.Clock.Advance(TimeSpan.FromDays(30));
        await node.Service.TickAsync(default);
        Assert.False(node.Service.UnhealthyRings.ContainsKey(ring));
        Assert.Contains(await Versions(node, ring), v => v.Kid == rotated.Kid && v.State == KeyState.Retired);
        Assert.NotNull(hsm.Custodian.FindPublicKey(rotated.HsmId, SigningAlgorithm.ES256));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_ring_whose_scheduled_work_fails_is_marked_unhealthy_and_the_other_rings_still_rotate(string kind)
    {
        var factory = await TestStores.CreateAsync(kind);
        var clock = new FakeTimeProvider(Start);
        var broken = "a" + Ring("broken"); // listed (by name) before the healthy ring
        var healthy = "b" + Ring("healthy");
        var failing = new FailingCustodian(hsm.Custodian, $"/{broken}/");
        var logs = new RecordingLoggerProvider();
        await using var store = factory();
        var service = await StartServiceAsync(store, failing, clock, logs.CreateLogger<KeyRingService>());
        await service.CreateRingAsync(new KeyRingRequest { Name = broken, RotationPeriod = "PT1H", PrePublication = "PT10M" }, "admin", false, default);
        await service.CreateRingAsync(new KeyRingRequest { Name = healthy, RotationPeriod = "PT1H", PrePublication = "PT10M" }, "admin", false, default);
        failing.Failing = true;

        clock.Advance(TimeSpan.FromMinutes(55));
        var actions = await service.TickAsync(default);
        Assert.Contains(actions, a => a.Ring == healthy && a.Action == "published");
        Assert.Contains("InvalidOperationException", service.UnhealthyRings[broken], StringComparison.Ordinal);

        // Recorded once, however many passes fail the same way, in the audit log and in the operator's log (a warning
        // from the key service's own ILogger<T> category, naming the ring and the problem).
        await service.TickAsync(default);
        Assert.Single(await store.ReadAuditAsync(default), r => r.Action == "ring.unhealthy" && r.Ring == broken);
        var warning = Assert.Single(logs.Messages, m => m.Message.Contains("scheduled work failed", StringComparison.Ordinal));
        Assert.Equal(typeof(KeyRingService).FullName, warning.Category);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains(broken, warning.Message, StringComparison.Ordinal);
        Assert.Contains("a defect in this ring's work", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Messages, m => m.Message.Contains(healthy, StringComparison.Ordinal));

        failing.Failing = false;
        await service.TickAsync(default);
        Assert.False(service.UnhealthyRings.ContainsKey(broken));
        Assert.Contains(await store.ReadAuditAsync(default), r => r.Action == "ring.recovered" && r.Ring == broken);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_scoped_ring_made_with_an_unbounded_token_lifetime_signs_no_token_longer_than_the_node_allows(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("scoped");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring, Issuer = "https://id.example.test", RotationPeriod = "P30D" }, "admin", false, default);
        await TestStores.ExecuteRawAsync(node.Store, $"UPDATE key_rings SET max_token_lifetime_ms = {TwoWeeksOfMilliseconds}, verification_grace_ms = {TwoWeeksOfMilliseconds} WHERE name = '{ring}'");
        node.Service.Invalidate(ring);
        var (_, active) = await node.Service.GetActiveAsync(ring, default);
        var now = Start.ToUnixTimeSeconds();

        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => node.Service.SignAsync(ring, null, Jws(active.Kid, now, now + (2 * 86400)), default));
        Assert.Contains("maxTokenLifetime of P1D", refused.Message, StringComparison.Ordinal);
        await node.Service.SignAsync(ring, null, Jws(active.Kid, now, now + 3600), default);

        static byte[] Jws(string kid, long iat, long exp)
            => Encoding.ASCII.GetBytes(Base64Url.Encode(Encoding.UTF8.GetBytes($"{{\"alg\":\"ES256\",\"kid\":\"{kid}\"}}")) + "." +
                                       Base64Url.Encode(Encoding.UTF8.GetBytes($"{{\"iss\":\"https://id.example.test\",\"iat\":{iat},\"exp\":{exp}}}")));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Every_signature_is_audited_with_its_ring_kid_caller_and_digest(string kind)
    {
        await using var node = await Node.StartAsync(hsm, kind);
        var ring = Ring("audited");
        await node.Service.CreateRingAsync(new KeyRingRequest { Name = ring }, "admin", false, default);
        var payload = "claims to be signed"u8.ToArray();
        var digest = SHA256.HashData("raw digest"u8);
        var first = await node.Service.SignForAsync(ring, null, payload, new SignCaller("admin:ops", External: true), default);
        await node.Service.SignForAsync(ring, digest, null, new SignCaller("admin:ops", External: true), default);
        await node.Service.SignAsync(ring, digest, null, default);
        await node.Service.FlushSignatureAuditAsync(default);

        var records = (await node.Store.ReadAuditAsync(default)).Where(r => r.Action == "key.signed" && r.Ring == ring).ToArray();
        var byAdmin = Assert.Single(records, r => r.Actor == "admin:ops");
        Assert.Equal(first.Kid, byAdmin.Kid);
        Assert.Contains($"{first.Kid} {Base64Url.Encode(SHA256.HashData(payload))}", byAdmin.Details, StringComparison.Ordinal);
        Assert.Contains($"{first.Kid} {Base64Url.Encode(digest)}", byAdmin.Details, StringComparison.Ordinal);
        Assert.Contains("\"count\":\"2\"", byAdmin.Details, StringComparison.Ordinal);
        Assert.Single(records, r => r.Actor == "service");
        Assert.True((await node.Service.VerifyAuditAsync(default)).IsIntact);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task An_internal_ring_signs_for_the_servers_own_services_only(string kind)
    {
        var factory = await TestStores.CreateAsync(kind);
        var ring = Ring("events");
        await using var store = factory();
        var service = new KeyRingService(store, hsm.Custodian, new FakeTimeProvider(Start), new KeyServiceOptions
        {
            DefaultRing = new KeyRingRequest { Name = Ring("default") },
            InternalRings = new HashSet<string>(StringComparer.Ordinal) { ring },
        });
        await service.InitializeAsync(default);
        await service.CreateRingAsync(new KeyRingRequest { Name = ring }, "bootstrap", false, default);

        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => service.SignForAsync(ring, new byte[32], null, new SignCaller("admin:ops", External: true), default));
        Assert.Equal(KeyErrorKind.Forbidden, refused.Kind);
        await service.SignAsync(ring, new byte[32], null, default);
    }
}
