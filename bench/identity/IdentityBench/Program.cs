using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Identity.Validation;

// Usage:
//   IdentityBench setup BASE_URL ISSUER STATE_DIR           registers a bench client (admin key in SFI_ADMIN_KEY), saves its key
//   IdentityBench issue ISSUER STATE_DIR SECONDS CONNECTIONS [dpop] [server-pid=PID]
//                                                          client_credentials + private_key_jwt token requests per second;
//                                                          dpop: each with its own DPoP proof (DPoP-bound tokens);
//                                                          server-pid: also the server process's CPU time per token
//   IdentityBench validate ISSUER STATE_DIR SECONDS THREADS    raw ECDSA verify, sfi StrictTokenValidator, Microsoft.IdentityModel
//   IdentityBench floor ISSUER STATE_DIR SECONDS               CPU time of one client-assertion and one DPoP proof ES256
//                                                          verification, one thread (the verifications in the crypto floor)
// Prints key=value lines that bench/identity-tokens.sh collects.
var mode = args.Length > 0 ? args[0] : string.Empty;
return mode switch
{
    "setup" when args.Length == 4 => await SetupAsync(new Uri(args[1]), args[2], args[3]),
    "issue" when args.Length is >= 5 and <= 7 => await IssueAsync(args[1], args[2], Seconds(args[3]), int.Parse(args[4], CultureInfo.InvariantCulture), args[5..]),
    "floor" when args.Length == 4 => await FloorAsync(args[1], args[2], Seconds(args[3])),
    "validate" when args.Length == 5 => await ValidateAsync(args[1], args[2], Seconds(args[3]), int.Parse(args[4], CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: IdentityBench setup BASE_URL ISSUER STATE_DIR | issue ISSUER STATE_DIR SECONDS CONNECTIONS [dpop] [server-pid=PID] | validate ISSUER STATE_DIR SECONDS THREADS | floor ISSUER STATE_DIR SECONDS");
    return 2;
}

static double Seconds(string text) => double.Parse(text, CultureInfo.InvariantCulture);

static async Task<int> SetupAsync(Uri baseUrl, string issuer, string state)
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var p = key.ExportParameters(false);
    using var http = new HttpClient { BaseAddress = baseUrl };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("SFI_ADMIN_KEY"));
    var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["kid"] = "k1", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
    using var created = await http.PostAsJsonAsync(new Uri("/v1/clients", UriKind.Relative), new JsonObject { ["clientId"] = "bench", ["jwks"] = new JsonObject { ["keys"] = new JsonArray(jwk) } });
    if (!created.IsSuccessStatusCode)
    {
        Console.Error.WriteLine("IdentityBench: client registration failed: " + await created.Content.ReadAsStringAsync());
        return 1;
    }

    Directory.CreateDirectory(state);
    await File.WriteAllTextAsync(Path.Combine(state, "client-key.pem"), key.ExportPkcs8PrivateKeyPem());
    // One token for the validation benchmark, and the token ring's JWKS it verifies against.
    var token = await RequestAsync(http, issuer, Assertion(issuer, key), null);
    await File.WriteAllTextAsync(Path.Combine(state, "token.jwt"), token ?? throw new InvalidOperationException("no token"));
    await File.WriteAllTextAsync(Path.Combine(state, "jwks.json"), await http.GetStringAsync(new Uri("/v1/keyrings/tokens/jwks.json", UriKind.Relative)));
    Console.WriteLine("setup ok");
    return 0;
}

