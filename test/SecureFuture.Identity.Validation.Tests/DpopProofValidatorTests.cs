using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace SecureFuture.Identity.Validation.Tests;

public sealed class DpopProofValidatorTests : IDisposable
{
    private static readonly Uri Resource = new("https://api.example.test/orders");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task A_fresh_proof_for_this_request_is_accepted_once()
    {
        var validator = new DpopProofValidator(clock: _clock);
        var proof = Proof();
        var outcome = await validator.ValidateAsync(proof, "GET", new Uri(Resource + "?page=2"));
        Assert.True(outcome.IsValid, outcome.Error);
        Assert.Equal(DpopProofValidator.Thumbprint(System.Text.Json.JsonSerializer.SerializeToElement(Jwk())), outcome.Proof!.JwkThumbprint);
        Assert.Equal("the DPoP proof was already used (replay)", (await validator.ValidateAsync(proof, "GET", Resource)).Error);
    }

    [Fact]
    public async Task Wrong_method_uri_age_type_algorithm_or_key_are_refused()
    {
        var validator = new DpopProofValidator(clock: _clock);
        Assert.Equal("the DPoP proof's htm does not match the request method", (await validator.ValidateAsync(Proof(), "POST", Resource)).Error);
        Assert.Equal("the DPoP proof's htu does not match the request URI", (await validator.ValidateAsync(Proof(htu: "https://evil.example.test/orders"), "GET", Resource)).Error);
        Assert.Equal("the DPoP proof's iat is outside the accepted window", (await validator.ValidateAsync(Proof(iat: _clock.GetUtcNow().AddSeconds(-61)), "GET", Resource)).Error);
        Assert.Equal("the DPoP proof's iat is outside the accepted window", (await validator.ValidateAsync(Proof(iat: _clock.GetUtcNow().AddSeconds(30)), "GET", Resource)).Error);
        Assert.Equal("the DPoP proof's typ must be dpop+jwt", (await validator.ValidateAsync(Proof(typ: "JWT"), "GET", Resource)).Error);
        Assert.Equal("DPoP proof algorithm 'HS256' is not accepted", (await validator.ValidateAsync(Proof(alg: "HS256"), "GET", Resource)).Error);

        var withPrivate = Jwk();
        withPrivate["d"] = B64(_key.ExportParameters(true).D!);
        Assert.StartsWith("the DPoP proof's jwk is not usable", (await validator.ValidateAsync(Proof(jwk: withPrivate), "GET", Resource)).Error, StringComparison.Ordinal);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal("the DPoP proof's signature does not verify", (await validator.ValidateAsync(Proof(signer: other), "GET", Resource)).Error);
    }

    [Fact]
    public async Task A_proof_key_seen_before_is_held_to_every_check_a_new_one_is()
    {
        // The validator reads each proof key once and keeps it; a later proof naming the same key must still be signed
        // by it, with the algorithm it fits, and must not borrow its thumbprint.
        var validator = new DpopProofValidator(clock: _clock);
        Assert.True((await validator.ValidateAsync(Proof(), "GET", Resource)).IsValid);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal("the DPoP proof's signature does not verify", (await validator.ValidateAsync(Proof(signer: other), "GET", Resource)).Error);
        Assert.StartsWith("the DPoP proof's jwk is not usable", (await validator.ValidateAsync(Proof(alg: "ES384"), "GET", Resource)).Error, StringComparison.Ordinal);

        var p = other.ExportParameters(false);
        var otherJwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
        var second = await validator.ValidateAsync(Proof(jwk: otherJwk, signer: other), "GET", Resource);
        Assert.True(second.IsValid, second.Error);
        Assert.Equal(DpopProofValidator.Thumbprint(System.Text.Json.JsonSerializer.SerializeToElement(otherJwk)), second.Proof!.JwkThumbprint);
        Assert.Equal(DpopProofValidator.Thumbprint(System.Text.Json.JsonSerializer.SerializeToElement(Jwk())), (await validator.ValidateAsync(Proof(), "GET", Resource)).Proof!.JwkThumbprint);
    }

