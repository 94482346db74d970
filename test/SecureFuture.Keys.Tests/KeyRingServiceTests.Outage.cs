using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Keys.Pkcs11;
using SecureFuture.Keys.Storage;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

/// <summary>
/// The HSM goes away while a ring has an active key (issue 20, the flaky <c>HsmOutageTests</c>). A SoftHSM2 token whose
/// directory vanishes under an open session still answers, but lists no objects: a scheduler pass in that moment used to
/// take the active key for lost, retire it, fail to make a successor, and leave the ring with no active key, so
/// signing answered "no active key" instead of naming the outage, and after the outage the key was gone for good.
/// Each test has a token of its own (<see cref="PrivateSoftHsm"/>), so the outage is real and touches no other test.
/// </summary>
public sealed partial class KeyRingServiceTests
{
    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_scheduler_pass_during_an_hsm_outage_leaves_the_active_key_active_and_it_signs_again_after(string kind)
    {
        using var token = PrivateSoftHsm.Create("sfi-keys-outage-");
        using var custodian = new Pkcs11Custodian(token.Options);
        await using var store = (await TestStores.CreateAsync(kind))();
        var clock = new FakeTimeProvider(Start);
        var (service, ring) = await StartWithHourlyRingAsync(store, custodian, clock);
        var before = await service.SignAsync(ring, SHA256.HashData("before"u8), null, default);

        using (Outage(token))
        {
            // The pass runs before anything else touches the token: the session it finds open lists nothing.
            var pass = await Assert.ThrowsAsync<KeyServiceException>(() => service.TickAsync(default));
            Assert.Equal(KeyErrorKind.Unavailable, pass.Kind);

            Assert.Equal(before.Kid, Assert.Single(await store.ListVersionsAsync(ring, default), v => v.State == KeyState.Active).Kid);
            var during = await Assert.ThrowsAsync<KeyServiceException>(() => service.SignAsync(ring, SHA256.HashData("during"u8), null, default));
            Assert.Equal(KeyErrorKind.Unavailable, during.Kind);
            Assert.StartsWith("the HSM is unavailable", during.Message, StringComparison.Ordinal);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        await service.TickAsync(default);
        var after = await service.SignAsync(ring, SHA256.HashData("after"u8), null, default);
        Assert.Equal(before.Kid, after.Kid);
        Assert.Single(await store.ListVersionsAsync(ring, default));
        Assert.DoesNotContain(await store.ReadAuditAsync(default), r => r.Action == "key.lost" && r.Ring == ring);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_key_that_outlives_its_signing_limit_during_an_outage_is_refused_naming_the_outage_until_its_successor_signs(string kind)
    {
        using var token = PrivateSoftHsm.Create("sfi-keys-expired-");
        using var custodian = new Pkcs11Custodian(token.Options);
        await using var store = (await TestStores.CreateAsync(kind))();
        var clock = new FakeTimeProvider(Start);
        var (service, ring) = await StartWithHourlyRingAsync(store, custodian, clock);
        var first = Assert.Single(await store.ListVersionsAsync(ring, default));

        using (Outage(token))
        {
            // The whole period and the extra period a late rotation is allowed pass with the HSM away.
            clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));
            await Assert.ThrowsAsync<KeyServiceException>(() => service.TickAsync(default));

            // Fail closed: the key no longer signs, and the error says why the ring could not rotate.
            var refused = await Assert.ThrowsAsync<KeyServiceException>(() => service.SignAsync(ring, SHA256.HashData("late"u8), null, default));
            Assert.Equal(KeyErrorKind.Unavailable, refused.Kind);
            Assert.Contains("no longer signs", refused.Message, StringComparison.Ordinal);
            Assert.Contains("the HSM is unavailable", refused.Message, StringComparison.Ordinal);
            Assert.Equal(first.Kid, Assert.Single(await store.ListVersionsAsync(ring, default), v => v.State == KeyState.Active).Kid);
        }

        // The HSM is back: the next key is published, and the refusal says when it signs; the old key still does not.
        clock.Advance(TimeSpan.FromSeconds(2));
        var published = Assert.Single(await service.TickAsync(default));
        Assert.Equal("published", published.Action);
        var waiting = await Assert.ThrowsAsync<KeyServiceException>(() => service.SignAsync(ring, SHA256.HashData("waiting"u8), null, default));
        Assert.Contains("no longer signs; the next key signs from", waiting.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("HSM", waiting.Message, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromMinutes(10));
        await service.TickAsync(default);
        var signed = await service.SignAsync(ring, SHA256.HashData("after"u8), null, default);
        Assert.Equal(published.Kid, signed.Kid);
        Assert.NotEqual(first.Kid, signed.Kid);
        var versions = await store.ListVersionsAsync(ring, default);
        Assert.Equal(signed.Kid, Assert.Single(versions, v => v.State == KeyState.Active).Kid);
        Assert.Equal(KeyState.Retiring, versions.Single(v => v.Kid == first.Kid).State);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_key_the_token_lost_stays_active_until_the_hsm_can_make_its_successor_then_both_change_in_one_transaction(string kind)
    {
        var factory = await TestStores.CreateAsync(kind);
        var clock = new FakeTimeProvider(Start);
        await using var store = factory();
        var refusing = new RefusingCustodian(hsm.Custodian);
        var (service, ring) = await StartWithHourlyRingAsync(store, refusing, clock);
        var lost = Assert.Single(await store.ListVersionsAsync(ring, default));
        Assert.True(hsm.Custodian.Destroy(lost.HsmId));

        // The token really lost the key, but cannot make another one now: the ring keeps naming the key it has, and
        // signing names the real problem (the token no longer holds it), not a missing active key.
        refusing.Refusing = true;
        await Assert.ThrowsAsync<KeyServiceException>(() => service.TickAsync(default));
        Assert.Equal(lost.Kid, Assert.Single(await store.ListVersionsAsync(ring, default), v => v.State == KeyState.Active).Kid);
        var refused = await Assert.ThrowsAsync<KeyServiceException>(() => service.SignAsync(ring, SHA256.HashData("x"u8), null, default));
        Assert.StartsWith("the HSM is unavailable", refused.Message, StringComparison.Ordinal);

        // Generation works again: the successor is made first, then the lost key retires and the successor signs, in
        // one transaction.
        refusing.Refusing = false;
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains(await service.TickAsync(default), a => a.Action == "lost" && a.Kid == lost.Kid);
        var versions = await store.ListVersionsAsync(ring, default);
        var active = Assert.Single(versions, v => v.State == KeyState.Active);
        Assert.Equal(active.Kid, (await service.SignAsync(ring, SHA256.HashData("y"u8), null, default)).Kid);
        Assert.Equal(KeyState.Retiring, versions.Single(v => v.Kid == lost.Kid).State);
        var audit = await store.ReadAuditAsync(default);
        var lostRecord = Assert.Single(audit, r => r.Action == "key.lost" && r.Kid == lost.Kid);
        Assert.Contains(audit, r => r.Action == "key.activated" && r.Kid == active.Kid && r.Sequence == lostRecord.Sequence - 1);
        Assert.True((await service.VerifyAuditAsync(default)).IsIntact);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_waiting_key_the_token_lost_is_kept_until_the_hsm_can_make_its_replacement_which_is_pre_published(string kind)
    {
        await using var store = (await TestStores.CreateAsync(kind))();
        var clock = new FakeTimeProvider(Start);
        var refusing = new RefusingCustodian(hsm.Custodian);
        var (service, ring) = await StartWithHourlyRingAsync(store, refusing, clock);
        var active = Assert.Single(await store.ListVersionsAsync(ring, default));
        clock.Advance(TimeSpan.FromMinutes(50));
        var waiting = Assert.Single(await service.TickAsync(default), a => a.Action == "published");
        Assert.True(hsm.Custodian.Destroy((await store.ListVersionsAsync(ring, default)).Single(v => v.Kid == waiting.Kid).HsmId));

        // Nothing proves the key is gone rather than the token going away: no record of a loss, nothing retired.
        refusing.Refusing = true;
        clock.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<KeyServiceException>(() => service.TickAsync(default));
        Assert.Equal(KeyState.Pending, (await store.ListVersionsAsync(ring, default)).Single(v => v.Kid == waiting.Kid).State);
        Assert.DoesNotContain(await store.ReadAuditAsync(default), r => r.Action == "key.lost");

        // The token makes keys again: the lost key retires and its replacement is published, to sign no sooner than a
        // relying party can have fetched it.
        refusing.Refusing = false;
        clock.Advance(TimeSpan.FromSeconds(2));
        var actions = await service.TickAsync(default);
        Assert.Contains(actions, a => a.Action == "lost" && a.Kid == waiting.Kid);
        var replacement = Assert.Single(actions, a => a.Action == "published");
        var versions = await store.ListVersionsAsync(ring, default);
        Assert.Equal(KeyState.Retired, versions.Single(v => v.Kid == waiting.Kid).State);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(10), versions.Single(v => v.Kid == replacement.Kid).ActivateAt);
        Assert.Equal(active.Kid, (await service.SignAsync(ring, SHA256.HashData("x"u8), null, default)).Kid);
    }

    /// <summary>
    /// A service whose only ring (the default one, as <c>sfi serve</c> has) rotates hourly: a scheduler pass that ends at
    /// the first ring's outage reaches it.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task A_key_left_out_of_one_listing_of_the_token_is_not_taken_for_lost(string kind)
    {
        // SoftHSM2's file-backed token can leave a key out of one listing while another session changes the token (an
        // active key was replaced out of schedule once in Two_nodes_on_one_postgresql_never_rotate_the_same_ring_twice).
        using var token = PrivateSoftHsm.Create("sfi-keys-flicker-");
        using var real = new Pkcs11Custodian(token.Options);
        var custodian = new FlickeringCustodian(real);
        await using var store = (await TestStores.CreateAsync(kind))();
        var clock = new FakeTimeProvider(Start);
        var (service, ring) = await StartWithHourlyRingAsync(store, custodian, clock);
        var active = Assert.Single(await store.ListVersionsAsync(ring, default));

        custodian.OmitFromNextListing = active.HsmId;
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(await service.TickAsync(default), a => a.Ring == ring);
        Assert.Null(custodian.OmitFromNextListing); // the listing did leave it out
        Assert.Equal(active.Kid, Assert.Single(await store.ListVersionsAsync(ring, default)).Kid);
        Assert.DoesNotContain(await store.ReadAuditAsync(default), r => r.Action == "key.lost" && r.Ring == ring);

        // A key the token really no longer holds is still replaced, as before.
        Assert.True(real.Destroy(active.HsmId));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains(await service.TickAsync(default), a => a.Ring == ring && a.Action == "lost" && a.Kid == active.Kid);
        Assert.NotEqual(active.Kid, Assert.Single(await store.ListVersionsAsync(ring, default), v => v.State == KeyState.Active).Kid);
    }

    private static async Task<(KeyRingService Service, string Ring)> StartWithHourlyRingAsync(IKeyStore store, IKeyCustodian custodian, TimeProvider clock)
    {
        var ring = new KeyRingRequest { Name = Ring("outage"), RotationPeriod = "PT1H", PrePublication = "PT10M" };
        var service = new KeyRingService(store, custodian, clock, new KeyServiceOptions { DefaultRing = ring });
        await service.InitializeAsync(default);
        return (service, ring.Name!);
    }

    /// <summary>
    /// The token's directory and the module file go away, as when a network HSM drops off: the session already open
    /// still answers (listing nothing) until an operation fails, and no new session can be opened. Disposing brings both back.
    /// </summary>
    private static Restore Outage(PrivateSoftHsm token)
    {
        var parkedTokens = token.TokenDirectory + ".parked";
        var parkedModule = token.ModulePath + ".parked";
        Directory.Move(token.TokenDirectory, parkedTokens);
        File.Move(token.ModulePath, parkedModule);
        return new Restore(() =>
        {
            Directory.Move(parkedTokens, token.TokenDirectory);
            File.Move(parkedModule, token.ModulePath);
        });
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>The real token, except that its next listing leaves out <see cref="OmitFromNextListing"/> once.</summary>
    private sealed class FlickeringCustodian(IKeyCustodian inner) : DelegatingCustodian(inner)
    {
        public string? OmitFromNextListing { get; set; }

        public override IReadOnlyList<HsmKeyInfo> List(string labelPrefix)
        {
            var listed = base.List(labelPrefix);
            if (OmitFromNextListing is not { } omitted || !listed.Any(k => k.HsmId == omitted))
            {
                return listed;
            }

            OmitFromNextListing = null;
            return [.. listed.Where(k => k.HsmId != omitted)];
        }
    }

    /// <summary>The real token, except that it cannot generate a key (full, or its write path failing) while <see cref="Refusing"/> is set.</summary>
    private sealed class RefusingCustodian(IKeyCustodian inner) : DelegatingCustodian(inner)
    {
        public bool Refusing { get; set; }

        public override HsmKey Generate(SigningAlgorithm algorithm, string label)
            => Refusing ? throw new HsmUnavailableException("the token refused to generate a key (CKR_DEVICE_MEMORY)") : base.Generate(algorithm, label);
    }
}
