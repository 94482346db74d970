using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SecureFuture.Keys;
using SecureFuture.Keys.Pkcs11;
using SecureFuture.Testing;

namespace SecureFuture.Server.Tests;

/// <summary>
/// The HSM goes away and comes back while the server runs. Each test uses its own copy of the SoftHSM2 module (a copy
/// has its own module state) and its own token directory (<see cref="PrivateSoftHsm"/>), so the outage is real and
/// touches no other test.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HsmOutageTests
{
    [Fact]
    public async Task An_hsm_that_is_missing_at_start_gives_503_and_the_server_recovers_when_it_arrives()
    {
        using var hsm = PrivateSoftHsm.Create("sfi-outage-", installModule: false);
        using var custodian = new Pkcs11Custodian(hsm.Options);
        await using var server = await StartUnreadyAsync(custodian);

        using (var ready = await server.Anonymous.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.False((bool)body["hsm"]!);
            Assert.True((bool)body["store"]!);
            Assert.Contains("does not exist", (string)body["problem"]!, StringComparison.Ordinal);
        }

        using (var create = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "during-outage" }))
        {
            await KeyApiTests.AssertProblem(create, HttpStatusCode.ServiceUnavailable, "HSM is unavailable");
        }

        Assert.Contains("sfi_hsm_up 0", await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        Assert.Empty(await server.Server.Keys.ListRingsAsync(default));

        // The console's forms need its Data Protection keys, encrypted by a key derived in the HSM: not served
        // without it, and never protected by anything else. Data Protection wraps the outage in a
        // CryptographicException, which used to reach the server's error mapping as an unhandled 500.
        using (var signIn = await server.Anonymous.GetAsync(new Uri("/signin", UriKind.Relative)))
        {
            await KeyApiTests.AssertProblem(signIn, HttpStatusCode.ServiceUnavailable, "HSM is unavailable");
        }

        // The HSM arrives; no restart.
        hsm.InstallModule();
        await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(20));
        using var sign = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) });
        Assert.Equal(HttpStatusCode.OK, sign.StatusCode);
        using var signInAfter = await server.Anonymous.GetAsync(new Uri("/signin", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, signInAfter.StatusCode);
        Assert.Contains("__RequestVerificationToken", await signInAfter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_that_disappears_mid_run_gives_503_and_signing_resumes_when_it_returns()
    {
        using var hsm = PrivateSoftHsm.Create("sfi-outage-");
        using var custodian = new Pkcs11Custodian(hsm.Options);
        await using var server = await RunningServer.StartAsync(custodian);
        string kid;
        using (var first = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) }))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            kid = (string)JsonNode.Parse(await first.Content.ReadAsStringAsync())!["kid"]!;
        }

        // The module file goes away and the token with it (as when a network HSM drops off).
        var parked = hsm.TokenDirectory + ".parked";
        Directory.Move(hsm.TokenDirectory, parked);
        File.Move(hsm.ModulePath, hsm.ModulePath + ".parked");

        // A scheduler pass meets the vanished token before anyone signs: the session still open lists no keys. This was
        // the flaky interleaving (a pass every second landing here); it fails as an outage and changes nothing.
        _ = await Record.ExceptionAsync(() => server.Server.Keys.TickAsync(default));
        using (var during = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) }))
        {
            await KeyApiTests.AssertProblem(during, HttpStatusCode.ServiceUnavailable, "HSM is unavailable");
        }

        using (var ready = await server.Anonymous.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        // The JWKS does not need the HSM: relying parties keep verifying through the outage.
        using (var jwks = await server.Anonymous.GetAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        }

        Directory.Move(parked, hsm.TokenDirectory);
        File.Move(hsm.ModulePath + ".parked", hsm.ModulePath);
        await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(20));
        using var after = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);

        // The outage cost the ring no key. A scheduler pass that met the vanished token (it lists nothing on the session
        // still open) used to retire the active key as lost, fail to make another, and leave the ring with none: the
        // request above then answered "no active key" (KeyRingServiceTests.A_scheduler_pass_during_an_hsm_outage_…).
        Assert.Equal(kid, (string)JsonNode.Parse(await after.Content.ReadAsStringAsync())!["kid"]!);
    }

    [Fact]
    public async Task An_hsm_that_answers_readiness_but_fails_the_consoles_key_gives_503_on_signin_and_the_console_recovers()
    {
        // The interleaving of an HSM arriving (or flapping): readiness and the key scheduler find it, and the console's
        // first use of its key-encryption key meets a lost session. Data Protection wraps that in a
        // CryptographicException, which the server's error mapping used to answer as an unhandled 500.
        using var hsm = PrivateSoftHsm.Create("sfi-outage-");
        using var real = new Pkcs11Custodian(hsm.Options);
        using var custodian = new ConsoleKeyOutage(real) { Failing = true };
        await using var server = await RunningServer.StartAsync(custodian);

        using (var during = await server.Anonymous.GetAsync(new Uri("/signin", UriKind.Relative)))
        {
            await KeyApiTests.AssertProblem(during, HttpStatusCode.ServiceUnavailable, "HSM is unavailable");
        }

        // The HSM answers again: the next request opens the key and makes the ring's first key; no restart.
        custodian.Failing = false;
        using var after = await server.Anonymous.GetAsync(new Uri("/signin", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Contains("__RequestVerificationToken", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static Task<RunningServer> StartUnreadyAsync(Pkcs11Custodian custodian) => RunningServer.StartAsync(custodian, waitUntilReady: false);
}

/// <summary>The real HSM, except that generating the console's Data Protection key-encryption key fails as an outage while <see cref="Failing"/>.</summary>
internal sealed class ConsoleKeyOutage(IKeyCustodian inner) : DelegatingCustodian(inner)
{
    public bool Failing { get; set; }

    public override HsmKey Generate(SigningAlgorithm algorithm, string label)
        => Failing && label.StartsWith("sfi-console-dataprotection/", StringComparison.Ordinal)
            ? throw new HsmUnavailableException("the token stopped answering (CKR_DEVICE_ERROR)")
            : base.Generate(algorithm, label);
}
