using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Keys;
using SecureFuture.Testing;

namespace SecureFuture.Server.Tests;

[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class KeyApiTests(ServerFixture fixture)
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    [Fact]
    public async Task Health_readiness_metrics_and_the_default_jwks_are_public()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        Assert.Equal("ok\n", await server.Anonymous.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        var ready = JsonNode.Parse(await server.Anonymous.GetStringAsync(new Uri("/readyz", UriKind.Relative)))!;
        Assert.Equal("ready", (string)ready["status"]!);

        using var jwks = await server.Anonymous.GetAsync(new Uri("/.well-known/jwks.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        Assert.Equal("application/json", jwks.Content.Headers.ContentType!.MediaType);
        var maxAge = jwks.Headers.CacheControl!.MaxAge!.Value;
        Assert.True(jwks.Headers.CacheControl.Public);
        Assert.InRange(maxAge, TimeSpan.FromSeconds(1), TimeSpan.FromHours(12));
        var key = Assert.Single(JsonNode.Parse(await jwks.Content.ReadAsStringAsync())!["keys"]!.AsArray())!;
        Assert.Equal("EC", (string)key["kty"]!);
        Assert.Equal("ES256", (string)key["alg"]!);
        Assert.Null(key["d"]);

        var metrics = await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sfi_hsm_up 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_rotations_total{kind=\"scheduled\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_endpoints_refuse_missing_and_wrong_keys_and_change_nothing()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        using var wrong = new HttpClient { BaseAddress = server.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.AdminKey + "x");

        foreach (var client in new[] { server.Anonymous, wrong })
        {
            using var create = await client.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "intruder" });
            await AssertProblem(create, HttpStatusCode.Unauthorized, "Bearer");
            Assert.Contains("Bearer", create.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            using var rotate = await client.PostAsync(new Uri("/v1/keyrings/default/rotate", UriKind.Relative), null);
            await AssertProblem(rotate, HttpStatusCode.Unauthorized, "Bearer");
            using var sign = await client.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) });
            await AssertProblem(sign, HttpStatusCode.Unauthorized, "Bearer");
        }

        var rings = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/keyrings", UriKind.Relative)))!["keyrings"]!.AsArray();
        Assert.Equal(["default"], rings.Select(r => (string)r!["name"]!));
        var ring = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/keyrings/default", UriKind.Relative)))!;
        Assert.Single(ring["versions"]!.AsArray());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Rings_are_created_signed_with_verified_and_rotated_through_the_api(string store)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(fixture.Custodian, database: store == "postgres" ? await TestPostgres.CreateDatabaseAsync("sfi_server") : null, configure: o => o with { Clock = clock });

        using var created = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "orders", algorithm = "PS256", rotationPeriod = "PT1H", prePublication = "PT20M" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/keyrings/orders", created.Headers.Location!.OriginalString);
        var ring = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal("PS256-2048", (string)ring["algorithm"]!);
        Assert.Equal("PT20M", (string)ring["prePublication"]!);
        var firstKid = (string)ring["activeKid"]!;

        using var duplicate = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "orders" });
        await AssertProblem(duplicate, HttpStatusCode.Conflict, "already exists");

        var payload = "header.claims"u8.ToArray();
        var signed = await PostAsync(server, "/v1/keyrings/orders/sign", new { payload = Base64Url.Encode(payload) });
        Assert.Equal(firstKid, (string)signed["kid"]!);
        Assert.Equal("PS256", (string)signed["alg"]!);
        var signature = (string)signed["signature"]!;

        // Any verifier can check it with the published key alone.
        var jwks = JsonNode.Parse(await server.Anonymous.GetStringAsync(new Uri("/v1/keyrings/orders/jwks.json", UriKind.Relative)))!;
        var jwk = jwks["keys"]!.AsArray().Single(k => (string)k!["kid"]! == firstKid)!;
        using (var rsa = RSA.Create(new RSAParameters { Modulus = Base64Url.Decode((string)jwk["n"]!), Exponent = Base64Url.Decode((string)jwk["e"]!) }))
        {
            Assert.True(rsa.VerifyData(payload, Base64Url.Decode(signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        }

        var verified = await PostAsync(server, "/v1/keyrings/orders/verify", new { kid = firstKid, payload = Base64Url.Encode(payload), signature });
        Assert.True((bool)verified["valid"]!);
        var tampered = await PostAsync(server, "/v1/keyrings/orders/verify", new { kid = firstKid, payload = Base64Url.Encode("header.claimz"u8), signature });
        Assert.False((bool)tampered["valid"]!);

        // Emergency rotation: the old key keeps verifying through the grace period...
        var rotated = await PostAsync(server, "/v1/keyrings/orders/rotate", new { reason = "test" });
        var secondKid = (string)rotated["kid"]!;
        Assert.NotEqual(firstKid, secondKid);
        Assert.Equal("active", (string)rotated["state"]!);
        Assert.True((bool)(await PostAsync(server, "/v1/keyrings/orders/verify", new { kid = firstKid, payload = Base64Url.Encode(payload), signature }))["valid"]!);
        Assert.Equal(secondKid, (string)(await PostAsync(server, "/v1/keyrings/orders/sign", new { digest = Base64Url.Encode(SHA256.HashData(payload)) }))["kid"]!);

        // ...unless it is compromised: then it is unpublished and refused at once.
        await PostAsync(server, "/v1/keyrings/orders/rotate", new { reason = "leaked in a crash dump", retireImmediately = true });
        var afterLeak = await PostAsync(server, "/v1/keyrings/orders/verify", new { kid = secondKid, payload = Base64Url.Encode(payload), signature = Base64Url.Encode(new byte[256]) });
        Assert.False((bool)afterLeak["valid"]!);
        Assert.Equal("retired", (string)afterLeak["state"]!);
        clock.Advance(TimeSpan.FromSeconds(1.1)); // the JWKS cache lives one second
        var published = JsonNode.Parse(await server.Anonymous.GetStringAsync(new Uri("/v1/keyrings/orders/jwks.json", UriKind.Relative)))!["keys"]!.AsArray().Select(k => (string)k!["kid"]!).ToArray();
        Assert.Contains(firstKid, published);
        Assert.DoesNotContain(secondKid, published);

        var view = JsonNode.Parse(await server.Admin.GetStringAsync(new Uri("/v1/keyrings/orders", UriKind.Relative)))!;
        var states = view["versions"]!.AsArray().Select(v => (string)v!["state"]!).ToArray();
        Assert.Equal("active", states[0]);
        Assert.Contains(states[1], new[] { "retired", "destroyed" }); // --dev keeps retired keys for no time at all
        Assert.Equal("retiring", states[2]);
    }

    [Theory]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"rotationPeriod\":\"PT1S\"}", 400, "rotationPeriod: PT1S is below the minimum of PT10S")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"verificationGrace\":\"PT5M\",\"maxTokenLifetime\":\"PT10M\"}", 400, "shorter than maxTokenLifetime")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"algorithm\":\"none\"}", 400, "unknown algorithm 'none'")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"rotationPeriods\":\"PT1H\"}", 400, "unknown member 'rotationPeriods'")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\n \"rotationPeriod\": PT1H}", 400, "line 2, column")]
    [InlineData("/v1/keyrings", "[]", 400, "request body")]
    [InlineData("/v1/keyrings/nope/sign", "{\"digest\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 404, "no key ring named 'nope'")]
    [InlineData("/v1/keyrings/default/sign", "{\"digest\":\"AAAA\"}", 400, "ES256 needs a 32-byte SHA256 digest")]
    [InlineData("/v1/keyrings/default/sign", "{\"digest\":\"not base64url!\"}", 400, "digest: not base64url")]
    [InlineData("/v1/keyrings/default/sign", "{}", 400, "exactly one of 'digest' and 'payload'")]
    [InlineData("/v1/keyrings/default/sign", "{\"digest\":42}", 400, "'digest' has the wrong type")]
    [InlineData("/v1/keyrings/default/verify", "{\"digest\":\"AAAA\"}", 400, "kid: required")]
    [InlineData("/v1/keyrings/nope/rotate", "", 404, "no key ring named 'nope'")]
    // Issue 14: durations without an upper bound stopped the host at the next rotation; non-ASCII digits were a 500.
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"retention\":\"P700000W\"}", 400, "retention: P4900000D is above the maximum of P400D")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"verificationGrace\":\"P700000W\"}", 400, "verificationGrace: P4900000D is above the maximum of P90D")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"rotationPeriod\":\"P30D\",\"maxTokenLifetime\":\"P30D\",\"verificationGrace\":\"P30D\"}", 400, "maxTokenLifetime: P30D is above the maximum of P1D")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"rotationPeriod\":\"PT1H\",\"maxTokenLifetime\":\"PT2H\",\"verificationGrace\":\"PT2H\"}", 400, "maxTokenLifetime: PT2H is longer than rotationPeriod PT1H")]
    [InlineData("/v1/keyrings", "{\"name\":\"x\",\"rotationPeriod\":\"PT\u0663H\"}", 400, "is not an ISO 8601 duration")]
    public async Task Bad_requests_get_problem_details_and_change_nothing(string path, string body, int status, string expected)
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        var auditBefore = (await server.Server.Keys.Store.ReadAuditAsync(default)).Count;
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await server.Admin.PostAsync(new Uri(path, UriKind.Relative), body.Length == 0 ? null : content);
        await AssertProblem(response, (HttpStatusCode)status, expected);
        Assert.Equal(auditBefore, (await server.Server.Keys.Store.ReadAuditAsync(default)).Count);
        Assert.Equal(["default"], (await server.Server.Keys.ListRingsAsync(default)).Select(r => r.Name));
    }

    [Fact]
    public async Task The_security_event_ring_signs_only_the_servers_own_events_and_the_admin_key_cannot_use_it()
    {
        var port = OAuthTestKit.FreePort();
        await using var server = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri($"http://127.0.0.1:{port}/") });
        using var digest = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/security-events/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) });
        await AssertProblem(digest, HttpStatusCode.Forbidden, "signs only for this server's own services");
        using var payload = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/security-events/sign", UriKind.Relative), new { payload = Base64Url.Encode("{}"u8.ToArray()) });
        await AssertProblem(payload, HttpStatusCode.Forbidden, "signs only for this server's own services");

        // Its keys are still published for relying parties, and an emergency rotation is still the admin's to make.
        using var jwks = await server.Anonymous.GetAsync(new Uri("/v1/keyrings/security-events/jwks.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        using var rotate = await server.Admin.PostAsync(new Uri("/v1/keyrings/security-events/rotate", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
    }

    [Fact]
    public async Task A_ring_whose_scheduled_work_fails_is_unhealthy_in_readyz_while_the_host_and_other_rings_go_on()
    {
        using var failing = new FailingCustodian(fixture.Custodian, "/broken/");
        var logs = new RecordingLoggerProvider();
        await using var server = await RunningServer.StartAsync(failing, schedulerInterval: TimeSpan.FromMilliseconds(200), configure: o => o with { LoggerProviders = [logs] });
        using (var created = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "broken", rotationPeriod = "PT10S", prePublication = "PT9S" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        failing.Failing = true;

        // The operator's log says so, through the host's one logging pipeline: each part logs under its own
        // ILogger<T> category (the scheduler that it is ready, the key service which ring fails and why). The warning
        // comes last, after the audit record and the ring's state in /readyz, so both are there once it is logged.
        var warning = await logs.WaitForAsync(m => m.Category == typeof(SecureFuture.Keys.KeyRingService).FullName && m.Message.Contains("scheduled work failed", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("key ring broken", warning.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Messages, m => m.Category == typeof(KeyScheduler).FullName && m.Message.StartsWith("key service ready", StringComparison.Ordinal));

        var ready = JsonNode.Parse(await server.Anonymous.GetStringAsync(new Uri("/readyz", UriKind.Relative)))!;
        Assert.Equal("degraded", (string)ready["status"]!);
        Assert.Contains("a defect in this ring's work", (string)ready["unhealthyRings"]!["broken"]!, StringComparison.Ordinal);
        Assert.Contains(await server.Server.Keys.Store.ReadAuditAsync(default), r => r.Action == "ring.unhealthy" && r.Ring == "broken");
        using var sign = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(new byte[32]) });
        Assert.Equal(HttpStatusCode.OK, sign.StatusCode);
        Assert.Single(logs.Messages, m => m.Message.Contains("scheduled work failed", StringComparison.Ordinal)); // once, however many passes fail
    }

    [Fact]
    public async Task An_admin_signature_is_in_the_audit_log_with_ring_kid_caller_and_digest()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        var digest = SHA256.HashData("audited"u8);
        using var sign = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { digest = Base64Url.Encode(digest) });
        Assert.Equal(HttpStatusCode.OK, sign.StatusCode);
        var kid = (string)JsonNode.Parse(await sign.Content.ReadAsStringAsync())!["kid"]!;

        // Written within about a second by the server itself (batched), without any call to flush it.
        var record = await Polling.UntilAsync(
            async () => (await server.Server.Keys.Store.ReadAuditAsync(default)).FirstOrDefault(r => r.Action == "key.signed" && r.Ring == "default"), r => r is not null, TimeSpan.FromSeconds(15));

        Assert.NotNull(record);
        Assert.StartsWith("admin:", record.Actor, StringComparison.Ordinal);
        Assert.Equal(kid, record.Kid);
        Assert.Contains($"{kid} {Base64Url.Encode(digest)}", record.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_payloads_and_bodies_are_refused_with_413()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        using var payload = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), new { payload = Base64Url.Encode(new byte[70_000]) });
        await AssertProblem(payload, HttpStatusCode.RequestEntityTooLarge, "send a digest instead");

        using var content = new StringContent("{\"payload\":\"" + new string('A', 400_000) + "\"}", Encoding.UTF8, "application/json");
        using var body = await server.Admin.PostAsync(new Uri("/v1/keyrings/default/sign", UriKind.Relative), content);
        await AssertProblem(body, HttpStatusCode.RequestEntityTooLarge, "larger than");
    }

    [Fact]
    public async Task Production_minimums_hold_without_dev()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian, dev: false);
        using var response = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "fast", rotationPeriod = "PT10S" });
        await AssertProblem(response, HttpStatusCode.BadRequest, "below the minimum of PT1H (PT10S with --dev)");
    }

    [Fact]
    public async Task The_bootstrap_admin_key_is_stored_only_as_a_hash()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        var credentials = await server.Server.Keys.Store.ListAdminCredentialsAsync(default);
        var stored = Assert.Single(credentials);
        Assert.DoesNotContain(server.AdminKey, stored.KeyHash, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(server.AdminKey))), stored.KeyHash);
        var database = await File.ReadAllBytesAsync(Path.Combine(server.DataDirectory, "sfi.db"));
        var wal = File.Exists(Path.Combine(server.DataDirectory, "sfi.db-wal")) ? await File.ReadAllBytesAsync(Path.Combine(server.DataDirectory, "sfi.db-wal")) : [];
        Assert.Equal(-1, database.AsSpan().IndexOf(Encoding.UTF8.GetBytes(server.AdminKey)));
        Assert.Equal(-1, wal.AsSpan().IndexOf(Encoding.UTF8.GetBytes(server.AdminKey)));
    }

    private static async Task<JsonNode> PostAsync(RunningServer server, string path, object body)
    {
        using var response = await server.Admin.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    internal static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.Contains(expected, (string)problem["detail"]!, StringComparison.Ordinal);
    }
}