    [Fact]
    public async Task A_correctly_signed_proof_with_a_member_named_twice_is_refused()
    {
        var validator = new DpopProofValidator(clock: _clock);
        var iat = _clock.GetUtcNow().ToUnixTimeSeconds();
        var header = """{"typ":"dpop+jwt","alg":"ES256","jwk":""" + Jwk().ToJsonString() + "}";
        var claims = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"GET","htu":"https://evil.example.test/orders","htu":"{{Resource}}","iat":{{iat}}}""";
        var outcome = await validator.ValidateAsync(Signed(header, claims), "GET", Resource);
        Assert.False(outcome.IsValid);
        Assert.Contains("Duplicate", outcome.Error, StringComparison.OrdinalIgnoreCase);

        // Twice inside the embedded key: which x is the key that the thumbprint (cnf.jkt) names?
        var p = _key.ExportParameters(false);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var twoX = $$$"""{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"{{{B64(other.ExportParameters(false).Q.X!)}}}","x":"{{{B64(p.Q.X!)}}}","y":"{{{B64(p.Q.Y!)}}}"}}""";
        var once = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"GET","htu":"{{Resource}}","iat":{{iat}}}""";
        Assert.False((await validator.ValidateAsync(Signed(twoX, once), "GET", Resource)).IsValid);

        // Without duplicates the same proof passes.
        Assert.True((await validator.ValidateAsync(Signed(header, once), "GET", Resource)).IsValid);
    }

    [Fact]
    public async Task At_a_resource_the_proof_must_hash_the_presented_token()
    {
        var validator = new DpopProofValidator(clock: _clock);
        Assert.Equal("the DPoP proof's ath does not match the access token", (await validator.ValidateAsync(Proof(ath: "token-a"), "GET", Resource, accessToken: "token-b")).Error);
        Assert.True((await validator.ValidateAsync(Proof(ath: "token-b"), "GET", Resource, accessToken: "token-b")).IsValid);
    }

    [Fact]
    public async Task Only_a_proof_that_passed_every_check_is_remembered_and_a_replay_is_flagged()
    {
        var validator = new DpopProofValidator(clock: _clock);
        var proof = Proof();
        var wrongMethod = await validator.ValidateAsync(proof, "POST", Resource);
        Assert.False(wrongMethod.IsValid);
        Assert.False(wrongMethod.IsReplay);
        Assert.True((await validator.ValidateAsync(proof, "GET", Resource)).IsValid); // the refused attempt did not use it up
        var replay = await validator.ValidateAsync(proof, "GET", Resource);
        Assert.True(replay.IsReplay);
    }

    [Fact]
    public async Task With_server_nonces_only_a_proof_carrying_an_accepted_one_passes()
    {
        var validator = new DpopProofValidator(clock: _clock);
        string[] accepted = ["current-nonce", "previous-nonce"];
        var missing = await validator.ValidateAsync(Proof(), "GET", Resource, acceptedNonces: accepted);
        Assert.True(missing.NeedsNonce);
        Assert.Equal("the DPoP proof must carry the server's nonce (DPoP-Nonce)", missing.Error);
        var stale = await validator.ValidateAsync(Proof(nonce: "older-nonce"), "GET", Resource, acceptedNonces: accepted);
        Assert.True(stale.NeedsNonce);
        Assert.Equal("the DPoP proof's nonce is not current; use the one in DPoP-Nonce", stale.Error);
        Assert.True((await validator.ValidateAsync(Proof(nonce: "previous-nonce"), "GET", Resource, acceptedNonces: accepted)).IsValid);
        Assert.True((await validator.ValidateAsync(Proof(nonce: "anything"), "GET", Resource)).IsValid); // nonces off: not checked
    }

    [Fact]
    public async Task A_replay_cache_that_cannot_answer_refuses_the_proof()
    {
        var validator = new DpopProofValidator(clock: _clock, replays: new UnreachableCache());
        var outcome = await validator.ValidateAsync(Proof(), "GET", Resource);
        Assert.False(outcome.IsValid);
        Assert.False(outcome.IsReplay);
        Assert.Equal("the DPoP replay cache is unavailable (TimeoutException); the proof cannot be checked", outcome.Error);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await new DpopProofValidator(clock: _clock, replays: new UnreachableCache(cancelled: true)).ValidateAsync(Proof(), "GET", Resource));
    }

    /// <summary>A shared cache whose database is away (or whose caller gave up).</summary>
    private sealed class UnreachableCache(bool cancelled = false) : IReplayCache
    {
        public ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken)
            => cancelled ? throw new OperationCanceledException() : throw new TimeoutException("the database did not answer");
    }

    [Fact]
    public async Task Checking_a_proof_without_spending_it_makes_every_check_and_names_the_identifier_that_spends_it()
    {
        // The token endpoint's dedicated path checks a proof, then records its identifier together with the client
        // assertion's: the check must record nothing, and the identifier must be the one ValidateAsync records.
        var cache = new ReplayCache(_clock);
        var validator = new DpopProofValidator(clock: _clock, replays: cache);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal("the DPoP proof's htm does not match the request method", validator.CheckUnspent(Proof(), "POST", Resource).Error);
        Assert.Equal("the DPoP proof's signature does not verify", validator.CheckUnspent(Proof(signer: other), "GET", Resource).Error);
        Assert.True(validator.CheckUnspent(Proof(nonce: "old"), "GET", Resource, acceptedNonces: ["current"]).NeedsNonce);

        var proof = Proof();
        var unspent = validator.CheckUnspent(proof, "GET", Resource);
        Assert.True(unspent.IsValid, unspent.Error);
        Assert.True(validator.CheckUnspent(proof, "GET", Resource).IsValid);
        Assert.Equal(0, cache.Count);

        var (id, until) = validator.SingleUseOf(unspent.Proof!);
        Assert.Equal(unspent.Proof!.IssuedAt + new DpopOptions().MaxAge + new DpopOptions().FutureSkew, until);
        Assert.True(await ((IReplayCache)cache).TryAddAllAsync([(id, until)], default) is [true]);
        var replayed = await validator.ValidateAsync(proof, "GET", Resource);
        Assert.True(replayed.IsReplay);
        Assert.Same(DpopProofValidator.ReplayRefusal, replayed);
    }

    [Fact]
    public void A_full_replay_cache_refuses_rather_than_forgets()
    {
        var cache = new ReplayCache(_clock, capacity: 2);
        var until = _clock.GetUtcNow().AddMinutes(1);
        Assert.True(cache.TryAdd("a", until));
        Assert.True(cache.TryAdd("b", until));
        Assert.False(cache.TryAdd("c", until));
        Assert.False(cache.TryAdd("a", until));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(cache.TryAdd("c", _clock.GetUtcNow().AddMinutes(1)));
        Assert.True(cache.TryAdd("a", _clock.GetUtcNow().AddMinutes(1))); // expired entries may be seen again
    }

    private JsonObject Jwk()
    {
        var p = _key.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
    }

    private string Proof(string typ = "dpop+jwt", string alg = "ES256", string htm = "GET", string? htu = null, DateTimeOffset? iat = null, JsonObject? jwk = null, ECDsa? signer = null, string? ath = null, string? nonce = null)
    {
        var header = new JsonObject { ["typ"] = typ, ["alg"] = alg, ["jwk"] = jwk ?? Jwk() };
        var claims = new JsonObject { ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = htm, ["htu"] = htu ?? Resource.ToString(), ["iat"] = (iat ?? _clock.GetUtcNow()).ToUnixTimeSeconds() };
        if (ath is not null)
        {
            claims["ath"] = B64(SHA256.HashData(Encoding.ASCII.GetBytes(ath)));
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        var input = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + B64((signer ?? _key).SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    private string Signed(string header, string claims)
    {
        var input = B64(Encoding.UTF8.GetBytes(header)) + "." + B64(Encoding.UTF8.GetBytes(claims));
        return input + "." + B64(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    private static string B64(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
