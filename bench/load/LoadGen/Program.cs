using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

// Usage (the admin key comes from SFI_ADMIN_KEY):
//   LoadGen rings BASE_URL ISSUER PERIOD           creates the rings 'tokens' (scoped to ISSUER) and 'load', rotating every PERIOD
//   LoadGen client BASE_URL STATE_DIR              registers the client 'load' (private_key_jwt, EC P-256), saves its key
//   LoadGen run NODES ISSUER STATE_DIR SECONDS WORKERS OUT_DIR
//       NODES is a comma-separated list of base URLs. Drives the mix below against them, one node picked at random per
//       request, and verifies every issued token as a relying party would. Writes OUT_DIR/requests.csv
//       (unix_ms,kind,node,outcome,latency_ms) and OUT_DIR/summary.json.
// The mix: JWKS fetch, HSM signing through the key API, token issuance (client_credentials with a private_key_jwt
// assertion, half of them DPoP-bound), introspection of an issued token, a findings read.
var mode = args.Length > 0 ? args[0] : string.Empty;
return mode switch
{
    "rings" when args.Length == 4 => await Setup.RingsAsync(new Uri(args[1]), args[2], args[3]),
    "client" when args.Length == 3 => await Setup.ClientAsync(new Uri(args[1]), args[2]),
    "run" when args.Length == 7 => await RunAsync(new Load(
        args[1].Split(',').Select(u => u.TrimEnd('/')).ToArray(), args[2], args[3], double.Parse(args[4], CultureInfo.InvariantCulture),
        int.Parse(args[5], CultureInfo.InvariantCulture), args[6])),
    _ => Usage(),
};

static async Task<int> RunAsync(Load load)
{
    using (load)
    {
        return await load.RunAsync();
    }
}

static int Usage()
{
    Console.Error.WriteLine("usage: LoadGen rings BASE_URL ISSUER PERIOD | client BASE_URL STATE_DIR | run NODES ISSUER STATE_DIR SECONDS WORKERS OUT_DIR");
    return 2;
}

internal static class Setup
{
    public const string ClientId = "load";

    public static HttpClient Admin(Uri baseUrl)
    {
        var http = new HttpClient { BaseAddress = baseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("SFI_ADMIN_KEY"));
        return http;
    }

    public static async Task<int> RingsAsync(Uri baseUrl, string issuer, string period)
    {
        using var http = Admin(baseUrl);
        foreach (var ring in new[]
        {
            new JsonObject { ["name"] = "tokens", ["issuer"] = issuer, ["rotationPeriod"] = period },
            new JsonObject { ["name"] = "load", ["rotationPeriod"] = period },
        })
        {
            using var created = await http.PostAsJsonAsync(new Uri("/v1/keyrings", UriKind.Relative), ring);
            if (!created.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"LoadGen: creating ring {ring["name"]} failed ({(int)created.StatusCode}): {await created.Content.ReadAsStringAsync()}");
                return 1;
            }
        }

        Console.WriteLine("rings ok");
        return 0;
    }

    public static async Task<int> ClientAsync(Uri baseUrl, string state)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = Admin(baseUrl);
        var jwk = Jose.PublicJwk(key);
        jwk["kid"] = "k1";
        using var created = await http.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new JsonObject { ["clientId"] = ClientId, ["jwks"] = new JsonObject { ["keys"] = new JsonArray(jwk) } });
        if (!created.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"LoadGen: client registration failed ({(int)created.StatusCode}): {await created.Content.ReadAsStringAsync()}");
            return 1;
        }

        Directory.CreateDirectory(state);
        var path = Path.Combine(state, "client-key.pem");
        await File.WriteAllTextAsync(path, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Console.WriteLine("client ok");
        return 0;
    }
}