static async Task<int> IssueAsync(string issuer, string state, double seconds, int connections, string[] options)
{
    var dpop = options.Contains("dpop");
    var serverPid = options.FirstOrDefault(o => o.StartsWith("server-pid=", StringComparison.Ordinal)) is { } pid ? int.Parse(pid["server-pid=".Length..], CultureInfo.InvariantCulture) : (int?)null;
    if (options.Any(o => o != "dpop" && !o.StartsWith("server-pid=", StringComparison.Ordinal)))
    {
        return Usage();
    }

    using var key = ECDsa.Create();
    key.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(state, "client-key.pem")));
    using var proofKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
    using var http = new HttpClient(handler);
    // Assertions and proofs are single-use (the server remembers their jti), so each request needs its own; they are
    // made before the clock starts so that the client's signing does not count against the server. A proof is
    // accepted for 60 s after its iat, so they are made fresh for each measurement.
    (string Assertion, string? Proof) Credentials() => (Assertion(issuer, key), dpop ? Proof(issuer, proofKey) : null);
    var warmup = Enumerable.Range(0, 500).Select(_ => Credentials()).ToArray();
    await Parallel.ForEachAsync(warmup, new ParallelOptions { MaxDegreeOfParallelism = connections }, async (c, ct) => await RequestAsync(http, issuer, c.Assertion, c.Proof));
    var budget = (int)Math.Min(400_000, Math.Max(20_000, seconds * (dpop ? 5_000 : 8_000)));
    var credentials = new (string Assertion, string? Proof)[budget];
    Parallel.For(0, budget, i => credentials[i] = Credentials());
    // The server's background work (key scheduler, security-event passes, audit batches) goes on whether tokens are
    // issued or not: measured here over two idle seconds, and reported beside the gross figure.
    var idlePerSecond = TimeSpan.Zero;
    if (serverPid is { } idlePid)
    {
        var idleStart = ProcessCpu(idlePid);
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2));
        idlePerSecond = (ProcessCpu(idlePid) - idleStart) / idleClock.Elapsed.TotalSeconds;
    }

    var next = -1;
    long ok = 0, failed = 0;
    var cpuBefore = serverPid is { } p0 ? ProcessCpu(p0) : TimeSpan.Zero;
    var stopwatch = Stopwatch.StartNew();
    var deadline = TimeSpan.FromSeconds(seconds);
    // Each request's latency as the client sees it (sent to answered), kept per worker: the load generator shares the
    // CPUs with the server, so these are comparable between builds measured alike, not absolute.
    var latencies = Enumerable.Range(0, connections).Select(_ => new List<long>(budget / connections + 1)).ToArray();
    var workers = Enumerable.Range(0, connections).Select(async w =>
    {
        while (stopwatch.Elapsed < deadline)
        {
            var i = Interlocked.Increment(ref next);
            if (i >= credentials.Length)
            {
                return;
            }

            var sent = Stopwatch.GetTimestamp();
            if (await RequestAsync(http, issuer, credentials[i].Assertion, credentials[i].Proof) is null)
            {
                Interlocked.Increment(ref failed);
            }
            else
            {
                Interlocked.Increment(ref ok);
                latencies[w].Add(Stopwatch.GetTimestamp() - sent);
            }
        }
    }).ToArray();
    await Task.WhenAll(workers);
    var elapsed = stopwatch.Elapsed.TotalSeconds;
    var answered = latencies.SelectMany(l => l).Order().ToArray();
    double Percentile(double p) => answered.Length == 0 ? double.NaN : answered[Math.Min(answered.Length - 1, (int)(p * answered.Length))] * 1000.0 / Stopwatch.Frequency;
    var used = serverPid is { } p1 ? ProcessCpu(p1) - cpuBefore : TimeSpan.Zero;
    var cpu = serverPid is null ? string.Empty : FormattableString.Invariant(
        $" server_cpu_s={used.TotalSeconds:0.000} server_cpu_us_per_token={used.TotalMicroseconds / Math.Max(1, ok):0.0} server_idle_cpu_us_per_s={idlePerSecond.TotalMicroseconds:0} server_net_cpu_us_per_token={Math.Max(0, (used - idlePerSecond * elapsed).TotalMicroseconds) / Math.Max(1, ok):0.0}");
    Console.WriteLine(FormattableString.Invariant($"issue conns={connections} dpop={(dpop ? 1 : 0)} tokens={ok} failed={failed} seconds={elapsed:0.00} rate={ok / elapsed:0.0} latency_p50_ms={Percentile(0.50):0.00} latency_p99_ms={Percentile(0.99):0.00}{cpu}{(next >= credentials.Length ? " (ran out of assertions)" : string.Empty)}"));
    return failed == 0 ? 0 : 1;
}

