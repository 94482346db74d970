using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Events;

using static SecureFuture.Server.Tests.OAuthTestKit;

namespace SecureFuture.Server.Tests;

/// <summary>
/// Findings of a penetration test of <c>sfi serve</c>, each with the misuse it was found with: client ids a path cannot
/// name, push endpoints toward internal addresses, duplicate JSON members, readable data files, missing response
/// headers and public metrics.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ServerHardeningTests(ServerFixture fixture)
{
    // ---- client ids -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("team/app")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("-app")]
    [InlineData("team%2Fapp")]
    [InlineData("team app")]
    [InlineData("team:app")]
    [InlineData("équipe")]
    public async Task Client_ids_that_a_path_cannot_name_exactly_are_refused_at_registration(string clientId)
    {
        await using var sfi = await StartIssuerAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var refused = await RegisterAsync(sfi, clientId, key);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("clientId:", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var list = await sfi.Admin.GetAsync(new Uri("/v1/clients", UriKind.Relative));
        Assert.DoesNotContain(clientId, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var tooLong = await RegisterAsync(sfi, new string('a', ClientIds.MaxLength + 1), key);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task A_client_with_dots_underscores_and_dashes_can_be_patched_disabled_and_its_tokens_revoked()
    {
        await using var sfi = await StartIssuerAsync();
        const string id = "com.example.orders_worker-2";
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var created = await RegisterAsync(sfi, id, key))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal($"/v1/clients/{id}", created.Headers.Location!.OriginalString);
        }

        using var http = new HttpClient();
        var token = await TokenAsync(http, sfi, id, key);
        Assert.Equal(HttpStatusCode.OK, await WhoamiAsync(http, sfi, token));

        using (var patched = await sfi.Admin.PatchAsJsonAsync(new Uri($"/v1/clients/{id}", UriKind.Relative), new { scopes = new[] { "orders.read" } }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        var second = await TokenAsync(http, sfi, id, key);
        using (var revoked = await sfi.Admin.PostAsync(new Uri($"/v1/subjects/{id}/revoke", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await EventuallyAsync(() => WhoamiAsync(http, sfi, second), s => s == HttpStatusCode.Unauthorized));
        using (var disabled = await sfi.Admin.PostAsync(new Uri($"/v1/clients/{id}/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        var refused = await http.RequestClientCredentialsTokenAsync(TokenRequest(sfi, id, key));
        Assert.True(refused.IsError);
    }

    [Fact]
    public async Task A_client_registered_before_the_rule_with_a_slash_in_its_id_can_still_be_disabled_and_revoked()
    {
        await using var sfi = await StartIssuerAsync();
        const string id = "team/app";
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clients = sfi.Running.Server.Services.GetRequiredService<ClientService>();
        var now = DateTimeOffset.UtcNow;
        using var jwks = JsonDocument.Parse(new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) }.ToJsonString());
        Assert.True(await clients.Store.AddAsync(
            new OAuthClient(id, ClientKeySet.Parse(jwks.RootElement), [], [sfi.OwnAudience], Enabled: true, false, false, now, now, 1),
            new SecurityEvent(0, now, "client.registered", id, null, "{}"), default));

        using var http = new HttpClient();
        var token = await TokenAsync(http, sfi, id, key);
        Assert.Equal(HttpStatusCode.OK, await WhoamiAsync(http, sfi, token));

        // The subject is revoked as the decoded id, the one its tokens carry, so the old token stops working.
        using (var revoked = await sfi.Admin.PostAsync(new Uri("/v1/subjects/team%2Fapp/revoke", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            Assert.Contains("\"subject\":\"team/app\"", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await EventuallyAsync(() => WhoamiAsync(http, sfi, token), s => s == HttpStatusCode.Unauthorized));

        using (var disabled = await sfi.Admin.PostAsync(new Uri("/v1/clients/team%2Fapp/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        Assert.False((await clients.GetAsync(id, default)).Enabled);
    }

    // ---- push endpoints (server-side request forgery) ---------------------------------------------------------------

    [Fact]
    public async Task Push_endpoints_toward_metadata_loopback_private_and_other_internal_addresses_are_refused()
    {
        await using var sfi = await StartIssuerAsync();
        foreach (var (endpoint, expected) in new[]
        {
            ("https://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://localhost:22/", "https is required"),
            ("https://localhost/", "loopback"),
            ("https://127.0.0.1/", "loopback"),
            ("https://127.1.2.3:8443/", "loopback"),
            ("https://10.0.0.1/", "private"),
            ("https://172.16.5.4/", "private"),
            ("https://192.168.1.1/", "private"),
            ("https://100.64.0.1/", "CGNAT"),
            ("https://0.0.0.0/", "this network"),
            ("https://224.0.0.1/", "multicast"),
            ("https://255.255.255.255/", "reserved"),
            ("https://[::]/", "unspecified"),
            ("https://[::1]/", "loopback"),
            ("https://[fe80::1]/", "link-local"),
            ("https://[fc00::1]/", "unique-local"),
            ("https://[fd00:ec2::254]/", "unique-local"),
            ("https://[ff02::1]/", "multicast"),
            ("https://[::ffff:169.254.169.254]/", "IPv4-mapped link-local"),
            ("https://[::ffff:127.0.0.1]/", "IPv4-mapped loopback"),
            ("https://[::ffff:10.1.1.1]/", "IPv4-mapped private"),
            ("https://[64:ff9b::a9fe:a9fe]/", "NAT64 link-local"),
            ("http://93.184.215.14/ssf", "https is required"),
            ("https://user:secret@93.184.215.14/ssf", "without user information"),
            ("ftp://93.184.215.14/ssf", "an https URL"),
        })
        {
            using var refused = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/ssf/streams", UriKind.Relative), new { endpoint });
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{endpoint}: {(int)refused.StatusCode} {body}");
            Assert.Contains(expected, body, StringComparison.Ordinal);
        }

        using var list = await sfi.Admin.GetAsync(new Uri("/v1/ssf/streams", UriKind.Relative));
        Assert.Contains("\"streams\":[]", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A public https receiver is accepted.
        using var created = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/ssf/streams", UriKind.Relative), new { endpoint = "https://93.184.215.14/ssf" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task The_operator_can_allow_private_push_endpoints()
    {
        await using var sfi = await StartIssuerAsync(o => o with { AllowPrivatePushEndpoints = true });
        foreach (var endpoint in new[] { "https://10.0.0.1/ssf", "https://[fd00::1]/ssf", "http://127.0.0.1:9/ssf" })
        {
            using var created = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/ssf/streams", UriKind.Relative), new { endpoint });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Plain http still only to loopback.
        using var refused = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/ssf/streams", UriKind.Relative), new { endpoint = "http://10.0.0.1/ssf" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Theory]
    [InlineData("93.184.215.14", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("100.63.255.255", true)]
    [InlineData("100.128.0.0", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("169.254.169.254", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("100.64.0.0", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("192.0.0.170", false)]
    [InlineData("239.255.255.250", false)]
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("fe80::1%1", false)]
    [InlineData("febf::1", false)]
    [InlineData("fdff::1", false)]
    [InlineData("ff05::2", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2002:a9fe:a9fe::1", false)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("64:ff9b:1::1", false)]
    [InlineData("2001::1", false)]
    [InlineData("100::1", false)]
    public void Public_addresses_are_told_apart_from_internal_ones(string address, bool isPublic)
        => Assert.Equal(isPublic, PushEndpointPolicy.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_name_that_resolves_to_loopback_at_connect_time_is_not_connected_to()
    {
        // DNS rebinding: the receiver's name resolves to a public address when the stream is registered and to an
        // internal one when the push connects. Only the connect-time check stands in the way.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var answers = 0;
        Task<IPAddress[]> Rebinding(string host, CancellationToken ct)
            => Task.FromResult(Interlocked.Increment(ref answers) == 1 ? new[] { IPAddress.Parse("93.184.215.14") } : [IPAddress.Loopback]);

        var policy = new PushEndpointPolicy(allowPrivate: false) { Resolve = Rebinding };
        var endpoint = new Uri($"https://receiver.example:{port}/ssf");
        Assert.Null(await policy.RefuseAsync(endpoint, default));

        using (var push = new HttpClient(policy.CreateHandler()) { Timeout = TimeSpan.FromSeconds(5) })
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => push.PostAsync(endpoint, new StringContent("set")));
            Assert.Contains("refused to connect to 127.0.0.1", error.Message + error.InnerException?.Message, StringComparison.Ordinal);
        }

        Assert.False(listener.Pending(), "the push connected to the loopback listener");

        // The same request under --allow-private-push-endpoints does reach the listener: the refusal above is the check's.
        var allowing = new PushEndpointPolicy(allowPrivate: true) { Resolve = Rebinding };
        using (var push = new HttpClient(allowing.CreateHandler()) { Timeout = TimeSpan.FromSeconds(2) })
        {
            var sending = push.PostAsync(endpoint, new StringContent("set"));
            using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(accepted.Connected);
            await Assert.ThrowsAnyAsync<Exception>(() => sending); // no TLS server behind the listener
        }
    }

    // ---- duplicate JSON members -------------------------------------------------------------------------------------

    [Fact]
    public async Task Admin_bodies_with_a_member_given_twice_are_refused_and_change_nothing()
    {
        await using var sfi = await StartIssuerAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = PublicJwk(key, "k1").ToJsonString();
        using (var existing = await RegisterAsync(sfi, "existing", key))
        {
            Assert.Equal(HttpStatusCode.Created, existing.StatusCode);
        }

        foreach (var (method, path, body) in new[]
        {
            ("POST", "/v1/clients", """{"clientId":"first","clientId":"second","jwks":{"keys":[""" + jwk + "]}}"),
            ("POST", "/v1/clients", """{"clientId":"nested","jwks":{"keys":[""" + jwk[..^1] + ""","kid":"k2"}]}}"""),
            ("POST", "/v1/clients", """{"clientId":"scoped","scopes":["a"],"scopes":["sfi.introspect"],"jwks":{"keys":[""" + jwk + "]}}"),
            ("PATCH", "/v1/clients/existing", """{"scopes":["a"],"scopes":["sfi.introspect"]}"""),
            ("PUT", "/v1/clients/existing/jwks", """{"keys":[""" + jwk[..^1] + ""","kid":"k2"}]}"""),
            ("POST", "/v1/keyrings", """{"name":"r1","rotationPeriod":"P30D","rotationPeriod":"PT1H"}"""),
            ("POST", "/v1/ssf/streams", """{"endpoint":"https://93.184.215.14/ssf","endpoint":"https://169.254.169.254/"}"""),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var refused = await sfi.Admin.SendAsync(request);
            var problem = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)refused.StatusCode} {problem}");
            Assert.Contains("uplicate", problem, StringComparison.Ordinal);
        }

        using var clients = await sfi.Admin.GetAsync(new Uri("/v1/clients", UriKind.Relative));
        var registered = await clients.Content.ReadAsStringAsync();
        Assert.Contains("\"scopes\":[]", registered, StringComparison.Ordinal);
        Assert.Contains("\"revision\":1", registered, StringComparison.Ordinal); // unchanged by the refused PATCH and PUT
        Assert.DoesNotContain("\"clientId\":\"second\"", registered, StringComparison.Ordinal);
        using var ring = await sfi.Admin.GetAsync(new Uri("/v1/keyrings/r1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, ring.StatusCode);
    }

    [Fact]
    public async Task A_JWS_to_be_signed_whose_header_or_claims_name_a_member_twice_is_not_signed()
    {
        await using var sfi = await StartIssuerAsync();
        var active = (await sfi.Running.Server.Keys.Store.ListVersionsAsync("tokens", default)).Single(v => v.State == Keys.KeyState.Active);
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        var header = $$"""{"alg":"ES256","kid":"{{active.Kid}}"}""";
        var claims = $$"""{"iss":"{{sfi.Issuer}}","aud":"{{sfi.OwnAudience}}","sub":"x","exp":{{exp}}}""";
        Assert.Equal(HttpStatusCode.OK, await SignAsync(header, claims)); // the control: the same JWS without duplicates

        // A verifier that reads the first member would see another issuer, or a key in the header, than the check did.
        Assert.Equal(HttpStatusCode.BadRequest, await SignAsync(header, $$"""{"iss":"https://login.example/","iss":"{{sfi.Issuer}}","aud":"{{sfi.OwnAudience}}","sub":"x","exp":{{exp}}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await SignAsync(header, $$"""{"iss":"{{sfi.Issuer}}","aud":"{{sfi.OwnAudience}}","sub":"x","exp":4102444800,"exp":{{exp}}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await SignAsync($$"""{"alg":"none","alg":"ES256","kid":"{{active.Kid}}"}""", claims));

        async Task<HttpStatusCode> SignAsync(string h, string c)
        {
            var input = Base64Url(Encoding.UTF8.GetBytes(h)) + "." + Base64Url(Encoding.UTF8.GetBytes(c));
            using var signed = await sfi.Admin.PostAsJsonAsync(new Uri("/v1/keyrings/tokens/sign", UriKind.Relative), new { payload = Base64Url(Encoding.ASCII.GetBytes(input)) });
            var body = await signed.Content.ReadAsStringAsync();
            Assert.True(signed.StatusCode == HttpStatusCode.OK || body.Contains("uplicate", StringComparison.Ordinal), body);
            return signed.StatusCode;
        }
    }

    // ---- data directory and file modes ------------------------------------------------------------------------------

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes
    public async Task The_database_and_its_wal_are_readable_by_the_owner_only()
    {
        await using var server = await RunningServer.StartAsync(fixture.Custodian);
        using (var created = await server.Admin.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), new { name = "written" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(server.DataDirectory));
        var files = Directory.GetFiles(server.DataDirectory, "*", SearchOption.AllDirectories);
        Assert.Contains(Path.Combine(server.DataDirectory, "sfi.db-wal"), files);
        foreach (var file in files)
        {
            Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file}: {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes
    public async Task A_data_directory_others_can_read_is_narrowed_and_its_files_made_private()
    {
        var directory = Directory.CreateTempSubdirectory("sfi-open-").FullName;
        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(directory, readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.WriteAllBytes(Path.Combine(directory, "sfi.db"), []);
        File.SetUnixFileMode(Path.Combine(directory, "sfi.db"), readable); // as an earlier version left it
        var console = new StringWriter();
        var options = new ServerOptions { DataDirectory = directory, Urls = ["http://127.0.0.1:0"], Dev = true, BootstrapAdminKey = "sfi_admin_test_" + new string('k', 32) };
        await using (await SfiServer.StartAsync(options, console, fixture.Custodian))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "sfi.db")));
            Assert.Contains("was readable by others (mode 0755); narrowed to 0700", console.ToString(), StringComparison.Ordinal);
        }

        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite, "its group")]
    [InlineData(UnixFileMode.OtherWrite, "everyone")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes
    public async Task A_data_directory_others_can_write_to_is_refused(UnixFileMode extra, string who)
    {
        var directory = Directory.CreateTempSubdirectory("sfi-writable-").FullName;
        try
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | extra);
            var options = new ServerOptions { DataDirectory = directory, Urls = ["http://127.0.0.1:0"], Dev = true };
            var error = await Assert.ThrowsAsync<ServerStartException>(() => SfiServer.StartAsync(options, TextWriter.Null, fixture.Custodian));
            Assert.Contains($"is writable by {who}", error.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(directory)); // nothing created in it
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // ---- response headers -------------------------------------------------------------------------------------------

    [Fact]
    public async Task Every_answer_says_nosniff_and_admin_token_and_error_answers_are_not_stored()
    {
        await using var sfi = await StartIssuerAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var created = await RegisterAsync(sfi, "headers", key))
        {
            AssertPrivate(created);
        }

        using (var rings = await sfi.Admin.GetAsync(new Uri("/v1/keyrings", UriKind.Relative)))
        {
            AssertPrivate(rings);
        }

        using (var unauthorized = await sfi.Anonymous.GetAsync(new Uri("/v1/keyrings", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            AssertPrivate(unauthorized);
        }

        using var http = new HttpClient();
        using (var token = await http.PostAsync(new Uri(sfi.Issuer + "oauth2/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "headers",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(sfi.Issuer, "headers", key),
        })))
        {
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
            AssertPrivate(token);
        }

        // The public JWKS keeps its own caching; it is still nosniff, and no HSTS goes out over plain http.
        using var jwks = await sfi.Anonymous.GetAsync(new Uri("/v1/keyrings/tokens/jwks.json", UriKind.Relative));
        Assert.True(jwks.Headers.CacheControl!.Public);
        Assert.Equal("nosniff", Assert.Single(jwks.Headers.GetValues("X-Content-Type-Options")));
        Assert.False(jwks.Headers.Contains("Strict-Transport-Security"));

        static void AssertPrivate(HttpResponseMessage response)
        {
            Assert.True(response.Headers.CacheControl?.NoStore, $"{response.RequestMessage!.RequestUri}: Cache-Control {response.Headers.CacheControl}");
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }
    }

    // ---- metrics ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Metrics_need_the_metrics_token_or_an_admin_key_and_the_metrics_token_opens_nothing_else()
    {
        var tokenFile = Path.GetTempFileName();
        var metricsToken = "sfi_metrics_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await File.WriteAllTextAsync(tokenFile, metricsToken + "\n");
        try
        {
            await using var sfi = await StartIssuerAsync(o => o with { MetricsTokenFile = tokenFile });
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using (await RegisterAsync(sfi, "secret-project", key))
            {
            }

            using (await sfi.Admin.PostAsync(new Uri("/v1/clients/secret-project/disable", UriKind.Relative), null))
            {
            }

            using (var anonymous = await sfi.Anonymous.GetAsync(new Uri("/metrics", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.DoesNotContain("secret-project", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(sfi, "/metrics", "sfi_metrics_" + new string('0', 32))).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(sfi, "/v1/keyrings", metricsToken)).Status);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(sfi, "/metrics", sfi.Running.AdminKey)).Status);
            var (status, body) = await GetAsync(sfi, "/metrics", metricsToken);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("client=\"secret-project\"", body, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(tokenFile);
        }

        static async Task<(HttpStatusCode Status, string Body)> GetAsync(IssuerServer sfi, string path, string bearer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            using var response = await sfi.Anonymous.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_metrics_token_file_with_a_short_token_is_refused_at_start()
    {
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, "short\n");
        try
        {
            var directory = Path.Combine(Path.GetTempPath(), "sfi-refused-" + Guid.NewGuid().ToString("N"));
            var options = new ServerOptions { DataDirectory = directory, Urls = ["http://127.0.0.1:0"], Dev = true, MetricsTokenFile = tokenFile };
            var error = await Assert.ThrowsAsync<ServerStartException>(() => SfiServer.StartAsync(options, TextWriter.Null, fixture.Custodian));
            Assert.Contains("--metrics-token-file", error.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(directory)); // refused before anything is created
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private async Task<IssuerServer> StartIssuerAsync(Func<ServerOptions, ServerOptions>? configure = null)
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var running = await RunningServer.StartAsync(fixture.Custodian, configure: o => (configure ?? (x => x))(o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) }));
        return new IssuerServer(running, issuer);
    }

    private static Task<HttpResponseMessage> RegisterAsync(IssuerServer sfi, string clientId, ECDsa key)
        => sfi.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new JsonObject
        {
            ["clientId"] = clientId,
            ["jwks"] = new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) },
        });

    private static ClientCredentialsTokenRequest TokenRequest(IssuerServer sfi, string clientId, ECDsa key) => new()
    {
        Address = sfi.Issuer + "oauth2/token",
        ClientId = clientId,
        ClientCredentialStyle = ClientCredentialStyle.PostBody,
        ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(sfi.Issuer, clientId, key) },
    };

    private static async Task<string> TokenAsync(HttpClient http, IssuerServer sfi, string clientId, ECDsa key)
    {
        var response = await http.RequestClientCredentialsTokenAsync(TokenRequest(sfi, clientId, key));
        Assert.False(response.IsError, response.Raw);
        return response.AccessToken!;
    }

    private static async Task<HttpStatusCode> WhoamiAsync(HttpClient http, IssuerServer sfi, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(sfi.Running.BaseAddress, "/v1/whoami"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private sealed class IssuerServer(RunningServer running, string issuer) : IAsyncDisposable
    {
        public RunningServer Running => running;

        public HttpClient Admin => running.Admin;

        public HttpClient Anonymous => running.Anonymous;

        public string Issuer => issuer;

        public string OwnAudience => issuer + "v1/";

        public ValueTask DisposeAsync() => running.DisposeAsync();
    }
}