internal static class Jose
{
    public static string B64(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static byte[] Unb64(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    public static JsonObject PublicJwk(ECDsa key)
    {
        var p = key.ExportParameters(false);
        return new JsonObject { ["crv"] = "P-256", ["kty"] = "EC", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
    }

    /// <summary>RFC 7638 thumbprint of an EC public key (members in lexicographic order, no whitespace).</summary>
    public static string Thumbprint(ECDsa key)
    {
        var p = key.ExportParameters(false);
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{B64(p.Q.X!)}\",\"y\":\"{B64(p.Q.Y!)}\"}}";
        return B64(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public static string Sign(ECDsa key, JsonObject header, JsonObject claims)
    {
        var input = B64(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(claims));
        return input + "." + B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    /// <summary>RFC 7523 client assertion with the issuer as its only audience.</summary>
    public static string Assertion(ECDsa key, string issuer)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Sign(key, new JsonObject { ["alg"] = "ES256", ["kid"] = "k1", ["typ"] = "client-authentication+jwt" }, new JsonObject
        {
            ["iss"] = Setup.ClientId,
            ["sub"] = Setup.ClientId,
            ["aud"] = issuer,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 60,
        });
    }

    /// <summary>RFC 9449 DPoP proof for one request.</summary>
    public static string DpopProof(ECDsa key, string method, string url) => Sign(
        key,
        new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = PublicJwk(key) },
        new JsonObject { ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url, ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() });
}

/// <summary>
/// A relying party: verifies ES256 access tokens against the token ring's JWKS, fetched from any node and refetched
/// (from the nodes in turn) when a token names a kid it does not know, as a JWKS-following resource server does.
/// </summary>
internal sealed class RelyingParty(HttpClient http, string[] nodes, string issuer, string dpopThumbprint) : IDisposable
{
    private readonly ConcurrentDictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refresh = new(1, 1);

    public int Refreshes { get; private set; }

    public void Dispose()
    {
        _refresh.Dispose();
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }

    /// <summary>null when the token verifies; else why not. Throws <see cref="JwksUnavailableException"/> when no node serves the JWKS.</summary>
    public async Task<string?> VerifyAsync(string token, bool dpop, bool checkExpiry)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return "not a compact JWS";
        }

        using var header = JsonDocument.Parse(Jose.Unb64(parts[0]));
        using var claims = JsonDocument.Parse(Jose.Unb64(parts[1]));
        if (header.RootElement.GetProperty("alg").GetString() != "ES256")
        {
            return "alg is not ES256";
        }

        var kid = header.RootElement.GetProperty("kid").GetString() ?? string.Empty;
        if (!_keys.TryGetValue(kid, out var key))
        {
            await RefreshAsync(kid);
            if (!_keys.TryGetValue(kid, out key))
            {
                return $"kid {kid} is in no node's JWKS";
            }
        }

        if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Jose.Unb64(parts[2]), HashAlgorithmName.SHA256))
        {
            return $"signature does not verify with {kid}";
        }

        var c = claims.RootElement;
        if (c.GetProperty("iss").GetString() != issuer)
        {
            return "wrong iss";
        }

        if (checkExpiry && c.GetProperty("exp").GetInt64() < DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5)
        {
            return "expired on arrival";
        }

        var jkt = c.TryGetProperty("cnf", out var cnf) && cnf.TryGetProperty("jkt", out var j) ? j.GetString() : null;
        if (dpop ? jkt != dpopThumbprint : jkt is not null)
        {
            return dpop ? "DPoP-bound token without our cnf.jkt" : "unbound token carries cnf.jkt";
        }

        return null;
    }

    private async Task RefreshAsync(string wanted)
    {
        await _refresh.WaitAsync();
        try
        {
            if (_keys.ContainsKey(wanted))
            {
                return;
            }

            var start = Random.Shared.Next(nodes.Length);
            for (var i = 0; i < nodes.Length; i++)
            {
                var node = nodes[(start + i) % nodes.Length];
                try
                {
                    var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(node + "/v1/keyrings/tokens/jwks.json")))!;
                    Refreshes++;
                    foreach (var k in jwks["keys"]!.AsArray())
                    {
                        var kid = (string)k!["kid"]!;
                        _keys.GetOrAdd(kid, _ => ECDsa.Create(new ECParameters
                        {
                            Curve = ECCurve.NamedCurves.nistP256,
                            Q = new ECPoint { X = Jose.Unb64((string)k["x"]!), Y = Jose.Unb64((string)k["y"]!) },
                        }));
                    }

                    if (_keys.ContainsKey(wanted))
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // this node is down; ask the next one
                }
            }

            if (Refreshes == 0)
            {
                throw new JwksUnavailableException();
            }
        }
        finally
        {
            _refresh.Release();
        }
    }
}

