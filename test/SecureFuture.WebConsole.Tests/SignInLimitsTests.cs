using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using SecureFuture.Testing;
using SecureFuture.WebConsole.Auth;

namespace SecureFuture.WebConsole.Tests;

/// <summary>
/// Refused sign-ins are grouped security events and throttled; TOTP codes are single use and limited per person; and a
/// decision made in the console reaches the hub's cached <c>/metrics</c> at once, as one made through the API does.
/// </summary>
[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed partial class SignInLimitsTests(HsmFixture hsm)
{
    [Fact]
    public async Task A_flood_of_refused_passkey_answers_is_one_counted_event_and_the_address_is_throttled_until_the_window_passes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        var (owner, key) = await SessionTests.EnrolOwnerAsync(server);
        using (owner)
        using (key)
        {
            using var attacker = new ConsoleBrowser(server);
            using var stranger = new SoftAuthenticator();
            for (var i = 0; i < SignInGuard.MaxRefusalsPerSource; i++)
            {
                var (ceremony, options) = await attacker.BeginSignInAsync();
                using var refused = await attacker.PostJsonAsync("/console/webauthn/signin", new JsonObject { ["ceremony"] = ceremony, ["credential"] = stranger.Get(options, server.Origin) });
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            // One row stands for the whole flood.
            var events = await PasskeyTests.ConsoleStoreOf(server).ListEventsAsync(100, CancellationToken.None);
            var flood = Assert.Single(events, e => e.Type == SignInGuard.WebAuthnRefused);
            Assert.Equal(SignInGuard.MaxRefusalsPerSource, flood.Count);
            Assert.Equal("127.0.0.1", flood.Source);
            var (_, eventsPage, _) = await owner.GetAsync("/events");
            Assert.Contains($"<td class=\"warn\">{SignInGuard.MaxRefusalsPerSource}</td><td>{SignInGuard.WebAuthnRefused}</td>", eventsPage, StringComparison.Ordinal);

            // Now every step from that address is refused before anything is verified, even with a registered passkey.
            using var signIn = new ConsoleBrowser(server);
            await signIn.GetAsync("/signin");
            using (var options = await signIn.PostFormAsync("/console/webauthn/signin/options", []))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, options.StatusCode);
            }

            using (var answer = await signIn.PostJsonAsync("/console/webauthn/signin", new JsonObject { ["ceremony"] = "x", ["credential"] = new JsonObject() }))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
            }

            events = await PasskeyTests.ConsoleStoreOf(server).ListEventsAsync(100, CancellationToken.None);
            Assert.Equal(2, Assert.Single(events, e => e.Type == SignInGuard.Throttled).Count);
            Assert.Equal(SignInGuard.MaxRefusalsPerSource, events.Where(e => e.Type == SignInGuard.WebAuthnRefused).Sum(e => e.Count)); // throttled steps verified nothing

            // Once the refusals are older than the span, the passkey signs in again.
            clock.Advance(SignInGuard.Span + TimeSpan.FromMinutes(5));
            using var again = await signIn.SignInAsync(key);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
    }

    [Fact]
    public async Task Totp_secrets_are_stored_encrypted_codes_work_once_and_five_wrong_codes_stop_that_persons_totp_sign_in()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        var (owner, key) = await SessionTests.EnrolOwnerAsync(server);
        using (owner)
        using (key)
        {
            // Adding TOTP is refused while the deployment has it off.
            await owner.GetAsync("/account");
            using (var off = await owner.PostFormAsync("/account?handler=AddTotp", []))
            {
                Assert.Equal(HttpStatusCode.Forbidden, off.StatusCode);
            }

            await owner.GetAsync("/people");
            using (var on = await owner.PostFormAsync("/people?handler=Totp", [new("enabled", "on")]))
            {
                Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
            }

            await owner.GetAsync("/account");
            using var added = await owner.PostFormAsync("/account?handler=AddTotp", []);
            var page = await added.Content.ReadAsStringAsync();
            var secret = SecretPattern().Match(page).Groups[1].Value;
            Assert.Equal(32, secret.Length); // 160 bits in base32
            var totp = new Totp(Base32Encoding.ToBytes(secret));
            owner.FormTokenFrom(page);
            using (var confirmed = await owner.PostFormAsync("/account?handler=ConfirmTotp", [new("code", totp.ComputeTotp(clock.GetUtcNow().UtcDateTime))]))
            {
                Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
            }

            var person = (await PasskeyTests.ConsoleStoreOf(server).ListPeopleAsync(CancellationToken.None))[0];
            var stored = await PasskeyTests.ConsoleStoreOf(server).GetTotpAsync(person.Id, CancellationToken.None);
            Assert.NotNull(stored!.ConfirmedAt);
            Assert.DoesNotContain(secret, stored.ProtectedSecret, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, (await owner.GetAsync("/account")).Body, StringComparison.Ordinal);

            // The confirming code does not sign in; the next step's code does, once.
            using var phone = new ConsoleBrowser(server);
            clock.Advance(TimeSpan.FromSeconds(30));
            var code = totp.ComputeTotp(clock.GetUtcNow().UtcDateTime);
            Assert.Equal(HttpStatusCode.Redirect, await TotpSignInAsync(phone, "First Owner", code)); // names match case-insensitively
            Assert.True(phone.Cookies.ContainsKey("__Host-sfi-session"));
            using var thief = new ConsoleBrowser(server);
            Assert.Equal(HttpStatusCode.Unauthorized, await TotpSignInAsync(thief, "first owner", code));

            // With the replay, five wrong codes (from anywhere), and even the right one waits: the person's TOTP is locked for the span.
            clock.Advance(TimeSpan.FromSeconds(30));
            for (var i = 1; i < SignInGuard.MaxTotpRefusalsPerPerson; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await TotpSignInAsync(thief, "first owner", ((i * 111_111) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture)));
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, await TotpSignInAsync(thief, "first owner", totp.ComputeTotp(clock.GetUtcNow().UtcDateTime)));
            var events = await PasskeyTests.ConsoleStoreOf(server).ListEventsAsync(100, CancellationToken.None);
            Assert.Equal(SignInGuard.MaxTotpRefusalsPerPerson, events.Where(e => e.Type == SignInGuard.TotpRefused).Sum(e => e.Count)); // the replay and four guesses

            clock.Advance(SignInGuard.Span + TimeSpan.FromMinutes(5));
            using var later = new ConsoleBrowser(server);
            Assert.Equal(HttpStatusCode.Redirect, await TotpSignInAsync(later, "first owner", totp.ComputeTotp(clock.GetUtcNow().UtcDateTime)));
        }
    }

    [Fact]
    public async Task A_decision_in_the_console_is_in_the_next_metrics_scrape_without_waiting_for_the_cache()
    {
        // A clock that stands still: the cached report never ages out, only a write can invalidate it.
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, new FakeTimeProvider(DateTimeOffset.UtcNow));
        await server.SeedFindingsAsync("shop", "team shop", new HubSarif.Result("SFI-CODE-001", "src/Shop/Orders.cs", 42, "aaaa0000bbbb1111:1"));
        var findingId = (string)(await server.FindingsAsync("shop"))[0]!["id"]!;
        Assert.Equal(1, OpenFindings(await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative))));

        var (owner, key) = await SessionTests.EnrolOwnerAsync(server);
        using (owner)
        using (key)
        {
            await owner.GetAsync("/findings/" + findingId);
            using var dismissed = await owner.PostFormAsync($"/findings/{findingId}?handler=Dismiss", [new("reason", "false-positive"), new("comment", "parameterised below")]);
            Assert.Equal(HttpStatusCode.Redirect, dismissed.StatusCode);
        }

        // Within the cache's lifetime: the scrape sees the decision.
        Assert.Equal(0, OpenFindings(await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative))));
    }

    private static async Task<HttpStatusCode> TotpSignInAsync(ConsoleBrowser browser, string name, string code)
    {
        await browser.GetAsync("/signin");
        using var response = await browser.PostFormAsync("/signin?handler=Totp", [new("name", name), new("code", code)]);
        return response.StatusCode;
    }

    private static int OpenFindings(string metrics)
        => OpenPattern().Matches(metrics).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex("id=\"totp-secret\">([A-Z2-7]+)<")]
    private static partial Regex SecretPattern();

    [GeneratedRegex(@"^sfi_findings_open\{[^}]*\} (\d+)$", RegexOptions.Multiline)]
    private static partial Regex OpenPattern();
}
