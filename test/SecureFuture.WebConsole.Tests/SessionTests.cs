using System.Net;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Testing;

namespace SecureFuture.WebConsole.Tests;

/// <summary>Sessions, roles, step-up, antiforgery and the console's headers, at the HTTP level.</summary>
[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed class SessionTests(HsmFixture hsm)
{
    private static readonly HubSarif.Result Injection = new("SFI-CODE-001", "src/Shop/Orders.cs", 42, "aaaa0000bbbb1111:1", Message: "SQL built from <script>alert('sarif')</script> input");

    [Fact]
    public async Task A_session_cookie_replayed_after_sign_out_is_refused()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        var (owner, _) = await EnrolOwnerAsync(server);
        using (owner)
        {
            var stolen = owner.Cookies["__Host-sfi-session"];
            await owner.GetAsync("/");
            using var signedOut = await owner.PostFormAsync("/signout", []);
            Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

            using var thief = new ConsoleBrowser(server);
            thief.Cookies["__Host-sfi-session"] = stolen;
            var (status, _, response) = await thief.GetAsync("/findings");
            Assert.Equal(HttpStatusCode.Redirect, status);
            Assert.StartsWith("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Sessions_end_after_30_idle_minutes_and_after_8_hours_however_active()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        var (owner, authenticator) = await EnrolOwnerAsync(server);
        using (owner)
        {
            clock.Advance(TimeSpan.FromMinutes(29));
            Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/")).Status);
            clock.Advance(TimeSpan.FromMinutes(31));
            Assert.Equal(HttpStatusCode.Redirect, (await owner.GetAsync("/")).Status);

            using (var again = await owner.SignInAsync(authenticator))
            {
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            }

            for (var i = 0; i < 16; i++)
            {
                clock.Advance(TimeSpan.FromMinutes(29));
                Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/")).Status);
            }

            clock.Advance(TimeSpan.FromMinutes(29)); // 8 h 13 min after sign-in, never idle for 30
            Assert.Equal(HttpStatusCode.Redirect, (await owner.GetAsync("/")).Status);
        }
    }

    [Fact]
    public async Task A_reader_sees_pages_but_is_refused_every_owner_action_and_removal_ends_their_session()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        await server.SeedFindingsAsync("shop", "team shop", Injection);
        var findingId = (string)(await server.FindingsAsync("shop"))[0]!["id"]!;
        var (owner, _) = await EnrolOwnerAsync(server);
        using (owner)
        {
            var link = await InviteAsync(owner, "Rita Reader", "reader");
            using var reader = new ConsoleBrowser(server);
            using var readerKey = new SoftAuthenticator();
            using (var enrolled = await reader.EnrolAsync(link, readerKey))
            {
                Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
            }

            foreach (var page in new[] { "/", "/findings", "/findings/" + findingId, "/projects", "/keys", "/clients", "/events", "/people" })
            {
                var (status, body, _) = await reader.GetAsync(page);
                Assert.True(status == HttpStatusCode.OK, $"{page}: {status}");
                Assert.DoesNotContain("id=\"dismiss\"", body, StringComparison.Ordinal);
                Assert.DoesNotContain("id=\"invite\"", body, StringComparison.Ordinal);
                Assert.DoesNotContain("Rotate now", body, StringComparison.Ordinal);
            }

            // The forms are not shown, and posting them anyway (with a valid antiforgery token of the reader's own) is 403.
            await reader.GetAsync("/people");
            using (var invite = await reader.PostFormAsync("/people?handler=Invite", [new("name", "Mallory"), new("role", "owner")]))
            {
                Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
            }

            await reader.GetAsync("/findings/" + findingId);
            using (var dismiss = await reader.PostFormAsync($"/findings/{findingId}?handler=Dismiss", [new("reason", "false-positive"), new("comment", "not mine")]))
            {
                Assert.Equal(HttpStatusCode.Forbidden, dismiss.StatusCode);
            }

            await reader.GetAsync("/keys");
            using (var rotate = await reader.PostFormAsync("/keys?handler=Rotate&ring=default", [new("reason", "because")]))
            {
                Assert.Equal(HttpStatusCode.Forbidden, rotate.StatusCode);
            }

            Assert.Equal("open", (string)(await server.FindingsAsync("shop"))[0]!["state"]!);

            // The owner removes the reader: the reader's live session ends at once.
            var readerId = (await PasskeyTests.ConsoleStoreOf(server).ListPeopleAsync(CancellationToken.None)).Single(p => p.Name == "Rita Reader").Id;
            await owner.GetAsync("/people");
            using (var removed = await owner.PostFormAsync($"/people?handler=Remove&person={readerId}", []))
            {
                Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
            }

            Assert.Equal(HttpStatusCode.Redirect, (await reader.GetAsync("/")).Status);
            using var signInAgain = await reader.SignInAsync(readerKey);
            Assert.Equal(HttpStatusCode.Unauthorized, signInAgain.StatusCode);
            Assert.Contains(await server.AuditAsync(), r => r.Action == "console.person-removed" && r.Actor.StartsWith("person:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Sensitive_actions_need_a_passkey_check_within_5_minutes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        await server.SeedFindingsAsync("shop", "team shop", Injection);
        var findingId = (string)(await server.FindingsAsync("shop"))[0]!["id"]!;
        var (owner, authenticator) = await EnrolOwnerAsync(server);
        using (owner)
        {
            clock.Advance(TimeSpan.FromMinutes(6));
            await owner.GetAsync("/findings/" + findingId);
            var until = clock.GetUtcNow().AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            using (var stale = await owner.PostFormAsync($"/findings/{findingId}?handler=Accept", [new("owner", "cto"), new("until", until), new("comment", "mitigated upstream")]))
            {
                Assert.Equal(HttpStatusCode.Redirect, stale.StatusCode);
                Assert.StartsWith("/signin?stepup=1", stale.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }

            Assert.Equal("open", (string)(await server.FindingsAsync("shop"))[0]!["state"]!);
            // Dismissing is not a sensitive action: no step-up.
            using (var signedIn = await owner.SignInAsync(authenticator))
            {
                Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
            }

            await owner.GetAsync("/findings/" + findingId);
            using (var fresh = await owner.PostFormAsync($"/findings/{findingId}?handler=Accept", [new("owner", "cto"), new("until", until), new("comment", "mitigated upstream")]))
            {
                Assert.Equal(HttpStatusCode.Redirect, fresh.StatusCode);
            }

            var finding = (await server.FindingsAsync("shop"))[0]!;
            Assert.Equal("accepted", (string)finding["state"]!);
            Assert.StartsWith("person:", (string)finding["decidedBy"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_cross_site_form_post_is_refused()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        await server.SeedFindingsAsync("shop", "team shop", Injection);
        var findingId = (string)(await server.FindingsAsync("shop"))[0]!["id"]!;
        var (owner, _) = await EnrolOwnerAsync(server);
        using (owner)
        {
            // A page elsewhere can make the browser post the form, but it cannot read the antiforgery token of the page.
            using var forged = await owner.PostFormAsync($"/findings/{findingId}?handler=Dismiss", [new("reason", "false-positive"), new("comment", "forged")], withToken: false);
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            // Nor can it pass off a token of its own (from its own visit): the token is bound to the victim's antiforgery cookie and person.
            using var attacker = new ConsoleBrowser(server);
            await attacker.GetAsync("/signin");
            using var planted = await owner.PostFormAsync($"/findings/{findingId}?handler=Dismiss", [new("reason", "false-positive"), new("comment", "planted"), new("__RequestVerificationToken", attacker.FormToken!)], withToken: false);
            Assert.Equal(HttpStatusCode.BadRequest, planted.StatusCode);
            Assert.Equal("open", (string)(await server.FindingsAsync("shop"))[0]!["state"]!);
        }
    }

    [Fact]
    public async Task Console_pages_carry_a_strict_policy_and_show_markup_inert()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        await server.SeedFindingsAsync("shop", "<img src=x onerror=alert('owner')>", Injection);
        var findingId = (string)(await server.FindingsAsync("shop"))[0]!["id"]!;
        var (owner, _) = await EnrolOwnerAsync(server);
        using (owner)
        {
            foreach (var page in new[] { "/findings", "/findings/" + findingId, "/projects" })
            {
                var (status, body, response) = await owner.GetAsync(page);
                Assert.Equal(HttpStatusCode.OK, status);
                var csp = response.Headers.GetValues("Content-Security-Policy").Single();
                Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
                Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
                Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
                Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
                Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
                Assert.DoesNotContain("<script>alert", body, StringComparison.Ordinal);
                Assert.DoesNotContain("<img src=x", body, StringComparison.Ordinal);
                Assert.DoesNotMatch("<script(?! src=\"/assets/passkey.js\")", body);
            }

            Assert.Contains("&lt;script&gt;alert(", (await owner.GetAsync("/findings")).Body, StringComparison.Ordinal);
            Assert.Contains("&lt;img src=x", (await owner.GetAsync("/projects")).Body, StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/findings/no-such-finding")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/no-such-page")).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await owner.GetAsync("/findings?severity=apocalyptic")).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await owner.GetAsync("/findings?cursor=garbage")).Status);
            using var oversized = await owner.PostFormAsync($"/findings/{findingId}?handler=Dismiss", [new("reason", "wont-fix"), new("comment", new string('x', 300_000))]);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
            Assert.Equal("open", (string)(await server.FindingsAsync("shop"))[0]!["state"]!);
        }
    }

    [Fact]
    public async Task An_owner_rotates_a_ring_from_the_console_and_the_audit_names_them()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        var (owner, _) = await EnrolOwnerAsync(server);
        using (owner)
        {
            var (_, before, _) = await owner.GetAsync("/keys");
            Assert.Contains("Audit chain: intact", before, StringComparison.Ordinal);
            using var rotated = await owner.PostFormAsync("/keys?handler=Rotate&ring=default", [new("reason", "drill")]);
            Assert.Equal(HttpStatusCode.Redirect, rotated.StatusCode);
            var (_, after, _) = await owner.GetAsync("/keys");
            Assert.Contains("Ring default rotated", after, StringComparison.Ordinal);
            Assert.Contains(await server.AuditAsync(), r => r.Ring == "default" && r.Actor.StartsWith("person:", StringComparison.Ordinal) && r.Details.Contains("drill", StringComparison.Ordinal));
            using var unknown = await owner.PostFormAsync("/keys?handler=Rotate&ring=nope", [new("reason", "drill")]);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    [Fact]
    public async Task A_security_admin_disables_a_client_after_a_step_up_and_the_change_is_a_security_event()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock, issuer: new Uri("http://127.0.0.1/"));
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        var jwk = new System.Text.Json.Nodes.JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["kid"] = "k1", ["x"] = SoftAuthenticator.Base64Url(q.X!), ["y"] = SoftAuthenticator.Base64Url(q.Y!) };
        var registration = new System.Text.Json.Nodes.JsonObject { ["clientId"] = "ci-bot", ["jwks"] = new System.Text.Json.Nodes.JsonObject { ["keys"] = new System.Text.Json.Nodes.JsonArray(jwk) }, ["scopes"] = new System.Text.Json.Nodes.JsonArray("findings.push"), ["audiences"] = new System.Text.Json.Nodes.JsonArray("api://hub") };
        using (var registered = await server.Admin.PostAsync(new Uri("/v1/clients", UriKind.Relative), new StringContent(registration.ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        }

        var (owner, ownerKey) = await EnrolOwnerAsync(server);
        using (owner)
        {
            var link = await InviteAsync(owner, "Sam Admin", "security-admin");
            using var admin = new ConsoleBrowser(server);
            using var adminKey = new SoftAuthenticator();
            using (var enrolled = await admin.EnrolAsync(link, adminKey))
            {
                Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
            }

            var (_, page, _) = await admin.GetAsync("/clients");
            Assert.Contains("ci-bot", page, StringComparison.Ordinal);
            clock.Advance(TimeSpan.FromMinutes(6));
            await admin.GetAsync("/clients");
            using (var stale = await admin.PostFormAsync("/clients?handler=Disable&client=ci-bot", []))
            {
                Assert.StartsWith("/signin?stepup=1", stale.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }

            using (var again = await admin.SignInAsync(adminKey))
            {
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            }

            await admin.GetAsync("/clients");
            using (var disabled = await admin.PostFormAsync("/clients?handler=Disable&client=ci-bot", []))
            {
                Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);
            }

            var (_, after, _) = await admin.GetAsync("/clients");
            Assert.Contains("disabled", after, StringComparison.Ordinal);
            var (_, events, _) = await admin.GetAsync("/events");
            Assert.Contains("client.disabled", events, StringComparison.Ordinal);
            Assert.Contains(await server.AuditAsync(), r => r.Action == "console.client-disabled" && r.Actor.Contains("Sam Admin", StringComparison.Ordinal));

            // A security-admin manages clients but not people or keys.
            await admin.GetAsync("/people");
            using var invite = await admin.PostFormAsync("/people?handler=Invite", [new("name", "Eve"), new("role", "owner")]);
            Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        }

        ownerKey.Dispose();
    }

    [Fact]
    public async Task Without_the_admin_key_the_api_refuses_it_and_the_console_says_it_is_off()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, adminKeyOn: false);
        Assert.DoesNotContain("generated the admin key", server.Printed, StringComparison.Ordinal);
        using (var refused = await server.Admin.GetAsync(new Uri("/v1/keyrings", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode); // the key given at first start opens nothing
        }

        var (owner, _) = await EnrolOwnerAsync(server);
        using (owner)
        {
            Assert.Contains("Admin key: off", (await owner.GetAsync("/")).Body, StringComparison.Ordinal);
        }
    }

    internal static async Task<(ConsoleBrowser Browser, SoftAuthenticator Authenticator)> EnrolOwnerAsync(ConsoleTestServer server)
    {
        var browser = new ConsoleBrowser(server);
        var authenticator = new SoftAuthenticator();
        using var enrolled = await browser.EnrolAsync(server.FirstOwnerLink, authenticator);
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        return (browser, authenticator);
    }

    internal static async Task<string> InviteAsync(ConsoleBrowser owner, string name, string role)
    {
        await owner.GetAsync("/people");
        using var invited = await owner.PostFormAsync("/people?handler=Invite", [new("name", name), new("role", role)]);
        var body = await invited.Content.ReadAsStringAsync();
        Assert.True(invited.StatusCode == HttpStatusCode.OK, body);
        var match = System.Text.RegularExpressions.Regex.Match(body, "<code id=\"invite-link\">([^<]+)</code>");
        Assert.True(match.Success, body);
        return System.Net.WebUtility.HtmlDecode(match.Groups[1].Value);
    }
}
