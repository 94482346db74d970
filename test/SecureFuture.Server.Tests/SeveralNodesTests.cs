using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys.Storage;
using SecureFuture.Testing;

using static SecureFuture.Server.Tests.OAuthTestKit;

namespace SecureFuture.Server.Tests;

/// <summary>
/// Two <c>sfi serve</c> nodes on one PostgreSQL database and one HSM, serving the same issuer as a load balancer would
/// present them: what one node has accepted once, the other refuses, and security events are pushed once, not once
/// per node.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class SeveralNodesTests(ServerFixture fixture)
{
    [Fact]
    public async Task An_assertion_or_DPoP_proof_used_on_one_node_is_refused_as_a_replay_on_the_other()
    {
        await using var nodes = await TwoNodesAsync();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(nodes.A, "worker", clientKey);
        using var http = new HttpClient();
        var (tokenAtA, tokenAtB) = nodes.TokenEndpoints;
        var htu = nodes.Issuer + "oauth2/token"; // what the client addresses: the issuer, whichever node answers

        // One assertion: a token from node A, then a replay to node B.
        var assertion = Assertion(nodes.Issuer, "worker", clientKey);
        var first = await RequestAsync(http, tokenAtA, assertion, dpop: null);
        Assert.False(first.IsError, first.Error + " " + first.ErrorDescription);
        var replayed = await RequestAsync(http, tokenAtB, assertion, dpop: null);
        Assert.Equal("invalid_client", Code(replayed));
        Assert.Equal("the client assertion was already used", replayed.ErrorDescription);

        // One DPoP proof with fresh assertions: bound token from node B, the proof replayed to node A.
        var proof = Proof(dpopKey, "POST", htu);
        var bound = await RequestAsync(http, tokenAtB, Assertion(nodes.Issuer, "worker", clientKey), proof);
        Assert.False(bound.IsError, bound.Error + " " + bound.ErrorDescription);
        var proofReplayed = await RequestAsync(http, tokenAtA, Assertion(nodes.Issuer, "worker", clientKey), proof);
        Assert.Equal("invalid_dpop_proof", Code(proofReplayed));
        Assert.Contains("replay", proofReplayed.ErrorDescription, StringComparison.Ordinal);

        // At the resource: whoami on node A accepts the proof once; the same proof at node B is a replay.
        var whoamiProof = Proof(dpopKey, "GET", nodes.Issuer + "v1/whoami", accessToken: bound.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await WhoamiAsync(http, nodes.A, bound.AccessToken!, whoamiProof));
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoamiAsync(http, nodes.B, bound.AccessToken!, whoamiProof));
        Assert.Equal(HttpStatusCode.OK, await WhoamiAsync(http, nodes.B, bound.AccessToken!, Proof(dpopKey, "GET", nodes.Issuer + "v1/whoami", accessToken: bound.AccessToken)));

        // Both replays were recorded as attacks of the client, in the shared store.
        var events = await new SqlClientStore(((SqlKeyStore)nodes.A.Server.Keys.Store).DataSource, postgres: true).ReadEventsAsync(0, 500, default);
        Assert.Contains(events, e => e.Type == "attack.assertion-replayed" && e.ClientId == "worker");
        Assert.Contains(events, e => e.Type == "attack.dpop-replayed" && e.ClientId == "worker");
    }

    [Fact]
    public async Task Refused_attempts_spread_over_both_nodes_throttle_their_source_on_both_but_not_the_clients_own_key()
    {
        await using var nodes = await TwoNodesAsync();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var guess = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(nodes.A, "worker", clientKey);
        using var http = new HttpClient();
        var (tokenAtA, tokenAtB) = nodes.TokenEndpoints;

        // 10 guesses at each node: neither node alone reaches the limit of 20 a minute for one client from one source.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("invalid_client", Code(await RequestAsync(http, tokenAtA, Assertion(nodes.Issuer, "worker", guess), dpop: null)));
            Assert.Equal("invalid_client", Code(await RequestAsync(http, tokenAtB, Assertion(nodes.Issuer, "worker", guess), dpop: null)));
        }

        // Within about a second both nodes count all 20 and make the next guess from that source wait...
        foreach (var endpoint in new[] { tokenAtA, tokenAtB })
        {
            var answer = await Polling.UntilAsync(() => RequestAsync(http, endpoint, Assertion(nodes.Issuer, "worker", guess), dpop: null), a => Code(a) == "temporarily_unavailable", TimeSpan.FromSeconds(10));

            Assert.Equal("temporarily_unavailable", Code(answer));
            Assert.Contains("retry in", answer.ErrorDescription, StringComparison.Ordinal);

            // ...while an assertion signed by the client's registered key is still accepted.
            var own = await RequestAsync(http, endpoint, Assertion(nodes.Issuer, "worker", clientKey), dpop: null);
            Assert.False(own.IsError, own.Error + " " + own.ErrorDescription);
        }
    }

    [Fact]
    public async Task Security_events_are_pushed_once_while_both_nodes_run_their_push_loops()
    {
        await using var nodes = await TwoNodesAsync(allowPrivatePushEndpoints: true); // the receiver listens on loopback
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(nodes.A, "worker", clientKey);

        // A slow receiver: it answers a SET only once a node has run a whole pass that began while the delivery was
        // open. The node pushing it cannot end its pass before the answer, so that is the other node's pass, during
        // which, without one pushing node at a time, it would send the same SET. (Waiting for the pass, not for a
        // time longer than the pass interval, makes sure the other node did run one on a loaded machine.)
        var received = new ConcurrentBag<string>();
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/ssf/push", async (HttpContext context) =>
        {
            using var body = new StreamReader(context.Request.Body);
            var set = new JsonWebToken(await body.ReadToEndAsync());
            var duplicate = received.Contains(set.Id);
            received.Add(set.Id);
            if (received.Count >= 3)
            {
                allArrived.TrySetResult();
            }

            if (!duplicate)
            {
                await Task.WhenAny(EventPassAsync(nodes.A.Server), EventPassAsync(nodes.B.Server));
            }

            return Results.Accepted();
        });
        await receiver.StartAsync();
        var pushUri = new Uri(receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/ssf/push");
        using (var created = await nodes.A.Admin.PostAsJsonAsync(new Uri("/v1/ssf/streams", UriKind.Relative), new { endpoint = pushUri }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        foreach (var change in new[] { "disable", "enable", "disable" })
        {
            using var changed = await nodes.A.Admin.PostAsync(new Uri($"/v1/clients/worker/{change}", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Each node runs a whole pass after the third SET arrived, its pushes awaited: a duplicate from either node
        // would have arrived by the end of it.
        await Task.WhenAll(EventPassAsync(nodes.A.Server), EventPassAsync(nodes.B.Server));
        Assert.True(received.Count >= 3, $"{received.Count} SETs arrived");
        Assert.Equal(received.Count, received.Distinct(StringComparer.Ordinal).Count());
        await receiver.StopAsync();
    }

    /// <summary>
    /// On PostgreSQL, the nodes' one table. SQLite serves one node, whose store alone holds the replay journal
    /// (ReplayStoreTests: a second store is refused it).
    /// </summary>
    [Fact]
    public async Task The_shared_replay_cache_admits_an_identifier_once_across_stores_and_forgets_it_after_expiry()
    {
        await using var stores = await TwoStores.OpenAsync("postgres");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var nodeA = new SqlReplayCache(stores.A, clock);
        var nodeB = new SqlReplayCache(stores.B, clock);
        var until = clock.GetUtcNow().AddMinutes(1);

        // 40 concurrent first uses of one identifier, half on each node: exactly one wins.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? nodeA : nodeB).TryAddAsync("assertion:worker:j1", until, default).AsTask()));
        Assert.Equal(1, attempts.Count(a => a));
        Assert.True(await nodeB.TryAddAsync("assertion:worker:j2", until, default));
        Assert.True(await nodeA.TryAddAsync("dpop:thumb:j1", until, default)); // another identifier is another use

        // Expired: seen again as new (the proof it came from could not be accepted any more anyway), and purged.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await nodeA.TryAddAsync("assertion:worker:j1", clock.GetUtcNow().AddMinutes(1), default));
        Assert.Equal(2, await nodeB.PurgeAsync(default)); // j2 and dpop:thumb:j1; the renewed j1 stays
        Assert.False(await nodeB.TryAddAsync("assertion:worker:j1", clock.GetUtcNow().AddMinutes(1), default));
        Assert.Equal(0, await nodeA.PurgeAsync(default));

        // 600 distinct identifiers at once (written in batches): each accepted once, then each refused, on either node.
        var ids = Enumerable.Range(0, 600).Select(i => $"dpop:key:{i}").ToArray();
        var later = clock.GetUtcNow().AddMinutes(1);
        Assert.All(await Task.WhenAll(ids.Select((id, i) => (i % 2 == 0 ? nodeA : nodeB).TryAddAsync(id, later, default).AsTask())), Assert.True);
        Assert.All(await Task.WhenAll(ids.Select((id, i) => (i % 2 == 0 ? nodeB : nodeA).TryAddAsync(id, later, default).AsTask())), Assert.False);

        // A database that cannot be reached fails every pending check, never answers "first use".
        await using var away = SqlKeyStore.OpenPostgres(new Npgsql.NpgsqlConnectionStringBuilder(stores.Connection) { Port = FreePort(), Timeout = 2 }.ToString());
        var unreachable = new SqlReplayCache(new SqlClientStore(away.DataSource, away.IsPostgres), clock);
        var attemptsAway = Enumerable.Range(0, 5).Select(i => unreachable.TryAddAsync($"assertion:worker:k{i}", later, default).AsTask()).ToArray();
        foreach (var attempt in attemptsAway)
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => attempt);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Every_node_hands_out_the_same_DPoP_nonce_which_is_accepted_for_two_periods_at_most(string kind)
    {
        await using var stores = await TwoStores.OpenAsync(kind);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var nodeA = new DpopNonceSource(stores.A, clock, TimeSpan.FromMinutes(1));
        var nodeB = new DpopNonceSource(stores.B, clock, TimeSpan.FromMinutes(1));

        // Both nodes, asking at the same moment, agree on one nonce for the period; only it is accepted.
        var firstAnswers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? nodeA : nodeB).CurrentAsync(default).AsTask()));
        var first = Assert.Single(firstAnswers.Distinct(StringComparer.Ordinal));
        Assert.Equal([first], await nodeB.AcceptedAsync(default));

        // Next period: a new nonce, and the previous one is still accepted (a client may hold it for a while).
        clock.Advance(TimeSpan.FromSeconds(61));
        var second = await nodeB.CurrentAsync(default);
        Assert.NotEqual(first, second);
        Assert.Equal([second, first], await nodeA.AcceptedAsync(default));

        // Two periods on, the first nonce is refused everywhere.
        clock.Advance(TimeSpan.FromMinutes(1));
        var third = await nodeA.CurrentAsync(default);
        Assert.DoesNotContain(first, await nodeA.AcceptedAsync(default));
        Assert.Equal([third, second], await nodeB.AcceptedAsync(default));
    }

    private async Task<TwoNodes> TwoNodesAsync(bool allowPrivatePushEndpoints = false)
    {
        var database = await TestPostgres.CreateDatabaseAsync("sfi_nodes");
        var port = FreePort();
        var issuer = new Uri($"http://127.0.0.1:{port}/");
        var a = await RunningServer.StartAsync(fixture.Custodian, database: database, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = issuer, AllowPrivatePushEndpoints = allowPrivatePushEndpoints });
        try
        {
            var b = await RunningServer.StartAsync(fixture.Custodian, database: database, configure: o => o with { Issuer = issuer, AllowPrivatePushEndpoints = allowPrivatePushEndpoints });
            return new TwoNodes(a, b, issuer.AbsoluteUri);
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    private static async Task RegisterAsync(RunningServer node, string clientId, ECDsa key)
    {
        using var created = await node.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new JsonObject
        {
            ["clientId"] = clientId,
            ["jwks"] = new JsonObject { ["keys"] = new JsonArray(PublicJwk(key, "k1")) },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    private static async Task<TokenResponse> RequestAsync(HttpClient http, string endpoint, string assertion, string? dpop)
    {
        var request = new ClientCredentialsTokenRequest
        {
            Address = endpoint,
            ClientId = "worker",
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = assertion },
        };
        if (dpop is not null)
        {
            request.Headers.Add("DPoP", dpop);
        }

        return await http.RequestClientCredentialsTokenAsync(request);
    }

    private static async Task<HttpStatusCode> WhoamiAsync(HttpClient http, RunningServer node, string token, string proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.BaseAddress, "/v1/whoami"));
        request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + token);
        request.Headers.Add("DPoP", proof);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Two stores on one database (a SQLite file, or a fresh PostgreSQL database), as two nodes open it.</summary>
    private sealed class TwoStores : IAsyncDisposable
    {
        private readonly SqlKeyStore _a;
        private readonly SqlKeyStore _b;

        private TwoStores(string directory, string? connection, SqlKeyStore a, SqlKeyStore b)
        {
            (Directory, Connection, _a, _b) = (directory, connection, a, b);
            A = new SqlClientStore(a.DataSource, a.IsPostgres);
            B = new SqlClientStore(b.DataSource, b.IsPostgres);
        }

        public string Directory { get; }

        public string? Connection { get; }

        public SqlClientStore A { get; }

        public SqlClientStore B { get; }

        public static async Task<TwoStores> OpenAsync(string kind)
        {
            var directory = System.IO.Directory.CreateTempSubdirectory("sfi-stores-").FullName;
            var connection = kind == "postgres" ? await TestPostgres.CreateDatabaseAsync("sfi_stores") : null;
            SqlKeyStore Open() => connection is null ? SqlKeyStore.OpenSqlite(Path.Combine(directory, "sfi.db")) : SqlKeyStore.OpenPostgres(connection);
            var stores = new TwoStores(directory, connection, Open(), Open());
            await stores._a.InitializeAsync(default);
            await stores.A.InitializeAsync(default);
            if (connection is not null)
            {
                // On SQLite the tables are A's; B's start would be refused the replay journal A holds.
                await stores.B.InitializeAsync(default);
            }

            return stores;
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await _a.DisposeAsync();
            await _b.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private sealed class TwoNodes(RunningServer a, RunningServer b, string issuer) : IAsyncDisposable
    {
        public RunningServer A => a;

        public RunningServer B => b;

        public string Issuer => issuer;

        /// <summary>The token endpoint at node A's and node B's own addresses (as the load balancer would reach them).</summary>
        public (string AtA, string AtB) TokenEndpoints => (new Uri(a.BaseAddress, "/oauth2/token").AbsoluteUri, new Uri(b.BaseAddress, "/oauth2/token").AbsoluteUri);

        public async ValueTask DisposeAsync()
        {
            await b.DisposeAsync();
            await a.DisposeAsync();
        }
    }
}
