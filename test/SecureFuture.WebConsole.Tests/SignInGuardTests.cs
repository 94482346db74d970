using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Tests;

/// <summary>
/// The sign-in limits themselves, on a console store in a temporary SQLite file and a clock the test moves: no server,
/// no HSM. <see cref="SignInLimitsTests"/> (Integration) shows the same limits through the console's pages.
/// </summary>
public sealed class SignInGuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-signin-guard-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Refusals_of_every_kind_from_one_address_throttle_only_that_address_until_they_are_older_than_the_span()
    {
        var (store, guard) = await OpenAsync();
        string[] kinds = [SignInGuard.WebAuthnRefused, SignInGuard.EnrolmentRefused, SignInGuard.TotpRefused];
        for (var i = 0; i < SignInGuard.MaxRefusalsPerSource - 1; i++)
        {
            await guard.RefuseAsync(kinds[i % kinds.Length], 401, "refused", null, "192.0.2.1", default);
        }

        Assert.Null(await guard.CheckSourceAsync("192.0.2.1", default)); // one guess short of the limit

        await guard.RefuseAsync(SignInGuard.WebAuthnRefused, 401, "refused", null, "192.0.2.1", default);
        var throttled = await guard.CheckSourceAsync("192.0.2.1", default);
        Assert.Equal(429, throttled?.Status);
        Assert.Null(await guard.CheckSourceAsync("192.0.2.2", default)); // another address is not punished for it

        // A flood is a row per kind (and five-minute window), with its count, plus the throttled attempt.
        var events = await store.ListEventsAsync(100, default);
        Assert.Equal(kinds.Length + 1, events.Count);
        Assert.Equal(SignInGuard.MaxRefusalsPerSource, events.Where(e => e.Type != SignInGuard.Throttled).Sum(e => e.Count));
        Assert.Equal("192.0.2.1", Assert.Single(events, e => e.Type == SignInGuard.Throttled).Source);

        // Still throttled just before the refusals age out; free once the span has passed over every window they are in.
        _clock.Advance(SignInGuard.Span - TimeSpan.FromMinutes(1));
        Assert.NotNull(await guard.CheckSourceAsync("192.0.2.1", default));
        _clock.Advance(ConsoleStore.EventWindow + TimeSpan.FromMinutes(1));
        Assert.Null(await guard.CheckSourceAsync("192.0.2.1", default));
    }

    [Fact]
    public async Task Wrong_totp_codes_for_one_person_lock_their_totp_sign_in_from_every_address_and_no_one_elses()
    {
        var (_, guard) = await OpenAsync();

        // Refused passkey answers naming the person do not count against their TOTP.
        for (var i = 0; i < SignInGuard.MaxTotpRefusalsPerPerson; i++)
        {
            await guard.RefuseAsync(SignInGuard.WebAuthnRefused, 401, "refused", "alice", "192.0.2.50", default);
        }

        Assert.Null(await guard.CheckTotpAsync("alice", "192.0.2.50", default));

        // Guesses spread over addresses (each far below the per-address limit) still lock the person.
        for (var i = 0; i < SignInGuard.MaxTotpRefusalsPerPerson; i++)
        {
            Assert.Null(await guard.CheckTotpAsync("alice", $"198.51.100.{i}", default));
            await guard.RefuseAsync(SignInGuard.TotpRefused, 401, "wrong code", "alice", $"198.51.100.{i}", default);
        }

        Assert.Equal(429, (await guard.CheckTotpAsync("alice", "203.0.113.9", default))?.Status);
        Assert.Null(await guard.CheckTotpAsync("bob", "203.0.113.9", default));
        Assert.Null(await guard.CheckSourceAsync("198.51.100.0", default));

        _clock.Advance(SignInGuard.Span + ConsoleStore.EventWindow);
        Assert.Null(await guard.CheckTotpAsync("alice", "203.0.113.9", default));
    }

    [Fact]
    public async Task A_refusal_reason_is_stored_cut_to_500_characters_and_answered_whole()
    {
        var (store, guard) = await OpenAsync();
        var reason = new string('x', 5_000); // e.g. a verifier's message quoting what the attacker sent
        var refusal = await guard.RefuseAsync(SignInGuard.WebAuthnRefused, 400, reason, null, "192.0.2.1", default);
        Assert.Equal(reason, refusal.Reason);
        Assert.Equal(500, Assert.Single(await store.ListEventsAsync(10, default)).Details.Length);
    }

    private async Task<(ConsoleStore Store, SignInGuard Guard)> OpenAsync()
    {
        var store = new ConsoleStore(SqliteFactory.Instance.CreateDataSource($"Data Source={Path.Combine(_dir, "console.db")}"), postgres: false);
        await store.InitializeAsync(default);
        return (store, new SignInGuard(store, _clock));
    }
}
