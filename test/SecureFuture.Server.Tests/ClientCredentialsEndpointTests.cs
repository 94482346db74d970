using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;

using static SecureFuture.Server.Tests.OAuthTestKit;
using static SecureFuture.Server.Tests.TokenServiceTests;

namespace SecureFuture.Server.Tests;

/// <summary>
/// The token endpoint's dedicated path for <c>client_credentials</c> with <c>private_key_jwt</c>
/// (<see cref="ClientCredentialsEndpoint"/>): each attack is caught by the path itself (it examines the request and
/// declines it, naming the check), the client gets OpenIddict's refusal and the security event as before, and the
/// tokens it issues are the ones OpenIddict's path issues.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ClientCredentialsEndpointTests(ServerFixture fixture)
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    [Fact]
    public async Task Every_attack_is_declined_by_the_dedicated_path_and_refused_as_OpenIddict_refuses_it()
    {
        await using var sfi = await StartAsync();
        using var aliceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bobKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "alice", aliceKey, scopes: ["orders.read"]);
        await RegisterAsync(sfi, "bob", bobKey);
        var endpoint = sfi.Issuer + "oauth2/token";
        var path = sfi.Server.Services.GetRequiredService<ClientCredentialsEndpoint>();
        var metrics = sfi.Server.Services.GetRequiredService<ClientService>().Metrics;
        using var http = new HttpClient();

        // What the path must accept: issued by it, not handed on.
        var assertion = Assertion(sfi.Issuer, "alice", aliceKey);
        var proof = Proof(dpopKey, "POST", endpoint);
        var issued = await SendAsync(http, endpoint, Form("alice", assertion, "orders.read"), proof);
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        Assert.Equal("DPoP", issued.Body["token_type"]!.GetValue<string>());
        Assert.Equal((1, 0), (path.Issued, path.Declined));

        async Task RefusedAsync(string attack, (string Name, string Value)[] form, string[] proofs, HttpStatusCode status, string error, string decline)
        {
            var (issuedBefore, declinedBefore) = (path.Issued, path.Declined);
            var refused = await SendAsync(http, endpoint, form, proofs);
            Assert.True(refused.Status == status, $"{attack}: {refused.Status} {refused.Body.ToJsonString()}");
            Assert.True(error == (string?)refused.Body["error"], $"{attack}: {refused.Body.ToJsonString()}");
            Assert.Null(refused.Body["access_token"]);
            Assert.True(path.Issued == issuedBefore, attack + ": the dedicated path issued a token");
            Assert.True(path.Declined == declinedBefore + 1, attack + ": the dedicated path did not examine the request");
            Assert.True(path.LastDecline?.Contains(decline, StringComparison.Ordinal) == true, $"{attack}: declined because '{path.LastDecline}', not '{decline}'");
        }

        // The same assertion again (with a fresh proof), the same proof again (with a fresh assertion).
        await RefusedAsync("replayed assertion", Form("alice", assertion), [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.Unauthorized, "invalid_client", "the client assertion was already used");
        await RefusedAsync("replayed DPoP proof", Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), [proof], HttpStatusCode.BadRequest, "invalid_dpop_proof", "the DPoP proof was already used");

        // Each replay is recorded once, as OpenIddict's path records it: the answers of the path's single write are
        // what OpenIddict's checks saw (a second write would have called the fresh identifier a replay too).
        Assert.Equal(1, metrics.Events("attack.assertion-replayed", "alice"));
        Assert.Equal(1, metrics.Events("attack.dpop-replayed", "alice"));

        await RefusedAsync("assertion for another audience", Form("alice", Assertion("https://elsewhere.example/", "alice", aliceKey)), [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.BadRequest, "invalid_token", "audience");
        await RefusedAsync("expired assertion", Form("alice", ExpiredAssertion(sfi.Issuer, "alice", aliceKey)), [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.Unauthorized, "invalid_client", "the client assertion has expired");
        await RefusedAsync("assertion signed by another client's key", Form("alice", Assertion(sfi.Issuer, "alice", bobKey)), [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.Unauthorized, "invalid_client", "does not verify");
        await RefusedAsync("scope not granted", Form("alice", Assertion(sfi.Issuer, "alice", aliceKey), "orders.read admin"), [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.BadRequest, "invalid_scope", "may not ask for scope 'admin'");
        await RefusedAsync("DPoP proof for another URL", Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), [Proof(dpopKey, "POST", "https://evil.example/oauth2/token")], HttpStatusCode.BadRequest, "invalid_dpop_proof", "htu");
        await RefusedAsync("DPoP proof for another method", Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), [Proof(dpopKey, "GET", endpoint)], HttpStatusCode.BadRequest, "invalid_dpop_proof", "htm");
        await RefusedAsync("two proofs in one DPoP header", Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), [Proof(dpopKey, "POST", endpoint), Proof(dpopKey, "POST", endpoint)], HttpStatusCode.BadRequest, "invalid_dpop_proof", "not a compact JWS");

        // Two DPoP header fields (HttpClient would join them into one): written on the wire by hand.
        var declined = path.Declined;
        var (rawStatus, rawBody) = await SendTwoDpopHeadersAsync(sfi.Running.BaseAddress, Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), Proof(dpopKey, "POST", endpoint), Proof(dpopKey, "POST", endpoint));
        Assert.True(rawStatus == 400 && rawBody.Contains("\"error\": \"invalid_dpop_proof\"", StringComparison.Ordinal), $"{rawStatus} {rawBody}");
        Assert.Equal((1, declined + 1), (path.Issued, path.Declined));
        Assert.Equal("more than one DPoP header", path.LastDecline);
        await RefusedAsync("client_secret beside the assertion", [.. Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), ("client_secret", "guess")], [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.Unauthorized, "invalid_client", "client_secret");
        await RefusedAsync("client_id naming another client", [("client_id", "bob"), .. Form("alice", Assertion(sfi.Issuer, "alice", aliceKey))[1..]], [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.BadRequest, "invalid_grant", "client_id is not the assertion's issuer");

        // A disabled client (continuous access evaluation): refused at once.
        using (var disabled = await sfi.Running.Admin.PostAsync(new Uri("/v1/clients/bob/disable", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        await RefusedAsync("disabled client", Form("bob", Assertion(sfi.Issuer, "bob", bobKey)), [Proof(dpopKey, "POST", endpoint)], HttpStatusCode.Unauthorized, "invalid_client", "the client is disabled");
        Assert.Equal(1, metrics.Events("attack.disabled-client", "bob"));

        // Nothing the attacks did spent anything of a legitimate request.
        var after = await SendAsync(http, endpoint, Form("alice", Assertion(sfi.Issuer, "alice", aliceKey)), Proof(dpopKey, "POST", endpoint));
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal(2, path.Issued);
    }

    [Fact]
    public async Task A_token_and_response_from_the_dedicated_path_have_the_shape_of_OpenIddicts()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string Payments = "https://payments.example/api";
        await RegisterAsync(sfi, "shape", key, scopes: ["orders.read", "orders.write"], audiences: [Payments, sfi.OwnAudience]);
        var endpoint = sfi.Issuer + "oauth2/token";
        var path = sfi.Server.Services.GetRequiredService<ClientCredentialsEndpoint>();
        using var http = new HttpClient();

        foreach (var (scope, resource, bound) in new[] { ("orders.write orders.read", Payments, true), (null, null, false), ("orders.read", null, true) })
        {
            (string, string)[] Request() => [.. Form("shape", Assertion(sfi.Issuer, "shape", key), scope), .. resource is null ? [] : new[] { ("resource", resource) }];
            string[] Proofs() => bound ? [Proof(dpopKey, "POST", endpoint)] : [];

            var issuedBefore = path.Issued;
            var dedicated = await SendAsync(http, endpoint, Request(), Proofs());
            Assert.Equal(issuedBefore + 1, path.Issued);

            // A parameter the dedicated path does not read (OpenIddict ignores it) sends the same request to OpenIddict.
            var declinedBefore = path.Declined;
            var openIddict = await SendAsync(http, endpoint, [.. Request(), ("x_shape_test", "1")], Proofs());
            Assert.Equal(declinedBefore + 1, path.Declined);
            Assert.Equal(issuedBefore + 1, path.Issued);

            var what = $"scope {scope}, resource {resource}, bound {bound}";
            Assert.True(dedicated.Status == HttpStatusCode.OK && openIddict.Status == HttpStatusCode.OK, $"{what}: {dedicated.Body.ToJsonString()} / {openIddict.Body.ToJsonString()}");
            Assert.Equal(openIddict.Headers, dedicated.Headers);
            Assert.Equal(Names(openIddict.Body), Names(dedicated.Body));
            Assert.Equal((string?)openIddict.Body["token_type"], (string?)dedicated.Body["token_type"]);
            Assert.Equal(bound ? "DPoP" : "Bearer", (string?)dedicated.Body["token_type"]);
            Assert.InRange((long)dedicated.Body["expires_in"]!, 599, 600);

            var (dedicatedHeader, dedicatedClaims) = Decode((string)dedicated.Body["access_token"]!);
            var (openIddictHeader, openIddictClaims) = Decode((string)openIddict.Body["access_token"]!);
            Assert.Equal(openIddictHeader.ToJsonString(), dedicatedHeader.ToJsonString());
            Assert.Equal(Names(openIddictClaims), Names(dedicatedClaims));
            foreach (var (name, value) in openIddictClaims)
            {
                if (name is not ("jti" or "iat" or "exp"))
                {
                    Assert.True(JsonNode.DeepEquals(value, dedicatedClaims[name]), $"{what}: {name} is {dedicatedClaims[name]?.ToJsonString()}, OpenIddict's {value?.ToJsonString()}");
                }
            }

            Assert.Equal((long)openIddictClaims["exp"]! - (long)openIddictClaims["iat"]!, (long)dedicatedClaims["exp"]! - (long)dedicatedClaims["iat"]!);
            Assert.NotEqual((string?)openIddictClaims["jti"], (string?)dedicatedClaims["jti"]);
        }
    }

    [Fact]
    public async Task An_assertion_not_signed_as_its_registered_key_requires_is_declined_by_the_dedicated_path()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsaKey = RSA.Create(2048);
        await RegisterAsync(sfi, "carol", key);
        var endpoint = sfi.Issuer + "oauth2/token";
        var path = sfi.Server.Services.GetRequiredService<ClientCredentialsEndpoint>();
        using var http = new HttpClient();

        // A correct assertion, by the key kid k1 names, as every misuse below starts from.
        var accepted = await SendAsync(http, endpoint, Form("carol", Jws("ES256", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA256))));
        Assert.True(accepted.Status == HttpStatusCode.OK, accepted.Body.ToJsonString());
        Assert.Equal((1, 0), (path.Issued, path.Declined));

        async Task<Answer> DeclinedAsync(string misuse, string assertion, string decline)
        {
            var (issuedBefore, declinedBefore) = (path.Issued, path.Declined);
            var answer = await SendAsync(http, endpoint, Form("carol", assertion));
            Assert.True(path.Issued == issuedBefore, misuse + ": the dedicated path issued a token");
            Assert.True(path.Declined == declinedBefore + 1, misuse + ": the dedicated path did not examine the request");
            Assert.True(path.LastDecline?.Contains(decline, StringComparison.Ordinal) == true, $"{misuse}: declined because '{path.LastDecline}', not '{decline}'");
            return answer;
        }

        async Task RefusedAsync(string misuse, string assertion, string decline)
        {
            var refused = await DeclinedAsync(misuse, assertion, decline);
            Assert.True(refused.Status == HttpStatusCode.Unauthorized && (string?)refused.Body["error"] == "invalid_client", $"{misuse}: {refused.Status} {refused.Body.ToJsonString()}");
            Assert.Null(refused.Body["access_token"]);
        }

        await RefusedAsync("signed by another key than kid names", Jws("ES256", sfi.Issuer, "carol", input => otherKey.SignData(input, HashAlgorithmName.SHA256)), "the signature is not by registered key k1");
        await RefusedAsync("RS256 on an EC key", Jws("RS256", sfi.Issuer, "carol", input => rsaKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)), "alg RS256 does not fit registered key k1 (ES256)");
        await RefusedAsync("PS256 on an EC key", Jws("PS256", sfi.Issuer, "carol", input => rsaKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)), "alg PS256 does not fit registered key k1 (ES256)");
        await RefusedAsync("alg none, no signature", Jws("none", sfi.Issuer, "carol", _ => []), "its alg is not one of");
        await RefusedAsync("HS256 keyed with the public key", Jws("HS256", sfi.Issuer, "carol", input => HMACSHA256.HashData(key.ExportSubjectPublicKeyInfo(), input)), "its alg is not one of");
        await RefusedAsync("ES256 signature one byte short", Jws("ES256", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA256)[..63]), "the signature is not by registered key k1");
        await RefusedAsync("ES256 signature DER-encoded", Jws("ES256", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)), "the signature is not by registered key k1");
        await RefusedAsync("ES256 signature of zeros", Jws("ES256", sfi.Issuer, "carol", _ => new byte[64]), "the signature is not by registered key k1");

        // Another payload under the signature of a correct one: the claims of another assertion (another jti).
        var signed = Jws("ES256", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA256)).Split('.');
        var other = Jws("ES256", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA256)).Split('.');
        await RefusedAsync("tampered payload", $"{signed[0]}.{other[1]}.{signed[2]}", "the signature is not by registered key k1");

        // ES384 by the P-256 key: the key is registered for ES256 alone, so the dedicated path declines it. OpenIddict's
        // pipeline decides it with Microsoft.IdentityModel, which does not pin a key to its registered algorithm and
        // verifies it (a SHA-384 signature by the client's own key): that answer is OpenIddict's, unchanged.
        var es384 = await DeclinedAsync("ES384 on a P-256 key", Jws("ES384", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA384)), "alg ES384 does not fit registered key k1 (ES256)");
        Assert.True(es384.Status == HttpStatusCode.OK, es384.Body.ToJsonString());

        // The registered key still authenticates the client on the dedicated path.
        var after = await SendAsync(http, endpoint, Form("carol", Jws("ES256", sfi.Issuer, "carol", input => key.SignData(input, HashAlgorithmName.SHA256))));
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal(2, path.Issued);

        // An RSA key registered for RS256: its RS256 assertions are issued by the dedicated path; PS256 by the same key
        // is declined there and, like ES384 above, decided by OpenIddict's pipeline, which accepts it.
        var rsaPublic = rsaKey.ExportParameters(false);
        using (var registered = await sfi.Running.Admin.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new JsonObject
        {
            ["clientId"] = "dave",
            ["jwks"] = new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["kty"] = "RSA", ["kid"] = "k1", ["alg"] = "RS256", ["n"] = Base64Url(rsaPublic.Modulus!), ["e"] = Base64Url(rsaPublic.Exponent!) }) },
            ["scopes"] = new JsonArray(),
        }))
        {
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        }

        var rs256 = await SendAsync(http, endpoint, Form("dave", Jws("RS256", sfi.Issuer, "dave", input => rsaKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))));
        Assert.True(rs256.Status == HttpStatusCode.OK, rs256.Body.ToJsonString());
        Assert.Equal(3, path.Issued);
        var declinedBefore = path.Declined;
        var ps256 = await SendAsync(http, endpoint, Form("dave", Jws("PS256", sfi.Issuer, "dave", input => rsaKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pss))));
        Assert.Equal((3, declinedBefore + 1), (path.Issued, path.Declined));
        Assert.Contains("alg PS256 does not fit registered key k1 (RS256)", path.LastDecline, StringComparison.Ordinal);
        Assert.True(ps256.Status == HttpStatusCode.OK, ps256.Body.ToJsonString());
        var shortRsa = await SendAsync(http, endpoint, Form("dave", Jws("RS256", sfi.Issuer, "dave", input => rsaKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)[1..])));
        Assert.Equal((3, declinedBefore + 2), (path.Issued, path.Declined));
        Assert.Contains("the signature is not by registered key k1", path.LastDecline, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, shortRsa.Status);
    }

    [Fact]
    public async Task An_assertion_member_of_another_JSON_type_is_declined_by_the_dedicated_path_and_left_to_OpenIddict()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "erin", key);
        var endpoint = sfi.Issuer + "oauth2/token";
        var path = sfi.Server.Services.GetRequiredService<ClientCredentialsEndpoint>();
        using var http = new HttpClient();
        string Signed(Action<JsonObject, JsonObject> edit) => Jws("ES256", sfi.Issuer, "erin", input => key.SignData(input, HashAlgorithmName.SHA256), edit);

        // The dedicated path reads each member as the one JSON type it may have; Microsoft.IdentityModel, which reads
        // them for OpenIddict's pipeline, converts some others (a fractional time, a time as a string). Whatever the
        // two could read differently is not decided here: the request goes on, and OpenIddict answers as it always has.
        var cases = new (string Misuse, Action<JsonObject, JsonObject> Edit)[]
        {
            ("exp fractional", (_, c) => c["exp"] = DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds() + 0.5),
            ("exp a string", (_, c) => c["exp"] = DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("exp beyond year 9999", (_, c) => c["exp"] = 253402300800L),
            ("iat negative", (_, c) => c["iat"] = -1),
            ("nbf an object", (_, c) => c["nbf"] = new JsonObject()),
            ("iss a number", (_, c) => c["iss"] = 7),
            ("sub null", (_, c) => c["sub"] = null),
            ("jti an array", (_, c) => c["jti"] = new JsonArray("a")),
            ("aud with a number", (_, c) => c["aud"] = new JsonArray(sfi.Issuer, 7)),
            ("aud an object", (_, c) => c["aud"] = new JsonObject { ["value"] = sfi.Issuer }),
            ("kid a number", (h, _) => h["kid"] = 1),
            ("typ a number", (h, _) => h["typ"] = 1),
        };
        foreach (var (misuse, edit) in cases)
        {
            var (issuedBefore, declinedBefore) = (path.Issued, path.Declined);
            var answer = await SendAsync(http, endpoint, Form("erin", Signed(edit)));
            Assert.True(path.Issued == issuedBefore && path.Declined == declinedBefore + 1, $"{misuse}: not declined by the dedicated path");
            Assert.True(path.LastDecline?.Contains("is not of its type", StringComparison.Ordinal) == true, $"{misuse}: declined because '{path.LastDecline}'");
            Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{misuse}: {answer.Status} {answer.Body.ToJsonString()}");
            Assert.True(answer.Status == HttpStatusCode.OK ? answer.Body["access_token"] is not null : answer.Body["error"] is not null, $"{misuse}: {answer.Body.ToJsonString()}");
            if (misuse.StartsWith("exp beyond", StringComparison.Ordinal) || misuse.StartsWith("exp a string", StringComparison.Ordinal) || misuse.StartsWith("nbf", StringComparison.Ordinal))
            {
                // Not a NumericDate this server can hold: refused by the pipeline, where OpenIddict's own reading of
                // an exp past 9999 threw (an HTTP 500).
                Assert.True(answer.Status == HttpStatusCode.Unauthorized && (string?)answer.Body["error"] == "invalid_client", $"{misuse}: {answer.Status} {answer.Body.ToJsonString()}");
            }
        }

        // A member named twice, with a name outside ASCII: refused (the JSON reader's message names the member, and an
        // error description outside RFC 6749's characters made Kestrel throw on the WWW-Authenticate header, a 500).
        var twice = Signed((_, c) => c["\u00e9t\u00e9"] = 1).Split('.');
        var claimsText = Encoding.UTF8.GetString(Convert.FromBase64String(twice[1].Replace('-', '+').Replace('_', '/') + new string('=', (4 - twice[1].Length % 4) % 4)));
        var duplicated = Base64Url(Encoding.UTF8.GetBytes(claimsText.TrimEnd('}') + ",\"\u00e9t\u00e9\":2}"));
        var unsigned = twice[0] + "." + duplicated;
        var named = await SendAsync(http, endpoint, Form("erin", unsigned + "." + Base64Url(key.SignData(Encoding.ASCII.GetBytes(unsigned), HashAlgorithmName.SHA256))));
        Assert.True(named.Status == HttpStatusCode.Unauthorized && (string?)named.Body["error"] == "invalid_client", $"a member named twice: {named.Status} {named.Body.ToJsonString()}");

        // The same assertion with every member of its type is issued by the dedicated path.
        var accepted = await SendAsync(http, endpoint, Form("erin", Signed((_, _) => { })));
        Assert.True(accepted.Status == HttpStatusCode.OK, accepted.Body.ToJsonString());
        Assert.Equal(1, path.Issued);
    }

    [Fact]
    public async Task A_token_from_the_dedicated_path_has_exactly_these_members_and_verifies_against_the_servers_jwks()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string Payments = "https://payments.example/api";
        await RegisterAsync(sfi, "members", key, scopes: ["orders.read", "orders.write"], audiences: [Payments, sfi.OwnAudience]);
        var endpoint = sfi.Issuer + "oauth2/token";
        var path = sfi.Server.Services.GetRequiredService<ClientCredentialsEndpoint>();
        using var http = new HttpClient();
        var jwks = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(await http.GetStringAsync(new Uri(sfi.Issuer + "v1/keyrings/tokens/jwks.json")));

        foreach (var (scope, resource, bound) in new[] { ("orders.write orders.read", (string?)null, true), (null, Payments, false) })
        {
            var what = $"scope {scope}, resource {resource}, bound {bound}";
            var before = path.Issued;
            (string, string)[] form = [.. Form("members", Assertion(sfi.Issuer, "members", key), scope), .. resource is null ? [] : new[] { ("resource", resource) }];
            var answer = await SendAsync(http, endpoint, form, bound ? [Proof(dpopKey, "POST", endpoint)] : []);
            Assert.True(answer.Status == HttpStatusCode.OK, $"{what}: {answer.Body.ToJsonString()}");
            Assert.Equal(before + 1, path.Issued);
            var token = (string)answer.Body["access_token"]!;
            var (header, claims) = Decode(token);

            static List<(string, System.Text.Json.JsonValueKind)> Shape(JsonObject json) => [.. json.Select(p => (p.Key, p.Value!.GetValueKind()))];
            var (_, active) = await sfi.Server.Services.GetRequiredService<SecureFuture.Keys.KeyRingService>().GetActiveAsync("tokens", default);
            Assert.Equal([("alg", System.Text.Json.JsonValueKind.String), ("kid", System.Text.Json.JsonValueKind.String), ("typ", System.Text.Json.JsonValueKind.String)], Shape(header));
            Assert.Equal((active.Algorithm.Name, active.Kid, "at+jwt"), ((string)header["alg"]!, (string)header["kid"]!, (string)header["typ"]!));

            List<(string, System.Text.Json.JsonValueKind)> expected =
            [
                ("iss", System.Text.Json.JsonValueKind.String),
                ("exp", System.Text.Json.JsonValueKind.Number),
                ("iat", System.Text.Json.JsonValueKind.Number),
                ("aud", resource is null ? System.Text.Json.JsonValueKind.Array : System.Text.Json.JsonValueKind.String),
                .. scope is null ? [] : new[] { ("scope", System.Text.Json.JsonValueKind.String) },
                ("jti", System.Text.Json.JsonValueKind.String),
                .. bound ? new[] { ("cnf", System.Text.Json.JsonValueKind.Object) } : [],
                ("sub", System.Text.Json.JsonValueKind.String),
                ("oi_prst", System.Text.Json.JsonValueKind.String),
                ("client_id", System.Text.Json.JsonValueKind.String),
            ];
            Assert.Equal(expected, Shape(claims));
            Assert.Equal(sfi.Issuer, (string?)claims["iss"]);
            Assert.Equal(600, (long)claims["exp"]! - (long)claims["iat"]!);
            Assert.InRange((long)claims["iat"]!, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            Assert.True(resource is null
                ? JsonNode.DeepEquals(new JsonArray(Payments, sfi.OwnAudience), claims["aud"])
                : (string?)claims["aud"] == Payments, $"{what}: aud {claims["aud"]?.ToJsonString()}");
            Assert.Equal(scope, (string?)claims["scope"]);
            Assert.True(Guid.TryParse((string?)claims["jti"], out _));
            if (bound)
            {
                // RFC 7638: the SHA-256 of the key's required members, in this order.
                var dpopJwk = PublicJwk(dpopKey, null);
                var thumbprint = SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{dpopJwk["x"]}\",\"y\":\"{dpopJwk["y"]}\"}}"));
                Assert.Equal(new JsonObject { ["jkt"] = Base64Url(thumbprint) }.ToJsonString(), claims["cnf"]!.ToJsonString());
            }

            Assert.All(new[] { "sub", "oi_prst", "client_id" }, name => Assert.Equal("members", (string?)claims[name]));

            // Verified by a verifier other than sfi's own, against the keys the server publishes.
            var verified = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(token, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
            {
                IssuerSigningKeys = jwks.GetSigningKeys(),
                ValidIssuer = sfi.Issuer,
                ValidAudiences = [Payments, sfi.OwnAudience],
                ValidTypes = ["at+jwt"],
                ValidAlgorithms = [active.Algorithm.Name],
            });
            Assert.True(verified.IsValid, $"{what}: {verified.Exception}");

            // One character of the claims changed: the published keys refuse it.
            var parts = token.Split('.');
            var altered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])).Replace("\"members\"", "\"memberz\"", StringComparison.Ordinal));
            var forged = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync($"{parts[0]}.{Base64Url(altered)}.{parts[2]}", new Microsoft.IdentityModel.Tokens.TokenValidationParameters
            {
                IssuerSigningKeys = jwks.GetSigningKeys(),
                ValidIssuer = sfi.Issuer,
                ValidAudiences = [Payments, sfi.OwnAudience],
                ValidTypes = ["at+jwt"],
            });
            Assert.False(forged.IsValid);
        }
    }

    [Fact]
    public async Task After_a_key_rotation_the_dedicated_path_signs_with_the_new_active_key()
    {
        await using var sfi = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "rotating", key, scopes: ["orders.read"], audiences: [sfi.OwnAudience]);
        var endpoint = sfi.Issuer + "oauth2/token";
        var path = sfi.Server.Services.GetRequiredService<ClientCredentialsEndpoint>();
        var keys = sfi.Server.Services.GetRequiredService<SecureFuture.Keys.KeyRingService>();
        var ring = sfi.Server.Services.GetRequiredService<TokenServiceOptions>().RingName;
        using var http = new HttpClient();

        async Task<string?> IssuedKidAsync()
        {
            var answer = await SendAsync(http, endpoint, Form("rotating", Assertion(sfi.Issuer, "rotating", key)), []);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            return (string?)Decode((string)answer.Body["access_token"]!).Header["kid"];
        }

        var (_, before) = await keys.GetActiveAsync(ring, default);
        Assert.Equal(before.Kid, await IssuedKidAsync());
        Assert.Equal(before.Kid, await IssuedKidAsync());
        var rotated = await keys.RotateAsync(ring, "test", "rotation during issuance", retireImmediately: false, default);
        Assert.NotEqual(before.Kid, rotated.Kid);
        Assert.Equal(rotated.Kid, await IssuedKidAsync());
        Assert.Equal(3, path.Issued);
    }

    [Fact]
    public async Task The_server_does_not_watch_its_data_directory_which_every_issued_token_writes_to()
    {
        // ASP.NET Core's default: a file watcher over the content root (the data directory), for reloading
        // appsettings.json, woken by every write to the database's WAL and the HSM's token files.
        static HashSet<string> WatchedInodes() =>
        [
            .. Directory.GetFiles("/proc/self/fdinfo")
                .Select(info => { try { return File.ReadAllLines(info); } catch (IOException) { return []; } })
                .SelectMany(lines => lines)
                .Where(line => line.StartsWith("inotify ", StringComparison.Ordinal))
                .Select(line => line.Split(' ').Single(field => field.StartsWith("ino:", StringComparison.Ordinal))[4..]),
        ];

        await using var sfi = await RunningServer.StartAsync(fixture.Custodian);
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", sfi.DataDirectory]) { RedirectStandardOutput = true })!;
        var inode = long.Parse(await stat.StandardOutput.ReadToEndAsync(), System.Globalization.CultureInfo.InvariantCulture).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        await stat.WaitForExitAsync();
        Assert.DoesNotContain(inode, WatchedInodes());
    }

    private static (string Name, string Value)[] Form(string clientId, string assertion, string? scope = null)
        => [("client_id", clientId), ("grant_type", "client_credentials"), ("client_assertion_type", AssertionType), ("client_assertion", assertion), .. scope is null ? [] : new[] { ("scope", scope) }];

    /// <summary>A well-formed assertion of the client, signed by its key, that expired a minute ago.</summary>
    private static string ExpiredAssertion(string issuer, string clientId, ECDsa key)
    {
        var now = DateTimeOffset.UtcNow;
        return Sign(new JsonObject { ["alg"] = "ES256", ["kid"] = "k1", ["typ"] = "client-authentication+jwt" }, new JsonObject
        {
            ["iss"] = clientId,
            ["sub"] = clientId,
            ["aud"] = issuer,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.AddMinutes(-3).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
        }, key);
    }

    /// <summary>
    /// A client assertion with header <c>alg</c> <paramref name="alg"/> and kid k1, typed and with the claims of a correct
    /// one, and the signature <paramref name="sign"/> makes over its signing input (whatever it is).
    /// </summary>
    private static string Jws(string alg, string issuer, string clientId, Func<byte[], byte[]> sign, Action<JsonObject, JsonObject>? edit = null)
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject { ["alg"] = alg, ["kid"] = "k1", ["typ"] = "client-authentication+jwt" };
        var claims = new JsonObject
        {
            ["iss"] = clientId,
            ["sub"] = clientId,
            ["aud"] = issuer,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(2).ToUnixTimeSeconds(),
        };
        edit?.Invoke(header, claims);
        var input = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + Base64Url(sign(Encoding.ASCII.GetBytes(input)));
    }

    private static async Task<Answer> SendAsync(HttpClient http, string endpoint, (string Name, string Value)[] form, params string[] proofs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Name, p.Value))) };
        foreach (var proof in proofs)
        {
            request.Headers.Add("DPoP", proof);
        }

        using var response = await http.SendAsync(request);
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date")
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        return new Answer(response.StatusCode, headers, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>A token request with two <c>DPoP</c> header fields, over a plain socket; the status and body of the answer.</summary>
    private static async Task<(int Status, string Body)> SendTwoDpopHeadersAsync(Uri server, (string Name, string Value)[] form, string first, string second)
    {
        var body = string.Join('&', form.Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value)));
        var request = $"POST /oauth2/token HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nDPoP: {first}\r\nDPoP: {second}\r\nContent-Length: {Encoding.ASCII.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    private static List<string> Names(JsonObject json) => [.. json.Select(p => p.Key)];

    private static (JsonObject Header, JsonObject Claims) Decode(string token)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        JsonObject Part(string part) => JsonNode.Parse(Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(part)))!.AsObject();
        return (Part(parts[0]), Part(parts[1]));
    }

    private async Task<IssuerServer> StartAsync()
    {
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        var running = await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) });
        return new IssuerServer(running, issuer);
    }

    private sealed record Answer(HttpStatusCode Status, List<string> Headers, JsonObject Body);
}
