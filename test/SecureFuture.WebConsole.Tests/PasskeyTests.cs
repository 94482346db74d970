using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace SecureFuture.WebConsole.Tests;

/// <summary>
/// Enrolment and sign-in with passkeys at the HTTP level, with a software authenticator that can also answer the ways
/// no browser would: every malformed answer gets a 4xx, stores nothing, and is recorded as a console security event.
/// </summary>
[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed class PasskeyTests(HsmFixture hsm)
{
    [Fact]
    public async Task First_owner_enrols_once_with_the_printed_link_and_the_enrolment_is_audited()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        using var browser = new ConsoleBrowser(server);
        using var authenticator = new SoftAuthenticator();

        using var enrolled = await browser.EnrolAsync(server.FirstOwnerLink, authenticator);
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        var cookie = Assert.Single(enrolled.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-sfi-session=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);

        var (status, overview, _) = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("first owner (owner)", overview, StringComparison.Ordinal);

        var audit = await server.AuditAsync();
        var record = Assert.Single(audit, r => r.Action == "console.person-enrolled");
        Assert.StartsWith("person:", record.Actor, StringComparison.Ordinal);
        Assert.Contains("\"role\":\"owner\"", record.Details, StringComparison.Ordinal);

        // The link worked once: a second browser is refused, on the page and at the WebAuthn step.
        using var second = new ConsoleBrowser(server);
        var token = new Uri(server.FirstOwnerLink).Query;
        var (again, page, _) = await second.GetAsync("/enrol" + token);
        Assert.Equal(HttpStatusCode.Gone, again);
        Assert.Contains("already used", page, StringComparison.Ordinal);
        await second.GetAsync("/signin"); // an antiforgery token, so that the link itself is what is refused
        using var options = await second.PostFormAsync("/console/webauthn/enrol/options", [new("token", Uri.UnescapeDataString(token.Split("token=")[1]))]);
        Assert.Equal(HttpStatusCode.Gone, options.StatusCode);
    }

    [Fact]
    public async Task An_enrolment_link_is_refused_after_15_minutes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        using var browser = new ConsoleBrowser(server);
        using var authenticator = new SoftAuthenticator();
        var (ceremony, options) = await browser.BeginEnrolAsync(server.FirstOwnerLink);

        clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        var (status, page, _) = await browser.GetAsync(new Uri(server.FirstOwnerLink).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("expired", page, StringComparison.Ordinal);
        // A ceremony started in time does not stretch the link: the enrolment itself is refused too.
        using var late = await browser.PostJsonAsync("/console/webauthn/enrol", new JsonObject { ["ceremony"] = ceremony, ["credential"] = authenticator.Create(options, server.Origin) });
        Assert.True(late.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Gone, late.StatusCode.ToString());
        Assert.Empty(await ConsoleStoreOf(server).ListPeopleAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Malformed_attestations_get_400_store_nothing_and_are_recorded()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        using var browser = new ConsoleBrowser(server);
        using var authenticator = new SoftAuthenticator();
        var link = server.FirstOwnerLink;
        var cases = new (string Name, Func<JsonObject, JsonObject> Answer, Func<System.Text.Json.JsonElement, JsonObject>? Credential)[]
        {
            ("wrong challenge", a => a, o => authenticator.Create(o, server.Origin, challengeOverride: SoftAuthenticator.Base64Url(new byte[32]))),
            ("wrong origin", a => a, o => authenticator.Create(o, server.Origin, originOverride: "http://evil.localhost:" + server.Port)),
            ("wrong RP id", a => a, o => authenticator.Create(o, server.Origin, rpIdOverride: "evil.example")),
            ("garbage attestation", a => { a["response"]!["attestationObject"] = SoftAuthenticator.Base64Url([0xa3, 0x01, 0xff, 0x13, 0x37]); return a; }, null),
            ("not base64url", a => { a["response"]!["clientDataJSON"] = "%%%"; return a; }, null),
            ("missing response", a => { a.Remove("response"); return a; }, null),
        };

        var events = 0;
        foreach (var (name, mutate, credential) in cases)
        {
            var (ceremony, options) = await browser.BeginEnrolAsync(link);
            var answer = mutate(credential?.Invoke(options) ?? authenticator.Create(options, server.Origin));
            using var refused = await browser.PostJsonAsync("/console/webauthn/enrol", new JsonObject { ["ceremony"] = ceremony, ["credential"] = answer });
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{name}: {refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.False(browser.Cookies.ContainsKey("__Host-sfi-session"), name);
            Assert.Empty(await ConsoleStoreOf(server).ListPeopleAsync(CancellationToken.None));
            var recorded = await ConsoleStoreOf(server).ListEventsAsync(100, CancellationToken.None);
            Assert.Equal(++events, recorded.Where(e => e.Type == "webauthn.refused").Sum(e => e.Count));
        }

        // An answer to a challenge that was never issued, and an oversized answer.
        using var unknown = await browser.PostJsonAsync("/console/webauthn/enrol", new JsonObject { ["ceremony"] = "nope", ["credential"] = new JsonObject() });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using var huge = await browser.PostJsonAsync("/console/webauthn/enrol", new JsonObject { ["ceremony"] = "x", ["credential"] = new JsonObject { ["pad"] = new string('a', 100_000) } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        // Nothing of the refusals used the link: the right answer still enrols.
        using var enrolled = await browser.EnrolAsync(link, authenticator);
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        Assert.Single(await ConsoleStoreOf(server).ListPeopleAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Malformed_assertions_get_4xx_and_the_counter_only_moves_forward()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        using var authenticator = new SoftAuthenticator { Counter = 5 };
        using (var owner = new ConsoleBrowser(server))
        using (var enrolled = await owner.EnrolAsync(server.FirstOwnerLink, authenticator))
        {
            Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        }

        using var browser = new ConsoleBrowser(server);
        using var stranger = new SoftAuthenticator();
        var cases = new (string Name, HttpStatusCode Expected, Func<System.Text.Json.JsonElement, JsonObject> Answer)[]
        {
            ("unknown credential", HttpStatusCode.Unauthorized, o => stranger.Get(o, server.Origin)),
            ("wrong challenge", HttpStatusCode.Unauthorized, o => authenticator.Get(o, server.Origin, challengeOverride: SoftAuthenticator.Base64Url(new byte[32]))),
            ("wrong origin", HttpStatusCode.Unauthorized, o => authenticator.Get(o, "https://evil.example")),
            ("wrong RP id", HttpStatusCode.Unauthorized, o => authenticator.Get(o, server.Origin, rpIdOverride: "evil.example")),
            ("counter going backwards (a clone)", HttpStatusCode.Unauthorized, o => authenticator.Get(o, server.Origin, counter: 3)),
            ("counter standing still", HttpStatusCode.Unauthorized, o => authenticator.Get(o, server.Origin, counter: 5)),
            ("counter reset to zero", HttpStatusCode.Unauthorized, o => authenticator.Get(o, server.Origin, counter: 0)),
            ("garbage signature", HttpStatusCode.Unauthorized, o => { var a = authenticator.Get(o, server.Origin, counter: 6); a["response"]!["signature"] = SoftAuthenticator.Base64Url([0x30, 0x02, 0x01]); return a; }),
        };

        var reasons = new List<string>();
        foreach (var (name, expected, answer) in cases)
        {
            var (ceremony, options) = await browser.BeginSignInAsync();
            using var refused = await browser.PostJsonAsync("/console/webauthn/signin", new JsonObject { ["ceremony"] = ceremony, ["credential"] = answer(options) });
            reasons.Add(await refused.Content.ReadAsStringAsync());
            Assert.True(refused.StatusCode == expected, $"{name}: {refused.StatusCode} {reasons[^1]}");
            Assert.False(browser.Cookies.ContainsKey("__Host-sfi-session"), name);
        }

        var passkey = await ConsoleStoreOf(server).FindPasskeyAsync(authenticator.CredentialId, CancellationToken.None);
        Assert.Equal(5u, passkey!.SignCount); // no refused answer moved it

        // The right answer signs in, once: the same answer again finds its challenge used.
        var (good, goodOptions) = await browser.BeginSignInAsync();
        var answerOnce = authenticator.Get(goodOptions, server.Origin, counter: 7);
        using (var signedIn = await browser.PostJsonAsync("/console/webauthn/signin", new JsonObject { ["ceremony"] = good, ["credential"] = answerOnce }))
        {
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        }

        using var replayer = new ConsoleBrowser(server);
        await replayer.GetAsync("/signin");
        using var replayed = await replayer.PostJsonAsync("/console/webauthn/signin", new JsonObject { ["ceremony"] = good, ["credential"] = answerOnce.DeepClone() });
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Equal(7u, (await ConsoleStoreOf(server).FindPasskeyAsync(authenticator.CredentialId, CancellationToken.None))!.SignCount);
        var events = await ConsoleStoreOf(server).ListEventsAsync(100, CancellationToken.None);
        // Every refusal is counted; those naming the passkey's person are grouped under them, the others under no one.
        Assert.True(cases.Length + 1 == events.Where(e => e.Type == "webauthn.refused").Sum(e => e.Count), string.Join("\n", events.Select(e => $"{e.Type} x{e.Count}: {e.Details}")));
        Assert.Equal(cases.Length - 1, events.Where(e => e.Type == "webauthn.refused" && e.PersonId == passkey.PersonId).Sum(e => e.Count));
        Assert.Equal(3, reasons.Count(r => r.Contains("SignCount must be greater", StringComparison.Ordinal))); // 3, 5 and 0 after 5
        Assert.Contains(events, e => e.Details.Contains("unknown, used or expired", StringComparison.Ordinal));
        Assert.False(replayer.Cookies.ContainsKey("__Host-sfi-session"));
    }

    [Fact]
    public async Task A_second_passkey_is_added_only_with_a_fresh_passkey_sign_in_and_then_signs_in_as_the_same_person()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        var (owner, first) = await SessionTests.EnrolOwnerAsync(server);
        using (owner)
        using (first)
        using (var second = new SoftAuthenticator())
        {
            // Six minutes after signing in, the session is not fresh: adding a passkey is refused.
            clock.Advance(TimeSpan.FromMinutes(6));
            await owner.GetAsync("/account");
            using (var stale = await owner.PostFormAsync("/console/webauthn/add/options", []))
            {
                Assert.Equal(HttpStatusCode.Forbidden, stale.StatusCode);
            }

            // After a passkey sign-in it works, for this person's own user handle, excluding the passkey they have.
            using (var again = await owner.SignInAsync(first))
            {
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            }

            await owner.GetAsync("/account");
            using var started = await owner.PostFormAsync("/console/webauthn/add/options", []);
            var json = System.Text.Json.JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement;
            var options = json.GetProperty("options");
            Assert.Equal(SoftAuthenticator.Base64Url(first.CredentialId), options.GetProperty("excludeCredentials")[0].GetProperty("id").GetString());

            // An answer from another origin is refused and stores nothing.
            using (var wrong = await owner.PostJsonAsync("/console/webauthn/add", new JsonObject { ["ceremony"] = json.GetProperty("ceremony").GetString(), ["credential"] = second.Create(options, "http://evil.localhost:" + server.Port) }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            }

            using var restarted = await owner.PostFormAsync("/console/webauthn/add/options", []);
            var retry = System.Text.Json.JsonDocument.Parse(await restarted.Content.ReadAsStringAsync()).RootElement;
            using (var added = await owner.PostJsonAsync("/console/webauthn/add", new JsonObject { ["ceremony"] = retry.GetProperty("ceremony").GetString(), ["credential"] = second.Create(retry.GetProperty("options"), server.Origin) }))
            {
                Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            }

            Assert.Contains("2 passkeys", (await owner.GetAsync("/people")).Body, StringComparison.Ordinal);
            Assert.Contains(await server.AuditAsync(), r => r.Action == "console.passkey-added");

            // The new device signs in as the same person.
            using var elsewhere = new ConsoleBrowser(server);
            using (var signedIn = await elsewhere.SignInAsync(second))
            {
                Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
            }

            Assert.Contains("first owner (owner)", (await elsewhere.GetAsync("/")).Body, StringComparison.Ordinal);
            Assert.Single(await ConsoleStoreOf(server).ListPeopleAsync(CancellationToken.None));
        }
    }

    internal static People.ConsoleStore ConsoleStoreOf(ConsoleTestServer server)
        => (People.ConsoleStore)server.Server.Services.GetService(typeof(People.ConsoleStore))!;
}
