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
}
