using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys;

using static SecureFuture.Server.Tests.OAuthTestKit;
using static SecureFuture.Server.Tests.TokenServiceTests;

namespace SecureFuture.Server.Tests;

/// <summary>
/// The token endpoint's rules about who a client is and what it may ask for: resource indicators (RFC 8707), which JWTs
/// count as client assertions (RFC 7523 and its 2025 update), their times, their single use across restarts, and the
/// metadata that tells clients how to authenticate.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ClientAuthenticationTests(ServerFixture fixture)
{
    private const string Payments = "https://payments.example/api";
    private const string Ledger = "urn:example:ledger";

    [Fact]
    public async Task A_resource_naming_registered_audiences_gets_a_token_for_exactly_those_and_any_other_is_refused()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key, audiences: [Payments, Ledger, sfi.OwnAudience]);
        using var http = new HttpClient();

        foreach (var audience in new[] { Payments, Ledger, sfi.OwnAudience })
        {
            var single = await RequestWithResourcesAsync(http, sfi, key, audience);
            Assert.False(single.IsError, audience + ": " + single.Error + " " + single.ErrorDescription);
            Assert.Equal([audience], new JsonWebToken(single.AccessToken).Audiences);
        }

        var both = await RequestWithResourcesAsync(http, sfi, key, Payments, Ledger);
        Assert.False(both.IsError, both.Error + " " + both.ErrorDescription);
        Assert.Equal([Payments, Ledger], new JsonWebToken(both.AccessToken).Audiences.Order(StringComparer.Ordinal));

        // Without resource: every registered audience, as before.
        var all = await RequestWithResourcesAsync(http, sfi, key);
        Assert.Equal(3, new JsonWebToken(all.AccessToken).Audiences.Count());

        // An audience the client is not registered for, alone or next to one it is: no token at all.
        foreach (var resources in new[] { new[] { "https://other.example/api" }, [Payments, "https://other.example/api"], ["https://payments.example/api/admin"] })
        {
            var refused = await RequestWithResourcesAsync(http, sfi, key, resources);
            Assert.Equal("invalid_target", Code(refused));
            Assert.Null(refused.AccessToken);
        }

        // Another client's audience is not this client's.
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "other", otherKey, audiences: ["https://other.example/api"]);
        Assert.Equal("invalid_target", Code(await RequestWithResourcesAsync(http, sfi, key, "https://other.example/api")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData("application/JWT")]
    [InlineData("client-authentication+jwt")]
    [InlineData("application/client-authentication+jwt")]
    public void Untyped_JWT_typed_or_explicitly_typed_assertions_for_the_issuer_are_client_assertions(string? typ)
    {
        var options = new TokenServiceOptions { Issuer = new Uri("https://id.example/") };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Null(ClientAssertionType.Refusal(new JsonWebToken(RawAssertion("https://id.example/", "svc", key, typ)), options));
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("application/at+jwt")]
    [InlineData("dpop+jwt")]
    [InlineData("secevent+jwt")]
    [InlineData("oauth-authz-req+jwt")]
    [InlineData("logout+jwt")]
    [InlineData("token-introspection+jwt")]
    [InlineData("client-authentication+jwt-but-not")]
    public void Every_other_explicit_type_is_refused_as_a_client_assertion_even_with_aud_the_issuer(string typ)
    {
        var options = new TokenServiceOptions { Issuer = new Uri("https://id.example/") };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var refusal = ClientAssertionType.Refusal(new JsonWebToken(RawAssertion("https://id.example/", "svc", key, typ)), options);
        Assert.NotNull(refusal);
        Assert.Contains("is not a client assertion", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "https://id.example/oauth2/token")]
    [InlineData("JWT", "https://id.example/oauth2/token")]
    [InlineData(null, "https://id.example")]
    [InlineData(null, "https://elsewhere.example/")]
    public void An_untyped_assertion_must_have_aud_exactly_the_issuer(string? typ, string audience)
    {
        var options = new TokenServiceOptions { Issuer = new Uri("https://id.example/") };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var refusal = ClientAssertionType.Refusal(new JsonWebToken(RawAssertion(audience, "svc", key, typ)), options);
        Assert.NotNull(refusal);
        Assert.Contains("aud exactly the issuer", refusal, StringComparison.Ordinal);

        // Two audiences, one of them the issuer, are not "exactly the issuer" either.
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = "k1" };
        var claims = new JsonObject { ["iss"] = "svc", ["sub"] = "svc", ["aud"] = new JsonArray("https://id.example/", audience), ["jti"] = "j", ["exp"] = 2_000_000_000 };
        Assert.NotNull(ClientAssertionType.Refusal(new JsonWebToken(Sign(header, claims, key)), options));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("JWT")]
    public void With_typed_assertions_required_an_untyped_one_is_refused(string? typ)
    {
        var options = new TokenServiceOptions { Issuer = new Uri("https://id.example/"), RequireTypedClientAssertions = true };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Contains("must have typ 'client-authentication+jwt'", ClientAssertionType.Refusal(new JsonWebToken(RawAssertion("https://id.example/", "svc", key, typ)), options), StringComparison.Ordinal);
        Assert.Null(ClientAssertionType.Refusal(new JsonWebToken(RawAssertion("https://id.example/", "svc", key, "client-authentication+jwt")), options));
    }

    [Fact]
    public async Task The_token_endpoint_takes_untyped_assertions_for_the_issuer_and_refuses_other_JWTs_signed_by_the_clients_key()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";

        foreach (var typ in new[] { null, "JWT" })
        {
            var accepted = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, typ));
            Assert.False(accepted.IsError, $"{typ}: {accepted.Error} {accepted.ErrorDescription}");
        }

        // The audience rule stays strict for them: the token endpoint URL is not the issuer.
        var endpointAudience = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(endpoint, "svc", key, typ: null));
        Assert.Equal("invalid_client", Code(endpointAudience));

        // A JWT of another kind, correctly signed by the client's own key and aimed at the issuer, is no assertion.
        foreach (var typ in new[] { "at+jwt", "dpop+jwt", "secevent+jwt" })
        {
            var refused = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, typ));
            Assert.Equal("invalid_client", Code(refused));
            Assert.Contains("is not a client assertion", refused.ErrorDescription, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Found by fuzzing (fuzz/, target client-assertion): a five-part (JWE-shaped) assertion whose second part does not
    /// decode as UTF-8 made <c>new JsonWebToken</c> throw <see cref="FormatException"/>, which nothing caught: an HTTP
    /// 500 from the token endpoint for anyone who posts it.
    /// </summary>
    private const string JweShapedAssertionThatIsNotUtf8 = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImZ1enotMSJ9.eyJpc3MiOiJmdXp6LWNsaWVudCIsInN1YiI6ImZ1enotY2xpZW50IiwYXVkIjpb.mh0dHBzOi8vaXNzdWVyLmZ1enoudGVzdC8iLCJodHRwczovL290aGVyLnRlc3QvIl0sImp0aSI6ImFzc2VydGlvbi0yIiwiaWF0IjoxNzk1OTUzNjAwLCJleHAiOjE3OTU5NTM3MjB9.F2R63dZUzJZA3EpWXyRK9SGBqqXEet2Ccn4zT7VbSfAvAxbjT6iIOwpU3Alo3GVzdC8iLCJodHRwczovL290aGVyLnRlc3QvIl0sImp0aSI6ImFzc2VydGlvbi0yIiwiaWF0IjoxNzk1OTUzNjAwLCJleHAiOjE3OTU5NTM3MjB9.F2R63dZUzJZA3EpWXyRO9SGBqqXEet2Ccn4zT7VbSfAvAxbjT6iIOwpU3Alo3AIj9n8PaKpNwcYCF4n6bv5ATA";

    [Fact]
    public void A_JWE_shaped_assertion_that_does_not_decode_is_unreadable_not_a_crash() =>
        Assert.Null(ClientAssertionType.ReadUnverified(JweShapedAssertionThatIsNotUtf8));

    [Theory]
    [InlineData("{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"\\ud800\", \"x\": \"AA\", \"y\": \"AA\"}]}")]
    [InlineData("{\"keys\": [{\"kty\": \"EC\", \"crv\": \"\\udc00\", \"kid\": \"k\"}]}")]
    public void A_registered_JWKS_whose_strings_are_not_well_formed_unicode_is_invalid_not_a_crash(string jwks)
    {
        // Found by fuzzing (target client-jwks): reading kid or crv threw InvalidOperationException, a 500 at registration.
        using var document = JsonDocument.Parse(jwks);
        var e = Assert.Throws<KeyServiceException>(() => ClientKeySet.Parse(document.RootElement));
        Assert.Equal(KeyErrorKind.Invalid, e.Kind);
        Assert.Contains("not well-formed Unicode", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_endpoint_answers_a_JWE_shaped_assertion_that_does_not_decode_with_invalid_client()
    {
        await using var sfi = await StartAsync();
        using var http = new HttpClient();
        var response = await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", "svc", JweShapedAssertionThatIsNotUtf8);
        Assert.Equal(HttpStatusCode.Unauthorized, response.HttpStatusCode); // RFC 6749 §5.2: invalid_client is a 401
        Assert.Equal("invalid_client", Code(response));
    }

    [Fact]
    public async Task With_require_typed_client_assertions_the_token_endpoint_refuses_untyped_ones()
    {
        await using var sfi = await StartAsync(o => o with { RequireTypedClientAssertions = true });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var untyped = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, typ: null));
        Assert.Equal("invalid_client", Code(untyped));
        Assert.Contains("must have typ", untyped.ErrorDescription, StringComparison.Ordinal);
        Assert.False((await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, "client-authentication+jwt"))).IsError);
    }

    [Fact]
    public async Task Client_assertions_dated_in_the_future_beyond_the_clock_skew_are_refused()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var later = DateTimeOffset.UtcNow + TokenServiceOptions.AssertionClockSkew + TimeSpan.FromSeconds(30);

        var futureIat = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, ClientAssertionType.Explicit, iat: later));
        Assert.Equal("invalid_client", Code(futureIat));
        Assert.Contains("iat is in the future", futureIat.ErrorDescription, StringComparison.Ordinal);

        var futureNbf = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, ClientAssertionType.Explicit, nbf: later));
        Assert.Equal("invalid_client", Code(futureNbf));
        Assert.Contains("nbf is in the future", futureNbf.ErrorDescription, StringComparison.Ordinal);

        // A client clock a little ahead is within the skew.
        var slightlyAhead = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        var accepted = await RequestTokenAsync(http, endpoint, "svc", RawAssertion(sfi.Issuer, "svc", key, ClientAssertionType.Explicit, iat: slightlyAhead, nbf: slightlyAhead));
        Assert.False(accepted.IsError, accepted.Error + " " + accepted.ErrorDescription);
    }

    [Fact]
    public async Task On_SQLite_a_client_assertion_or_DPoP_proof_replayed_after_a_restart_is_refused()
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var first = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) });
        var dataDirectory = first.DataDirectory;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var sfi = new IssuerServer(first, issuer);
        await RegisterAsync(sfi, "svc", key);
        using var http = new HttpClient();
        var endpoint = issuer + "oauth2/token";
        var assertion = Assertion(issuer, "svc", key);
        var proof = Proof(dpopKey, "POST", endpoint);
        Assert.False((await RequestTokenAsync(http, endpoint, "svc", assertion, dpop: proof)).IsError);

        await first.Server.DisposeAsync();
        var restarted = await SfiServer.StartAsync(
            new ServerOptions { DataDirectory = dataDirectory, Urls = [$"http://127.0.0.1:{port}"], Dev = true, BootstrapAdminKey = first.AdminKey, Issuer = new Uri(issuer) }, TextWriter.Null, fixture.Custodian);
        try
        {
            var replayed = await RequestTokenAsync(http, endpoint, "svc", assertion);
            Assert.Equal("invalid_client", Code(replayed));
            Assert.Contains("already used", replayed.ErrorDescription, StringComparison.Ordinal);

            var replayedProof = await RequestTokenAsync(http, endpoint, "svc", Assertion(issuer, "svc", key), dpop: proof);
            Assert.Equal("invalid_dpop_proof", Code(replayedProof));

            // Fresh ones still work after the restart.
            Assert.False((await RequestTokenAsync(http, endpoint, "svc", Assertion(issuer, "svc", key), dpop: Proof(dpopKey, "POST", endpoint))).IsError);
        }
        finally
        {
            first.Anonymous.Dispose();
            first.Admin.Dispose();
        }

        await restarted.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Discovery_offers_only_private_key_jwt_everywhere_and_introspection_by_an_unknown_client_is_401()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        using var http = new HttpClient();

        var discovery = JsonNode.Parse(await http.GetStringAsync(new Uri(sfi.Issuer + ".well-known/openid-configuration")))!;
        foreach (var member in new[] { "token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported" })
        {
            Assert.Equal(["private_key_jwt"], discovery[member]!.AsArray().Select(m => (string)m!));
        }

        var token = (await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "svc", key)).AccessToken!;
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (var (clientId, signer) in new[] { ("nobody", stranger), ("svc", stranger) })
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["token"] = token,
                ["client_id"] = clientId,
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = Assertion(sfi.Issuer, clientId, signer),
            });
            using var response = await http.PostAsync(new Uri(sfi.Issuer + "oauth2/introspect"), form);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{clientId}: {(int)response.StatusCode} {body}");
            Assert.Equal("invalid_client", (string?)JsonNode.Parse(body)!["error"]);
            Assert.DoesNotContain("\"active\"", body, StringComparison.Ordinal);
        }

        // No client authentication at all is 401 too; a secret is refused, not tried.
        foreach (var form in new[]
        {
            new Dictionary<string, string> { ["token"] = token },
            new Dictionary<string, string> { ["token"] = token, ["client_id"] = "nobody" },
            new Dictionary<string, string> { ["token"] = token, ["client_id"] = "svc", ["client_secret"] = "guess" },
        })
        {
            using var content = new FormUrlEncodedContent(form);
            using var response = await http.PostAsync(new Uri(sfi.Issuer + "oauth2/introspect"), content);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Introspection_and_revocation_by_a_client_that_did_not_authenticate_are_401_invalid_client_whatever_the_token()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        await RegisterAsync(sfi, "off", key);
        using var http = new HttpClient();
        var token = (await RequestTokenAsync(http, sfi.Issuer + "oauth2/token", sfi.Issuer, "svc", key)).AccessToken!;
        using (var disabled = await sfi.Running.Admin.PostAsync(new Uri("/v1/clients/off/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        Dictionary<string, string> Authenticated(string clientId, ECDsa signer, string presented) => new()
        {
            ["token"] = presented,
            ["client_id"] = clientId,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Assertion(sfi.Issuer, clientId, signer),
        };

        // RFC 7662 §2.1 and RFC 7009 §2.1: the caller must authenticate before anything is said about the token, even
        // "inactive" or "nothing to revoke" (which would confirm to anyone whether a token is live). A valid token, a
        // garbage one and a token of another issuer all get the same answer.
        foreach (var endpoint in new[] { "oauth2/introspect", "oauth2/revoke" })
        {
            foreach (var presented in new[] { token, "not-a-token", token[..^4] + "AAAA" })
            {
                var attempts = new (string Case, Dictionary<string, string> Form)[]
                {
                    ("unknown client", Authenticated("nobody", stranger, presented)),
                    ("assertion signed by another key", Authenticated("svc", stranger, presented)),
                    ("disabled client", Authenticated("off", key, presented)),
                    ("no client authentication", new() { ["token"] = presented }),
                    ("client_id alone", new() { ["token"] = presented, ["client_id"] = "svc" }),
                    ("client secret", new() { ["token"] = presented, ["client_id"] = "svc", ["client_secret"] = "guess" }),
                };
                foreach (var (name, form) in attempts)
                {
                    using var content = new FormUrlEncodedContent(form);
                    using var response = await http.PostAsync(new Uri(sfi.Issuer + endpoint), content);
                    var body = await response.Content.ReadAsStringAsync();
                    var what = $"{endpoint}, {name}, token {presented[..Math.Min(12, presented.Length)]}: {(int)response.StatusCode} {body}";
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, what);
                    Assert.Equal("invalid_client", (string?)JsonNode.Parse(body)!["error"]);
                    Assert.DoesNotContain("\"active\"", body, StringComparison.Ordinal);
                }
            }
        }

        // client_secret_basic (RFC 6749 §2.3.1): refused with 401, and since the client used the Authorization header,
        // RFC 6749 §5.2 wants a WWW-Authenticate challenge naming the scheme.
        foreach (var endpoint in new[] { "oauth2/introspect", "oauth2/revoke" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sfi.Issuer + endpoint)) { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }) };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("svc:guess")));
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{endpoint}, Basic: {(int)response.StatusCode} {body}");
            Assert.Equal("invalid_client", (string?)JsonNode.Parse(body)!["error"]);
            Assert.Contains(response.Headers.WwwAuthenticate, c => c.Scheme == "Basic");
        }

        // The token survived all of that: no one who failed to authenticate revoked it.
        using var own = new FormUrlEncodedContent(Authenticated("svc", key, token));
        using var introspected = await http.PostAsync(new Uri(sfi.Issuer + "oauth2/introspect"), own);
        Assert.True((bool)JsonNode.Parse(await introspected.Content.ReadAsStringAsync())!["active"]!);
    }

    [Fact]
    public async Task A_correctly_signed_client_assertion_or_DPoP_proof_with_a_member_named_twice_gets_no_token()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "svc", key);
        await RegisterAsync(sfi, "other", otherKey);
        using var http = new HttpClient();
        var endpoint = sfi.Issuer + "oauth2/token";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Claims(string members) => $$"""{"sub":"svc","jti":"{{Guid.NewGuid():N}}","iat":{{now}},"nbf":{{now}},"exp":{{now + 120}},{{members}}}""";
        const string Typed = """{"alg":"ES256","kid":"k1","typ":"client-authentication+jwt"}""";

        var cases = new (string What, string Header, string Claims)[]
        {
            ("iss twice: which client's keys verify it?", Typed, Claims($$"""
                "iss":"other","iss":"svc","aud":"{{sfi.Issuer}}"
                """)),
            ("aud twice: another server's audience next to ours", Typed, Claims($$"""
                "iss":"svc","aud":"https://other-as.example/token","aud":"{{sfi.Issuer}}"
                """)),
            ("sub twice", Typed, Claims($$"""
                "iss":"svc","sub":"other","aud":"{{sfi.Issuer}}"
                """)),
            ("typ twice: an access token's type next to an assertion's", """{"alg":"ES256","kid":"k1","typ":"at+jwt","typ":"client-authentication+jwt"}""", Claims($$"""
                "iss":"svc","aud":"{{sfi.Issuer}}"
                """)),
        };
        foreach (var (what, header, claims) in cases)
        {
            var refused = await RequestTokenAsync(http, endpoint, "svc", Sign(header, claims, key));
            Assert.True(Code(refused) == "invalid_client", $"{what}: {Code(refused)} {refused.ErrorDescription}");
            Assert.Null(refused.AccessToken);
        }

        // The same assertion with each member once gets a token: only the duplicate was refused.
        var single = await RequestTokenAsync(http, endpoint, "svc", Sign(Typed, Claims($$"""
            "iss":"svc","aud":"{{sfi.Issuer}}"
            """), key));
        Assert.False(single.IsError, single.Error + " " + single.ErrorDescription);

        // A DPoP proof naming htu twice (another server's first) binds no token.
        using var holder = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proofHeader = """{"typ":"dpop+jwt","alg":"ES256","jwk":""" + PublicJwk(holder, null).ToJsonString() + "}";
        var proofClaims = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"POST","htu":"https://other-as.example/token","htu":"{{endpoint}}","iat":{{now}}}""";
        var unbound = await RequestTokenAsync(http, endpoint, "svc", Assertion(sfi.Issuer, "svc", key), dpop: Sign(proofHeader, proofClaims, holder));
        Assert.Equal("invalid_dpop_proof", Code(unbound));
        Assert.Null(unbound.AccessToken);
    }

    [Fact]
    public async Task Bad_assertions_throttle_their_source_but_never_lock_the_client_out_nor_refuse_its_correctly_signed_assertions()
    {
        await using var sfi = await StartAsync();
        using var aliceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "alice", aliceKey);
        var endpoint = sfi.Issuer + "oauth2/token";
        using var alice = From("127.0.0.1");
        using var attacker = From("127.0.0.2");

        // The lock-out attack: someone who knows alice's id sends 20 bad assertions for it within a minute.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("invalid_client", Code(await RequestTokenAsync(attacker, endpoint, "alice", Assertion(sfi.Issuer, "alice", stranger))));
        }

        // The attacker's source is throttled for alice: its next attempt gets nothing but the wait.
        var throttled = await RequestTokenAsync(attacker, endpoint, "alice", Assertion(sfi.Issuer, "alice", stranger));
        Assert.Equal("temporarily_unavailable", Code(throttled));
        Assert.Contains("retry in", throttled.ErrorDescription, StringComparison.Ordinal);

        // Alice, from where she is, is not affected; and an assertion her key signed is accepted even from the throttled source.
        var own = await RequestTokenAsync(alice, endpoint, sfi.Issuer, "alice", aliceKey);
        Assert.False(own.IsError, own.Error + " " + own.ErrorDescription);
        var signed = await RequestTokenAsync(attacker, endpoint, sfi.Issuer, "alice", aliceKey);
        Assert.False(signed.IsError, signed.Error + " " + signed.ErrorDescription);

        // Spraying many client ids from one source throttles that source whatever id it names next.
        using var sprayer = From("127.0.0.3");
        for (var i = 0; i < 100; i++)
        {
            var id = "guess-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("invalid_client", Code(await RequestTokenAsync(sprayer, endpoint, id, Assertion(sfi.Issuer, id, stranger))));
        }

        Assert.Equal("temporarily_unavailable", Code(await RequestTokenAsync(sprayer, endpoint, "alice", Assertion(sfi.Issuer, "alice", stranger))));
        Assert.Equal("temporarily_unavailable", Code(await RequestTokenAsync(sprayer, endpoint, "guess-x", Assertion(sfi.Issuer, "guess-x", stranger))));
        Assert.False((await RequestTokenAsync(alice, endpoint, sfi.Issuer, "alice", aliceKey)).IsError);

        var metrics = await sfi.Running.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.client-authentication-failed\",client=\"alice\"} 20", metrics, StringComparison.Ordinal);
        Assert.Contains("sfi_identity_security_events_total{type=\"attack.throttled\",client=\"alice\"} 2", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    public void A_source_is_an_IPv4_address_or_an_IPv6_slash_64(string remote, string source)
        => Assert.Equal(source, AttemptSource.Of(IPAddress.Parse(remote)));

    /// <summary>An HTTP client whose connections come from <paramref name="localAddress"/> (any 127.0.0.0/8 address on Linux).</summary>
    private static HttpClient From(string localAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    private async Task<IssuerServer> StartAsync(Func<ServerOptions, ServerOptions>? configure = null)
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var running = await RunningServer.StartAsync(fixture.Custodian, configure: o =>
        {
            var options = o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) };
            return configure is null ? options : configure(options);
        });
        return new IssuerServer(running, issuer);
    }

    private static async Task<TokenResponse> RequestWithResourcesAsync(HttpClient http, IssuerServer sfi, ECDsa key, params string[] resources)
    {
        var request = new ClientCredentialsTokenRequest
        {
            Address = sfi.Issuer + "oauth2/token",
            ClientId = "svc",
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", Value = Assertion(sfi.Issuer, "svc", key) },
        };
        foreach (var resource in resources)
        {
            request.Resource.Add(resource);
        }

        return await http.RequestClientCredentialsTokenAsync(request);
    }
}
