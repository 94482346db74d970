using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace SecureFuture.Identity.Validation.Tests;

[Trait("Category", "Integration")]
public sealed class StrictTokenValidatorTests : IAsyncLifetime, IDisposable
{
    private const string Contoso = "https://login.contoso.test/tenant-a/v2.0";
    private const string Consumer = "https://login.consumer.test/consumers/v2.0";
    private const string Api = "api://orders";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly TestKey _contosoKey = TestKey.Es256("contoso-1");
    private readonly TestKey _consumerKey = TestKey.Es256("consumer-1");
    private JwksHost _host = null!;
    private StrictTokenValidator _validator = null!;

    private long Now => _clock.GetUtcNow().ToUnixTimeSeconds();

    public async Task InitializeAsync()
    {
        _host = await JwksHost.StartAsync();
        _host.Publish("contoso", _contosoKey.Jwk());
        _host.Publish("consumer", _consumerKey.Jwk());
        _validator = new StrictTokenValidator(
            [new TrustedIssuer(Contoso, _host.JwksUri("contoso"), [Api]), new TrustedIssuer(Consumer, _host.JwksUri("consumer"), [Api])],
            _host.Http,
            new StrictValidationOptions(),
            _clock);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose()
    {
        _validator.Dispose();
        _contosoKey.Dispose();
        _consumerKey.Dispose();
    }

    [Fact]
    public async Task A_well_formed_token_yields_a_principal_keyed_on_issuer_and_sub()
    {
        var outcome = await Validate(_contosoKey.Token(Claims()));
        Assert.True(outcome.IsValid, outcome.Error);
        Assert.Equal($"{Contoso}#user-1", outcome.Principal!.SubjectKey);
        Assert.Equal("contoso-1", outcome.Principal.KeyId);
        Assert.Equal([Api], outcome.Principal.Audiences);
    }

    [Theory]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"\\ud800\"}", "{}")] // a lone surrogate in the kid
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"contoso-1\"}", "{\"iss\":\"\\udc00\"}")] // ... in the issuer
    public async Task A_token_whose_strings_are_not_well_formed_unicode_is_refused_as_malformed_not_thrown(string header, string claims)
    {
        // Found by fuzzing: the header parsed, and reading kid or iss threw InvalidOperationException out of
        // ValidateAsync (a 500 at the resource server instead of a 401). DPoP proofs and SETs are read the same way.
        var outcome = await Validate(_contosoKey.TokenFromJson(header, claims));
        Assert.Equal(Refusal.Malformed, outcome.Refusal);
        Assert.Contains("not well-formed Unicode", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storm_0558_a_key_of_one_issuer_never_validates_a_token_naming_another()
    {
        // The consumer key signs a token that claims the enterprise issuer: the key is genuine, the binding is not.
        var forged = _consumerKey.Token(Claims(iss: Contoso));
        Assert.Equal($"no key '{_consumerKey.Kid}' is published by {Contoso}", (await Validate(forged)).Error);

        // Even when the kid collides with one the other issuer publishes, the signature is checked with that issuer's key.
        using var impostor = TestKey.Es256("contoso-1");
        _host.Publish("consumer", _consumerKey.Jwk(), impostor.Jwk());
        Assert.Equal("the signature does not verify", (await Validate(impostor.Token(Claims(iss: Contoso)))).Error);
    }

    [Fact]
    public async Task Alg_none_hmac_with_the_public_key_and_header_keys_are_refused()
    {
        var unsigned = TestKey.SigningInput(new { alg = "none", kid = "contoso-1" }, Claims()) + ".";
        Assert.Equal("algorithm 'none' is not accepted", (await Validate(unsigned)).Error);

        // The classic confusion: HMAC keyed with the issuer's public key, which anyone can download.
        var signingInput = TestKey.SigningInput(new { alg = "HS256", kid = "contoso-1" }, Claims());
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(_contosoKey.Jwk().ToJsonString()));
        var confused = signingInput + "." + TestKey.B64(hmac.ComputeHash(Encoding.ASCII.GetBytes(signingInput)));
        Assert.Equal("algorithm 'HS256' is not accepted", (await Validate(confused)).Error);

        using var attacker = TestKey.Es256("contoso-1");
        var embedded = attacker.Token(Claims(), header: new { alg = "ES256", kid = "contoso-1", jwk = attacker.Jwk() });
        Assert.Equal("header 'jwk': keys supplied by the token are never trusted", (await Validate(embedded)).Error);
        var remote = attacker.Token(Claims(), header: new { alg = "ES256", kid = "contoso-1", jku = "https://attacker.test/jwks" });
        Assert.Equal("header 'jku': keys supplied by the token are never trusted", (await Validate(remote)).Error);
        Assert.Throws<ArgumentException>(() => new StrictTokenValidator([], _host.Http, new StrictValidationOptions { Algorithms = ["ES256", "HS256"] }));
        Assert.Throws<ArgumentException>(() => new StrictTokenValidator([], _host.Http, new StrictValidationOptions { Algorithms = ["none"] }));
    }

    [Fact]
    public async Task The_algorithm_is_pinned_to_the_key()
    {
        using var rsa = TestKey.Rsa256("rsa-1", "RS256");
        _host.Publish("contoso", _contosoKey.Jwk(), rsa.Jwk());
        Assert.True((await Validate(rsa.Token(Claims()))).IsValid);
        Assert.Equal("key 'rsa-1' is for RS256, not PS256", (await Validate(rsa.Token(Claims(), alg: "PS256"))).Error);
        Assert.Equal("key 'contoso-1' is for ES256, not ES384", (await Validate(_contosoKey.Token(Claims(), alg: "ES384"))).Error);

        // An RSA key that does not say which padding it is for is never used.
        using var vague = TestKey.Rsa256("rsa-2");
        _host.Publish("contoso", _contosoKey.Jwk(), vague.Jwk(withAlg: false));
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal($"no key 'rsa-2' is published by {Contoso}", (await Validate(vague.Token(Claims()))).Error);
    }

    [Fact]
    public async Task CVE_2022_21449_psychic_signatures_are_refused()
    {
        var signingInput = TestKey.SigningInput(new { alg = "ES256", kid = "contoso-1" }, Claims());
        Assert.Equal("the signature does not verify", (await Validate(signingInput + "." + TestKey.B64(new byte[64]))).Error);

        var order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var n = order.ToByteArray(isUnsigned: true, isBigEndian: true);
        Assert.Equal("the signature does not verify", (await Validate(signingInput + "." + TestKey.B64([.. n, .. n]))).Error);
    }

    [Fact]
    public async Task An_unknown_kid_causes_one_throttled_refresh_then_refusal_never_a_trial_of_every_key()
    {
        Assert.True((await Validate(_contosoKey.Token(Claims()))).IsValid);
        var fetches = _host.Requests("contoso");

        using var stranger = TestKey.Es256("unknown-1");
        Assert.Equal($"no key 'unknown-1' is published by {Contoso}", (await Validate(stranger.Token(Claims()))).Error);
        Assert.Equal(fetches + 1, _host.Requests("contoso"));

        // A flood of unknown kids within the interval costs no further fetch.
        for (var i = 0; i < 20; i++)
        {
            using var flood = TestKey.Es256($"unknown-{i + 2}");
            Assert.False((await Validate(flood.Token(Claims()))).IsValid);
        }

        Assert.Equal(fetches + 1, _host.Requests("contoso"));

        // A key the issuer really rotated in is found by the next allowed refresh.
        using var next = TestKey.Es256("contoso-2");
        _host.Publish("contoso", _contosoKey.Jwk(), next.Jwk());
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True((await Validate(next.Token(Claims()))).IsValid);
        Assert.Equal(fetches + 2, _host.Requests("contoso"));

        // Keys are looked up by kid: a token whose kid names one key but is signed by another is refused.
        Assert.Equal("the signature does not verify", (await Validate(next.Token(Claims(), header: new { alg = "ES256", kid = "contoso-1" }))).Error);
    }

    [Fact]
    public async Task A_key_past_its_validity_is_refused_while_still_listed()
    {
        _host.Publish("contoso", _contosoKey.Jwk(exp: Now + 60));
        Assert.True((await Validate(_contosoKey.Token(Claims()))).IsValid);
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("key 'contoso-1' is outside its validity period", (await Validate(_contosoKey.Token(Claims()))).Error);
    }

    [Fact]
    public async Task Every_refusal_says_whether_it_points_at_an_attack()
    {
        using var attacker = TestKey.Es256("contoso-1");
        var signingInput = TestKey.SigningInput(new { alg = "ES256", kid = "contoso-1" }, Claims());
        var cases = new (string Token, Refusal Kind)[]
        {
            (_consumerKey.Token(Claims(iss: Contoso)), Refusal.UnknownKey), // Storm-0558: a genuine key of another issuer
            (TestKey.SigningInput(new { alg = "none", kid = "contoso-1" }, Claims()) + ".", Refusal.ForgedHeader),
            (attacker.Token(Claims(), header: new { alg = "ES256", kid = "contoso-1", jwk = attacker.Jwk() }), Refusal.ForgedHeader),
            (_contosoKey.Token(Claims(), alg: "ES384"), Refusal.ForgedHeader),
            (attacker.Token(Claims()), Refusal.BadSignature),
            (signingInput + "." + TestKey.B64(new byte[64]), Refusal.BadSignature), // r = s = 0
            (_contosoKey.Token(Claims(iss: "https://login.unknown.test/")), Refusal.UntrustedIssuer),
            (_contosoKey.Token(Claims(iat: Now - 600, exp: Now - 31)), Refusal.Expired),
            (_contosoKey.Token(Claims(aud: "api://payroll")), Refusal.WrongAudience),
            ("not.a-token", Refusal.Malformed),
            (_contosoKey.Token(new { iss = Contoso, aud = Api, email = "ceo@contoso.test", iat = Now, exp = Now + 300 }), Refusal.Malformed),
        };
        foreach (var (token, kind) in cases)
        {
            var outcome = await Validate(token);
            Assert.Equal(kind, outcome.Refusal);
        }

        Assert.Equal(Refusal.None, (await Validate(_contosoKey.Token(Claims()))).Refusal);
        Assert.True(Refusal.UnknownKey.IsAttack());
        Assert.True(Refusal.ExpiredKey.IsAttack());
        Assert.False(Refusal.Expired.IsAttack());
        Assert.False(Refusal.Malformed.IsAttack());
        Assert.False(Refusal.Unavailable.IsAttack());

        _host.Publish("contoso", _contosoKey.Jwk(exp: Now + 60));
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(Refusal.ExpiredKey, (await Validate(_contosoKey.Token(Claims()))).Refusal);
    }

    [Fact]
    public async Task A_jwks_entry_with_private_key_material_is_never_used()
    {
        _host.Publish("contoso", _contosoKey.Jwk(includePrivate: true));
        Assert.Equal($"no key 'contoso-1' is published by {Contoso}", (await Validate(_contosoKey.Token(Claims()))).Error);
    }

    [Fact]
    public async Task Lifetime_audience_and_subject_are_enforced()
    {
        Assert.Equal("the token has expired", (await Validate(_contosoKey.Token(Claims(iat: Now - 600, exp: Now - 31)))).Error);
        Assert.True((await Validate(_contosoKey.Token(Claims(iat: Now - 600, exp: Now - 29)))).IsValid); // within the skew
        Assert.Equal("the token is not valid yet", (await Validate(_contosoKey.Token(new { iss = Contoso, aud = Api, sub = "user-1", iat = Now, nbf = Now + 120, exp = Now + 300 }))).Error);
        Assert.Equal("the token was issued in the future", (await Validate(_contosoKey.Token(Claims(iat: Now + 120, exp: Now + 600)))).Error);
        Assert.Equal("the token lives longer than 01:00:00", (await Validate(_contosoKey.Token(Claims(iat: Now, exp: Now + 7200)))).Error);
        Assert.Equal("the token is not for this audience", (await Validate(_contosoKey.Token(Claims(aud: "api://payroll")))).Error);
        Assert.Equal("claim 'exp' is required", (await Validate(_contosoKey.Token(new { iss = Contoso, aud = Api, sub = "user-1", iat = Now }))).Error);
        Assert.Equal("claim 'iat' is required", (await Validate(_contosoKey.Token(new { iss = Contoso, aud = Api, sub = "user-1", exp = Now + 60 }))).Error);

        // nOAuth: an e-mail address is not an identity; a token without sub has no principal.
        var emailOnly = _contosoKey.Token(new { iss = Contoso, aud = Api, email = "ceo@contoso.test", iat = Now, exp = Now + 300 });
        Assert.Equal("claim 'sub' is required: principals are keyed on issuer and sub", (await Validate(emailOnly)).Error);
        Assert.Equal("the issuer is not trusted", (await Validate(_contosoKey.Token(Claims(iss: Contoso + "/")))).Error);
    }

    [Theory]
    [InlineData("", "not a compact JWS (three base64url parts)")]
    [InlineData("a.b", "not a compact JWS (three base64url parts)")]
    [InlineData("a.b.c.d.e", "encrypted tokens (JWE) are not accepted")]
    [InlineData("e30=.e30.AA", "malformed token: not base64url")]
    [InlineData("W10.e30.AA", "malformed token: a JWS part is not a JSON object")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.e30.AA", "header 'kid' is required")]
    public async Task Malformed_tokens_are_refused_with_a_reason(string token, string expected)
        => Assert.Equal(expected, (await Validate(token)).Error);

    [Fact]
    public async Task Oversized_tokens_and_unreadable_key_sets_are_refused()
    {
        Assert.Equal("the token is too large", (await Validate(new string('a', 20_000))).Error);

        _host.PublishRaw("broken", "{\"keys\": 42}");
        using var validator = new StrictTokenValidator([new TrustedIssuer("https://broken.test", _host.JwksUri("broken"), [Api])], _host.Http, clock: _clock);
        var outcome = await validator.ValidateAsync(_contosoKey.Token(Claims(iss: "https://broken.test")), default);
        Assert.StartsWith("the issuer's keys are unavailable", outcome.Error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new StrictTokenValidator([new TrustedIssuer("https://x.test", new Uri("http://x.test/jwks"), [Api])], _host.Http));
    }

    [Theory]
    [InlineData("header alg twice", """{"alg":"none","kid":"contoso-1","alg":"ES256"}""", """{"iss":"{iss}","aud":"{aud}","sub":"user-1","iat":{now},"exp":{exp}}""")]
    [InlineData("header kid twice", """{"alg":"ES256","kid":"consumer-1","kid":"contoso-1"}""", """{"iss":"{iss}","aud":"{aud}","sub":"user-1","iat":{now},"exp":{exp}}""")]
    [InlineData("sub twice", """{"alg":"ES256","kid":"contoso-1"}""", """{"iss":"{iss}","aud":"{aud}","sub":"user-1","sub":"admin","iat":{now},"exp":{exp}}""")]
    [InlineData("aud twice", """{"alg":"ES256","kid":"contoso-1"}""", """{"iss":"{iss}","aud":"api://payroll","aud":"{aud}","sub":"user-1","iat":{now},"exp":{exp}}""")]
    [InlineData("iss twice", """{"alg":"ES256","kid":"contoso-1"}""", """{"iss":"https://login.consumer.test/consumers/v2.0","iss":"{iss}","aud":"{aud}","sub":"user-1","iat":{now},"exp":{exp}}""")]
    [InlineData("exp twice", """{"alg":"ES256","kid":"contoso-1"}""", """{"iss":"{iss}","aud":"{aud}","sub":"user-1","iat":{now},"exp":1,"exp":{exp}}""")]
    [InlineData("cnf member twice", """{"alg":"ES256","kid":"contoso-1"}""", """{"iss":"{iss}","aud":"{aud}","sub":"user-1","iat":{now},"exp":{exp},"cnf":{"jkt":"a","jkt":"b"}}""")]
    public async Task A_correctly_signed_token_with_a_member_named_twice_is_refused_not_read_first_or_last_wins(string what, string header, string claims)
    {
        var json = claims.Replace("{iss}", Contoso, StringComparison.Ordinal).Replace("{aud}", Api, StringComparison.Ordinal)
            .Replace("{now}", Now.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{exp}", (Now + 300).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var outcome = await Validate(_contosoKey.TokenFromJson(header, json));
        Assert.False(outcome.IsValid, what);
        Assert.Equal(Refusal.Malformed, outcome.Refusal);
        Assert.Contains("malformed token", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("Duplicate", outcome.Error, StringComparison.OrdinalIgnoreCase);

        // The same token without the duplicate is fine: the key, the claims and the signature are good.
        var single = await Validate(_contosoKey.TokenFromJson("""{"alg":"ES256","kid":"contoso-1"}""", """{"iss":"CONTOSO","aud":"API","sub":"user-1","iat":NOW,"exp":EXP}"""
            .Replace("CONTOSO", Contoso, StringComparison.Ordinal).Replace("API", Api, StringComparison.Ordinal)
            .Replace("NOW", Now.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("EXP", (Now + 300).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)));
        Assert.True(single.IsValid, single.Error);
    }

    [Fact]
    public async Task NOAuth_an_email_claim_never_identifies_anyone()
    {
        // Two tokens with the victim's email but different subjects are two different principals...
        var victim = await Validate(_contosoKey.Token(new { iss = Contoso, aud = Api, sub = "victim-oid", email = "ceo@contoso.test", iat = Now, exp = Now + 300 }));
        var attacker = await Validate(_contosoKey.Token(new { iss = Contoso, aud = Api, sub = "attacker-oid", email = "ceo@contoso.test", iat = Now, exp = Now + 300 }));
        Assert.NotEqual(victim.Principal!.SubjectKey, attacker.Principal!.SubjectKey);
        Assert.Equal($"{Contoso}#attacker-oid", attacker.Principal.SubjectKey);

        // ...and a token that carries only an email, no subject, identifies no one.
        var emailOnly = await Validate(_contosoKey.Token(new { iss = Contoso, aud = Api, email = "ceo@contoso.test", iat = Now, exp = Now + 300 }));
        Assert.Equal("claim 'sub' is required: principals are keyed on issuer and sub", emailOnly.Error);
    }

    private Task<TokenValidationOutcome> Validate(string token) => _validator.ValidateAsync(token, default);

    private object Claims(string iss = Contoso, string aud = Api, long? iat = null, long? exp = null)
        => new { iss, aud, sub = "user-1", iat = iat ?? Now, exp = exp ?? Now + 300 };
}