// The CPU time (user + system) a process has used so far, from /proc/PID/stat (proc(5): utime and stime, fields 14
// and 15, in clock ticks of 1/100 s on Linux): every thread of the server, the HSM module's work included.
static TimeSpan ProcessCpu(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // the command name may hold spaces; fields start at 3
    var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    return TimeSpan.FromSeconds(ticks / 100.0);
}

// The verifications in the floor, timed in this process on one thread: an ES256 client assertion and an ES256 DPoP
// proof, each verified with its already-imported public key (nothing but the signature check), by OpenSSL's ECDSA
// directly with the signature already in DER (the cheapest verification .NET has: ECDsa.Create's wrapper and the
// JWS form of the signature add copies and a conversion per call). Reports CPU time per verification from the
// process's own CPU clock over the whole loop.
static async Task<int> FloorAsync(string issuer, string state, double seconds)
{
    if (!OperatingSystem.IsLinux())
    {
        throw new PlatformNotSupportedException("floor: OpenSSL's ECDSA (ECDsaOpenSsl) is what the server verifies with on Linux");
    }

    using var key = ECDsa.Create();
    key.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(state, "client-key.pem")));
    using var proofKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    double PerVerification(string jws, ECDsa verifier)
    {
        var dot = jws.LastIndexOf('.');
        var input = Encoding.ASCII.GetBytes(jws[..dot]);
        var signature = ToDer(Base64UrlDecode(jws[(dot + 1)..]));
        for (var i = 0; i < 2000; i++)
        {
            _ = verifier.VerifyData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence); // warm-up
        }

        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        long n = 0;
        while (stopwatch.Elapsed.TotalSeconds < seconds)
        {
            if (!verifier.VerifyData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                throw new InvalidOperationException("floor: the signature does not verify");
            }

            n++;
        }

        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMicroseconds / n;
    }

    static byte[] ToDer(byte[] p1363)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            var half = p1363.Length / 2;
            writer.WriteInteger(new System.Numerics.BigInteger(p1363.AsSpan(0, half), isUnsigned: true, isBigEndian: true));
            writer.WriteInteger(new System.Numerics.BigInteger(p1363.AsSpan(half), isUnsigned: true, isBigEndian: true));
        }

        return writer.Encode();
    }

    using var assertionVerifier = new ECDsaOpenSsl();
    assertionVerifier.ImportParameters(key.ExportParameters(false));
    using var proofVerifier = new ECDsaOpenSsl();
    proofVerifier.ImportParameters(proofKey.ExportParameters(false));
    var assertion = PerVerification(Assertion(issuer, key), assertionVerifier);
    var proof = PerVerification(Proof(issuer, proofKey), proofVerifier);
    Console.WriteLine(FormattableString.Invariant($"floor assertion_verify_us={assertion:0.0} proof_verify_us={proof:0.0}"));
    return 0;
}

