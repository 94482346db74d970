using System.Net;
using SecureFuture.Testing;

namespace SecureFuture.WebConsole.Tests;

/// <summary>The console on PostgreSQL with two nodes: people, passkeys and sessions live in the shared database.</summary>
[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ScaleOutTests(HsmFixture hsm)
{
    [Fact]
    public async Task A_session_started_on_one_node_works_on_the_other_and_signing_out_ends_it_on_both()
    {
        var database = await TestPostgres.CreateDatabaseAsync("sfi_console");
        await using var first = await ConsoleTestServer.StartAsync(hsm.Custodian, database: database);
        await using var second = await ConsoleTestServer.StartAsync(hsm.Custodian, database: database);

        var (owner, authenticator) = await SessionTests.EnrolOwnerAsync(first);
        using (owner)
        using (authenticator)
        {
            using var elsewhere = new ConsoleBrowser(second);
            elsewhere.Cookies["__Host-sfi-session"] = owner.Cookies["__Host-sfi-session"];
            var (status, body, _) = await elsewhere.GetAsync("/people");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("first owner", body, StringComparison.Ordinal);

            // The passkey enrolled through the first node signs in through the second, its counter kept in one place.
            using var signedIn = await new ConsoleBrowser(second).SignInAsync(authenticator);
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);

            await owner.GetAsync("/");
            using (var signedOut = await owner.PostFormAsync("/signout", []))
            {
                Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
            }

            Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.GetAsync("/people")).Status);
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task A_form_rendered_by_one_node_posts_to_the_other_and_the_shared_key_ring_is_stored_encrypted_by_the_hsm()
    {
        var database = await TestPostgres.CreateDatabaseAsync("sfi_console");
        await using var first = await ConsoleTestServer.StartAsync(hsm.Custodian, database: database);
        await using var second = await ConsoleTestServer.StartAsync(hsm.Custodian, database: database);
        await first.SeedFindingsAsync("shop", "team shop", new HubSarif.Result("SFI-CODE-001", "src/Shop/Orders.cs", 42, "aaaa0000bbbb1111:1"));
        var findingId = (string)(await first.FindingsAsync("shop"))[0]!["id"]!;

        var (onFirst, key) = await SessionTests.EnrolOwnerAsync(first);
        using (onFirst)
        using (key)
        {
            // Node A renders the form (its antiforgery cookie and token); node B takes the post, and its flash message
            // (protected by B) reads on A.
            await onFirst.GetAsync("/findings/" + findingId);
            using var onSecond = new ConsoleBrowser(second);
            onSecond.ContinueFrom(onFirst);
            using (var dismissed = await onSecond.PostFormAsync($"/findings/{findingId}?handler=Dismiss", [new("reason", "false-positive"), new("comment", "parameterised below")]))
            {
                Assert.Equal(HttpStatusCode.Redirect, dismissed.StatusCode);
            }

            onFirst.ContinueFrom(onSecond);
            var (status, page, _) = await onFirst.GetAsync("/findings/" + findingId);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("The finding was dismissed.", page, StringComparison.Ordinal);

            // And back: a form from B posts to A.
            onSecond.ContinueFrom(onFirst);
            await onSecond.GetAsync("/findings/" + findingId);
            onFirst.ContinueFrom(onSecond);
            using (var reopened = await onFirst.PostFormAsync($"/findings/{findingId}?handler=Reopen", [new("comment", "not a false positive")]))
            {
                Assert.Equal(HttpStatusCode.Redirect, reopened.StatusCode);
            }

            Assert.DoesNotContain(await first.FindingsAsync("shop"), f => (string)f!["state"]! == "dismissed");
        }

        // The key ring is in the shared database, each key sealed with the key derived in the HSM: no key in the clear.
        var stored = PasskeyTests.ConsoleStoreOf(first).ReadDataProtectionKeys();
        Assert.NotEmpty(stored);
        Assert.All(stored, xml =>
        {
            Assert.Contains("<hsmEncryptedKey kek=", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });
    }
}
