using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Testing;
using static SecureFuture.Server.Tests.OAuthTestKit;

namespace SecureFuture.Server.Tests;

/// <summary>
/// Found by bench/serve-load-faults.sh: while PostgreSQL restarted, the token and introspection endpoints answered an
/// unhandled 500 (OpenIddict runs in the authentication middleware, which sat before the server's error mapping) where
/// every other endpoint answers 503 with Retry-After, the status clients and load balancers retry on.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class TokenServiceStoreOutageTests(ServerFixture fixture)
{
    [Fact]
    public async Task Token_and_introspection_requests_the_store_cannot_answer_get_503_with_retry_after_and_work_again_after()
    {
        var database = await TestPostgres.CreateDatabaseAsync("sfi_oauth_outage");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        await using var sfi = new TokenServiceTests.IssuerServer(
            await RunningServer.StartAsync(fixture.Custodian, database: database, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer), Clock = clock }), issuer);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await TokenServiceTests.RegisterAsync(sfi, "outage", key);
        using var http = new HttpClient();
        var token = await TokenServiceTests.RequestTokenAsync(http, issuer + "oauth2/token", issuer, "outage", key);
        Assert.False(token.IsError, token.Raw);

        var name = new Npgsql.NpgsqlConnectionStringBuilder(database).Database;
        await AdminSqlAsync($"ALTER DATABASE {name} ALLOW_CONNECTIONS false", $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        clock.Advance(TimeSpan.FromSeconds(2)); // past the client cache: the token endpoint must read the client from the store
        try
        {
            using (var refused = await PostFormAsync(http, issuer + "oauth2/token", ("grant_type", "client_credentials"), ("client_id", "outage"), ("client_assertion_type", JwtBearerAssertionType), ("client_assertion", Assertion(issuer, "outage", key))))
            {
                await KeyApiTests.AssertProblem(refused, HttpStatusCode.ServiceUnavailable, "retry");
                Assert.NotNull(refused.Headers.RetryAfter);
            }

            using var introspection = await PostFormAsync(http, issuer + "oauth2/introspect", ("token", token.AccessToken!), ("client_id", "outage"), ("client_assertion_type", JwtBearerAssertionType), ("client_assertion", Assertion(issuer, "outage", key)));
            await KeyApiTests.AssertProblem(introspection, HttpStatusCode.ServiceUnavailable, "retry");
        }
        finally
        {
            await AdminSqlAsync($"ALTER DATABASE {name} ALLOW_CONNECTIONS true");
        }

        var again = await TokenServiceTests.RequestTokenAsync(http, issuer + "oauth2/token", issuer, "outage", key);
        Assert.False(again.IsError, again.Raw);
    }

    private const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string url, params (string Name, string Value)[] fields)
    {
        using var form = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        return await http.PostAsync(new Uri(url), form);
    }

    private static async Task AdminSqlAsync(params string[] statements)
    {
        await using var admin = new Npgsql.NpgsqlConnection(TestPostgres.AdminConnectionString);
        await admin.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, admin);
            await command.ExecuteNonQueryAsync();
        }
    }
}