static async Task<int> ValidateAsync(string issuer, string state, double seconds, int threads)
{
    var token = (await File.ReadAllTextAsync(Path.Combine(state, "token.jwt"))).Trim();
    var jwksText = await File.ReadAllTextAsync(Path.Combine(state, "jwks.json"));
    var jwt = new JsonWebToken(token);
    var audience = jwt.Audiences.First();

    // Raw: ECDSA P-256 verification of the same signing input and signature, with the key from the same JWKS.
    var parts = token.Split('.');
    var input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
    var signature = Base64UrlDecode(parts[2]);
    var jwk = JsonNode.Parse(jwksText)!["keys"]!.AsArray().First(k => (string)k!["kid"]! == jwt.Kid)!;
    using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = Base64UrlDecode((string)jwk["x"]!), Y = Base64UrlDecode((string)jwk["y"]!) } });

    // sfi: the JWKS comes from an in-process handler (fetched once; the cache holds it for the whole run).
    using var local = new HttpClient(new StaticJwks(jwksText));
    using var strict = new StrictTokenValidator([new TrustedIssuer(issuer, new Uri(issuer + "v1/keyrings/tokens/jwks.json"), [audience])], local);
    if (!(await strict.ValidateAsync(token, default)).IsValid)
    {
        Console.Error.WriteLine("IdentityBench: the token does not validate");
        return 1;
    }

    // Microsoft.IdentityModel: JsonWebTokenHandler with the same keys, issuer and audience.
    var handler = new JsonWebTokenHandler();
    var parameters = new TokenValidationParameters
    {
        ValidIssuer = issuer,
        ValidAudience = audience,
        IssuerSigningKeys = new JsonWebKeySet(jwksText).GetSigningKeys(),
        ValidAlgorithms = ["ES256"],
    };
    if (!(await handler.ValidateTokenAsync(token, parameters)).IsValid)
    {
        Console.Error.WriteLine("IdentityBench: Microsoft.IdentityModel does not validate the token");
        return 1;
    }

    var raw = await MeasureAsync(seconds, threads, () => { if (!ec.VerifyData(input, signature, HashAlgorithmName.SHA256)) { throw new InvalidOperationException("raw verify failed"); } return Task.CompletedTask; });
    var library = await MeasureAsync(seconds, threads, async () => { if (!(await strict.ValidateAsync(token, default)).IsValid) { throw new InvalidOperationException("sfi refused"); } });
    var identityModel = await MeasureAsync(seconds, threads, async () => { if (!(await handler.ValidateTokenAsync(token, parameters)).IsValid) { throw new InvalidOperationException("IdentityModel refused"); } });
    Console.WriteLine(FormattableString.Invariant($"validate threads={threads} raw={raw:0.0} library={library:0.0} identitymodel={identityModel:0.0}"));
    return 0;
}

static async Task<double> MeasureAsync(double seconds, int threads, Func<Task> work)
{
    for (var i = 0; i < 3000; i++)
    {
        await work(); // warm-up: JIT tiering, caches
    }

    var counts = new long[threads];
    var stopwatch = Stopwatch.StartNew();
    var deadline = TimeSpan.FromSeconds(seconds);
    var tasks = Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
    {
        long n = 0;
        while (stopwatch.Elapsed < deadline)
        {
            await work();
            n++;
        }

        counts[t] = n;
    })).ToArray();
    await Task.WhenAll(tasks);
    return counts.Sum() / stopwatch.Elapsed.TotalSeconds;
}

static async Task<string?> RequestAsync(HttpClient http, string issuer, string assertion, string? proof)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(issuer + "oauth2/token"))
    {
        Content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "bench",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        }),
    };
    if (proof is not null)
    {
        request.Headers.Add("DPoP", proof);
    }

    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode)
    {
        return null;
    }

    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    // A proof must get a DPoP-bound token (RFC 9449 §5), or the bench would be timing something else.
    return proof is not null && body.RootElement.GetProperty("token_type").GetString() != "DPoP" ? null : body.RootElement.GetProperty("access_token").GetString();
}

// An RFC 9449 proof for the token request: a fresh jti, iat now, the public key in the header.
static string Proof(string issuer, ECDsa key)
{
    var p = key.ExportParameters(false);
    var header = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) },
    }));
    var claims = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = "POST", ["htu"] = issuer + "oauth2/token", ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
    }));
    var input = header + "." + claims;
    return input + "." + B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
}

static string Assertion(string issuer, ECDsa key)
{
    var header = B64(Encoding.UTF8.GetBytes("{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"client-authentication+jwt\"}"));
    var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    var claims = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["iss"] = "bench", ["sub"] = "bench", ["aud"] = issuer, ["jti"] = Guid.NewGuid().ToString("N"), ["iat"] = now, ["nbf"] = now, ["exp"] = now + 540,
    }));
    var input = header + "." + claims;
    return input + "." + B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
}

static string B64(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

static byte[] Base64UrlDecode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

/// <summary>Serves one JWKS document to the validator, as an issuer's endpoint would.</summary>
internal sealed class StaticJwks(string json) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        response.Headers.CacheControl = new CacheControlHeaderValue { MaxAge = TimeSpan.FromHours(1) };
        return Task.FromResult(response);
    }
}