internal sealed class JwksUnavailableException : Exception
{
}

internal sealed class Load(string[] nodes, string issuer, string state, double seconds, int workers, string outDir) : IDisposable
{
    private static readonly (string Kind, int Weight)[] Mix =
    [
        ("jwks", 20), ("sign", 20), ("token", 15), ("token-dpop", 15), ("introspect", 15), ("findings", 15),
    ];

    private readonly ConcurrentQueue<string> _records = new();
    private readonly ConcurrentDictionary<string, int> _tokenKids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _signKids = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentDictionary<string, int> _refusals = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Token, bool Dpop)> _deferred = new();
    private readonly ConcurrentQueue<string> _recentTokens = new();
    private long _issued;
    private long _verified;
    private long _failed;

    private ECDsa _clientKey = null!;
    private ECDsa _dpopKey = null!;
    private HttpClient _http = null!;
    private RelyingParty _rp = null!;
    private string _adminKey = string.Empty;

    public void Dispose()
    {
        _http?.Dispose();
        _rp?.Dispose();
        _clientKey?.Dispose();
        _dpopKey?.Dispose();
    }

    public async Task<int> RunAsync()
    {
        _adminKey = Environment.GetEnvironmentVariable("SFI_ADMIN_KEY") ?? throw new InvalidOperationException("SFI_ADMIN_KEY is not set");
        _clientKey = ECDsa.Create();
        _clientKey.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(state, "client-key.pem")));
        _dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = workers, PooledConnectionLifetime = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(5) };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
        using var rpHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        _rp = new RelyingParty(rpHttp, nodes, issuer, Jose.Thumbprint(_dpopKey));

        var total = Mix.Sum(m => m.Weight);
        var deadline = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (deadline.Elapsed.TotalSeconds < seconds)
            {
                var pick = Random.Shared.Next(total);
                var kind = Mix.First(m => (pick -= m.Weight) < 0).Kind;
                await OneAsync(kind, nodes[Random.Shared.Next(nodes.Length)]);
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        // Tokens issued while no node served the JWKS are verified now that the run is over (signature, kid, iss, cnf).
        while (_deferred.TryDequeue(out var d))
        {
            await VerifyAsync(d.Token, d.Dpop, checkExpiry: false, deferAllowed: false);
        }

        Directory.CreateDirectory(outDir);
        await File.WriteAllLinesAsync(Path.Combine(outDir, "requests.csv"), ["unix_ms,kind,node,outcome,latency_ms", .. _records]);
        var summary = new JsonObject
        {
            ["tokensIssued"] = _issued,
            ["tokensVerified"] = _verified,
            ["tokensFailingVerification"] = _failed,
            ["verificationFailures"] = new JsonArray(_failures.Take(50).Select(f => (JsonNode)f).ToArray()),
            ["errorAnswers"] = new JsonObject(_refusals.OrderByDescending(r => r.Value).Take(40).Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value))),
            ["tokenKids"] = new JsonArray(_tokenKids.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)k).ToArray()),
            ["signKids"] = new JsonArray(_signKids.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)k).ToArray()),
            ["jwksRefreshes"] = _rp.Refreshes,
        };
        await File.WriteAllTextAsync(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine(FormattableString.Invariant($"run requests={_records.Count} tokens={_issued} verified={_verified} failing={_failed} token_kids={_tokenKids.Count} sign_kids={_signKids.Count}"));
        return 0;
    }

    private async Task OneAsync(string kind, string node)
    {
        using var request = Build(kind, node, out var dpop);
        if (request is null)
        {
            return; // introspection before any token was issued
        }

        var clock = Stopwatch.StartNew();
        string outcome;
        string? body = null;
        try
        {
            using var response = await _http.SendAsync(request);
            body = await response.Content.ReadAsStringAsync();
            outcome = response.IsSuccessStatusCode ? "ok" : "http-" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            outcome = "refused";
        }
        catch (TaskCanceledException)
        {
            outcome = "timeout";
        }
        catch (HttpRequestException e)
        {
            outcome = "io-" + (e.HttpRequestError.ToString());
        }

        var latency = clock.Elapsed.TotalMilliseconds;
        var port = new Uri(node).Port;
        _records.Enqueue(FormattableString.Invariant($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()},{kind},{port},{outcome},{latency:0.0}"));
        if (outcome != "ok" || body is null)
        {
            if (outcome.StartsWith("http-", StringComparison.Ordinal))
            {
                var text = System.Text.RegularExpressions.Regex.Replace((body ?? string.Empty).ReplaceLineEndings(" "), "\"traceId\":\"[^\"]*\"", "\"traceId\":…"); // group identical answers
                _refusals.AddOrUpdate($"{kind} {outcome}: {text[..Math.Min(text.Length, 240)]}", 1, (_, n) => n + 1);
            }

            return;
        }

        using var json = JsonDocument.Parse(body);
        switch (kind)
        {
            case "sign":
                _signKids.TryAdd(json.RootElement.GetProperty("kid").GetString()!, 0);
                break;
            case "token" or "token-dpop":
                var token = json.RootElement.GetProperty("access_token").GetString()!;
                Interlocked.Increment(ref _issued);
                _recentTokens.Enqueue(token);
                while (_recentTokens.Count > 64 && _recentTokens.TryDequeue(out _))
                {
                }

                await VerifyAsync(token, dpop, checkExpiry: true, deferAllowed: true);
                break;
            case "introspect" when !json.RootElement.GetProperty("active").GetBoolean():
                _records.Enqueue(FormattableString.Invariant($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()},introspect-inactive,{port},note,0"));
                break;
        }
    }

    private async Task VerifyAsync(string token, bool dpop, bool checkExpiry, bool deferAllowed)
    {
        string? failure;
        try
        {
            failure = await _rp.VerifyAsync(token, dpop, checkExpiry);
        }
        catch (JwksUnavailableException) when (deferAllowed)
        {
            _deferred.Enqueue((token, dpop));
            return;
        }
        catch (JwksUnavailableException)
        {
            failure = "no node served the JWKS";
        }

        var kid = token.Split('.')[0] is var h ? JsonDocument.Parse(Jose.Unb64(h)).RootElement.GetProperty("kid").GetString()! : string.Empty;
        _tokenKids.TryAdd(kid, 0);
        if (failure is null)
        {
            Interlocked.Increment(ref _verified);
        }
        else
        {
            Interlocked.Increment(ref _failed);
            _failures.Enqueue(FormattableString.Invariant($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} token verification: {failure}"));
            _records.Enqueue(FormattableString.Invariant($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()},verify,rp,fail,0"));
        }
    }

    private HttpRequestMessage? Build(string kind, string node, out bool dpop)
    {
        dpop = false;
        switch (kind)
        {
            case "jwks":
                return new HttpRequestMessage(HttpMethod.Get, node + "/v1/keyrings/tokens/jwks.json");
            case "sign":
                var sign = new HttpRequestMessage(HttpMethod.Post, node + "/v1/keyrings/load/sign")
                {
                    Content = JsonContent.Create(new JsonObject { ["digest"] = Jose.B64(SHA256.HashData(Guid.NewGuid().ToByteArray())) }),
                };
                sign.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminKey);
                return sign;
            case "findings":
                var findings = new HttpRequestMessage(HttpMethod.Get, node + "/v1/findings?limit=20");
                findings.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminKey);
                return findings;
            case "token" or "token-dpop":
                dpop = kind == "token-dpop";
                var form = new HttpRequestMessage(HttpMethod.Post, node + "/oauth2/token") { Content = ClientForm(("grant_type", "client_credentials")) };
                if (dpop)
                {
                    // htu is the token endpoint as the client knows it (the issuer's, as behind a load balancer), not the node's
                    form.Headers.Add("DPoP", Jose.DpopProof(_dpopKey, "POST", issuer + "oauth2/token"));
                }

                return form;
            case "introspect":
                var recent = _recentTokens.ToArray();
                if (recent.Length == 0)
                {
                    return null;
                }

                return new HttpRequestMessage(HttpMethod.Post, node + "/oauth2/introspect") { Content = ClientForm(("token", recent[Random.Shared.Next(recent.Length)])) };
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private FormUrlEncodedContent ClientForm(params (string Name, string Value)[] fields) => new(fields
        .Select(f => new KeyValuePair<string, string>(f.Name, f.Value))
        .Concat(
        [
            new("client_id", Setup.ClientId),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", Jose.Assertion(_clientKey, issuer)),
        ]));
}
