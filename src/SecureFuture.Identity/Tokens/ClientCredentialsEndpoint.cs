using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;
using SecureFuture.Identity.Validation.AspNetCore;
using SecureFuture.Keys;
using Base64Url = System.Buffers.Text.Base64Url;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// The token endpoint's dedicated path for its one everyday request: <c>client_credentials</c> with a client assertion
/// (<c>private_key_jwt</c>), optionally DPoP- or certificate-bound. It makes every check that OpenIddict's pipeline and
/// <see cref="TokenServiceHandlers"/> make for that request, through the same rules (<see cref="ClientCredentialsRules"/>,
/// <see cref="ClientAssertionType"/>, <see cref="DpopProofValidator"/>, the client registry and its throttling, the
/// replay cache, the ring's signature in the HSM) and issues the same token in the same response, without OpenIddict's
/// dispatcher and its several hundred handlers per request.
/// </summary>
/// <remarks>
/// <para>It only ever accepts. Any request it cannot classify with certainty (another grant, a client secret or an
/// <c>Authorization</c> header, a parameter it does not know, sent twice or empty, two DPoP headers, a query string)
/// and any request that fails a check goes on to OpenIddict's pipeline untouched, which refuses it exactly as it
/// always has: the same error, status, headers and security event, from the one place that writes them. Nothing is
/// recorded before the last check, so OpenIddict sees the request as if this path did not exist.</para>
/// <para>The one exception is single use: the assertion's and the proof's identifiers are recorded together, in one
/// write, after every other check. When either was seen before, the request goes to OpenIddict with those answers
/// (<see cref="DecidedReplayCache"/>), so its replay checks refuse it as they would have, without writing again.</para>
/// </remarks>
public sealed class ClientCredentialsEndpoint
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>The only form parameters this path reads; any other sends the request to OpenIddict.</summary>
    private static readonly HashSet<string> KnownParameters = new(StringComparer.Ordinal) { "grant_type", "client_assertion_type", "client_assertion", "client_id", "scope", "resource" };

    /// <summary>
    /// As Microsoft.IdentityModel writes OpenIddict's tokens: compact, with the relaxed encoder (<c>&amp;</c>, <c>+</c>,
    /// <c>&lt;</c> and non-ASCII letters written as they are; U+2028, U+00A0 and characters beyond the BMP escaped).
    /// </summary>
    private static readonly JsonWriterOptions TokenJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Each thread's buffer for a token's header and claims (a few hundred bytes), kept between tokens.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? TokenJsonBuffer;

    /// <summary>Each thread's random bytes for token identifiers, and how many of them were used (see <see cref="NewTokenId"/>).</summary>
    [ThreadStatic]
    private static byte[]? TokenIdRandom;

    [ThreadStatic]
    private static int TokenIdRandomUsed;

    private static readonly JsonWriterOptions ResponseJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    private readonly ClientService _clients;
    private readonly TokenServiceOptions _options;
    private readonly DpopProofValidator _dpop;
    private readonly DpopNonces _nonces;
    private readonly IReplayCache _replays;
    private readonly KeyRingService _keys;
    private readonly TimeProvider _clock;
    private readonly string _issuer;
    private readonly Uri _tokenEndpoint;
    private long _issued;
    private long _declined;
    private string? _lastDecline;

    public ClientCredentialsEndpoint(ClientService clients, TokenServiceOptions options, DpopProofValidator dpop, DpopNonces nonces, DecidedReplayCache replays, KeyRingService keys, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(replays);
        _clients = clients;
        _options = options;
        _dpop = dpop;
        _nonces = nonces;
        _replays = replays.Inner;
        _keys = keys;
        _clock = clock;
        _issuer = options.Issuer.AbsoluteUri;
        _tokenEndpoint = options.TokenEndpoint;
    }

    /// <summary>Tokens this path issued.</summary>
    public long Issued => Interlocked.Read(ref _issued);

    /// <summary>Requests this path examined and handed to OpenIddict's pipeline.</summary>
    public long Declined => Interlocked.Read(ref _declined);

    /// <summary>Why this path last handed a request on (a check's refusal, or what it could not classify).</summary>
    public string? LastDecline => Volatile.Read(ref _lastDecline);

    /// <summary>
    /// Middleware, placed before OpenIddict's (the authentication middleware): answers the token requests it can
    /// decide alone and passes every other request on.
    /// </summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (IsTokenEndpoint(context.Request))
        {
            var outcome = UnclassifiableRequest(context.Request) is { } unclassifiable ? Outcome.Declined(unclassifiable) : await TryIssueAsync(context);
            if (outcome.Decline is null)
            {
                Interlocked.Increment(ref _issued);
                return;
            }

            Interlocked.Increment(ref _declined);
            Volatile.Write(ref _lastDecline, outcome.Decline);
            if (outcome.Recorded is { } recorded)
            {
                // Set here, not in TryIssueAsync: an async local set in a callee is gone when it returns.
                DecidedReplayCache.UseForThisRequest(recorded);
            }
        }

        await next(context);
    }

    /// <summary>A POST to the token endpoint, exactly as this server publishes its address.</summary>
    private static bool IsTokenEndpoint(HttpRequest request)
        => HttpMethods.IsPost(request.Method)
            && request.PathBase.Value is null or ""
            && string.Equals(request.Path.Value, "/oauth2/token", StringComparison.Ordinal);

    /// <summary>Why the request's shape, before the body is read, is not a plain form POST with at most one DPoP proof; null when it is.</summary>
    private static string? UnclassifiableRequest(HttpRequest request)
        => request.QueryString.HasValue ? "a query string"
            // As OpenIddict reads it (media type, optionally with a charset).
            : request.ContentType is not { } type || !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ? "not a form"
            : request.Headers.Authorization.Count > 0 ? "an Authorization header (client_secret_basic)"
            : request.Headers["DPoP"].Count > 1 ? "more than one DPoP header"
            : null;

    private async Task<Outcome> TryIssueAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        // The same read as OpenIddict's (the form is kept on the request, so OpenIddict reads the same form).
        var form = await context.Request.ReadFormAsync(cancellationToken);
        if (UnclassifiableForm(form) is { } unclassifiable)
        {
            return Outcome.Declined(unclassifiable);
        }

        var scopes = ScopesOf(form["scope"]);
        if (scopes is null)
        {
            return Outcome.Declined("a scope parameter that is not a plain list of distinct scopes");
        }

        var resources = ResourcesOf(form["resource"]);
        if (resources is null)
        {
            return Outcome.Declined("a resource that is not an absolute URI without a fragment");
        }

        // The client assertion: strict JSON, a client assertion's type, the registered key named by kid, issuer and
        // subject the client, audience this issuer, within its lifetime.
        var compact = form["client_assertion"].ToString();
        // Read once strictly, as ClientAssertionType.UnreadableJson reads it and stricter (strict base64url, objects):
        // the JWS whose signature is verified below, and whose header and claims hold no member twice, so the token
        // read next for its claims sees the same values.
        if (CompactJws.Read(compact, out var parts, out var malformed) is not { } jws)
        {
            return Outcome.Declined(malformed is null ? $"the client assertion is not a compact JWS ({parts} parts)" : "the client assertion's header or claims is not strict JSON: " + malformed);
        }

        if (AssertionClaims.Read(jws) is not { } assertion)
        {
            return Outcome.Declined("the client assertion's typ, kid, iss, sub, jti, aud, exp, nbf or iat is not of its type");
        }

        var clientId = assertion.Issuer;
        var jti = assertion.Jti;
        if (string.IsNullOrEmpty(clientId) || !string.Equals(assertion.Subject, clientId, StringComparison.Ordinal) || jti is null)
        {
            return Outcome.Declined("the client assertion has no issuer or jti, or a subject that is not its issuer");
        }

        if (form.TryGetValue("client_id", out var namedClient) && !string.Equals(namedClient.ToString(), clientId, StringComparison.Ordinal))
        {
            return Outcome.Declined("client_id is not the assertion's issuer");
        }

        var client = await _clients.FindAsync(clientId, cancellationToken);
        if (_clients.ThrottledFor(client?.ClientId, AttemptSource.Of(context.Connection.RemoteIpAddress)) is not null)
        {
            return Outcome.Declined("refused attempts from this address are being throttled");
        }

        if (client is null || !client.Enabled)
        {
            return Outcome.Declined(client is null ? "the client is not registered" : "the client is disabled");
        }

        if (ClientAssertionType.Refusal(assertion.Type, assertion.Audiences, _options) is { } untyped)
        {
            return Outcome.Declined(untyped);
        }

        if (AssertionRefusal(assertion, jws, client) is { } refused)
        {
            return Outcome.Declined(refused);
        }

        var expires = assertion.Expires!.Value;
        if (ClientCredentialsRules.AssertionTimesRefusal(jti, expires, assertion.NotBefore, assertion.IssuedAt, _clock.GetUtcNow(), _options) is { } times)
        {
            return Outcome.Declined(times);
        }

        if ((ClientCredentialsRules.ScopeRefusal(client, scopes) ?? ClientCredentialsRules.ResourceRefusal(client, resources)) is { } notRegistered)
        {
            return Outcome.Declined(notRegistered);
        }

        // The binding: a DPoP proof (RFC 9449 §4.3), else a presented TLS client certificate (RFC 8705 §3.1).
        var presented = ClientCertificateSource.Read(context, _options.ClientCertificateHeader);
        if (presented.Error is not null)
        {
            return Outcome.Declined(presented.Error);
        }

        var proofHeader = context.Request.Headers["DPoP"];
        if (ClientCredentialsRules.BindingRefusal(client, proofHeader.Count == 1, presented.Certificate is not null) is { } unbound)
        {
            return Outcome.Declined(unbound);
        }

        var spend = new List<(string Id, DateTimeOffset Until)>(2) { (ClientCredentialsRules.AssertionSingleUseId(clientId, jti), expires) };
        string? jkt = null;
        if (proofHeader.Count == 1)
        {
            IReadOnlyList<string>? accepted;
            try
            {
                accepted = _nonces.Source is { } source ? await source.AcceptedAsync(cancellationToken) : null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Outcome.Declined($"the DPoP nonces are unavailable ({e.GetType().Name})");
            }

            var proof = _dpop.CheckUnspent(proofHeader[0], context.Request.Method, _tokenEndpoint, acceptedNonces: accepted);
            if (!proof.IsValid)
            {
                return Outcome.Declined(proof.Error!);
            }

            jkt = proof.Proof!.JwkThumbprint;
            spend.Add(_dpop.SingleUseOf(proof.Proof));
        }

        // Single use, last: the assertion's and the proof's identifiers in one write.
        bool[] first;
        try
        {
            first = await _replays.TryAddAllAsync(spend, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Outcome.Declined($"the replay cache is unavailable ({e.GetType().Name})");
        }

        if (first.Contains(false))
        {
            var recorded = new Dictionary<string, bool>(StringComparer.Ordinal);
            for (var i = 0; i < spend.Count; i++)
            {
                recorded[spend[i].Id] = first[i];
            }

            return new Outcome(first[0] ? "the DPoP proof was already used" : "the client assertion was already used", recorded);
        }

        (string Member, string Thumbprint)? binding = null;
        if (jkt is not null)
        {
            binding = ("jkt", jkt);
        }
        else if (presented.Certificate is { } certificate)
        {
            binding = (CertificateBinding.ThumbprintMember, CertificateBinding.Thumbprint(certificate));
        }

        await IssueAsync(context, client, scopes, ClientCredentialsRules.Audiences(client, resources), binding, cancellationToken);
        return Outcome.Issued;
    }

    /// <summary>
    /// Signature by the registered key the header names, issuer and audience, as OpenIddict checks them (with
    /// Microsoft.IdentityModel's JsonWebTokenHandler), and the header's algorithm pinned to that key's.
    /// </summary>
    private string? AssertionRefusal(AssertionClaims assertion, CompactJws jws, OAuthClient client)
    {
        if (assertion.KeyId is not { } kid || !client.Keys.KeyIds.Contains(kid, StringComparer.Ordinal))
        {
            return "the client assertion's kid names no registered key";
        }

        // The client was found by this issuer; a registry that matched it otherwise (by case) would not be the client.
        if (!string.Equals(assertion.Issuer, client.ClientId, StringComparison.Ordinal))
        {
            return "the client assertion's issuer is not the client";
        }

        var audiences = assertion.Audiences;
        if (audiences.Count != 1 || !string.Equals(audiences[0], _issuer, StringComparison.Ordinal))
        {
            return "the client assertion's audience is not exactly this issuer";
        }

        if (assertion.Expires is null)
        {
            return "the client assertion needs jti and exp";
        }

        // The algorithm is the one the registered key is pinned to (P-256 ES256, P-384 ES384, an RSA key the RS256 or
        // PS256 it was registered with), and one this endpoint accepts: never none or HS*, never a hash or padding the
        // key was not registered for. JsonWebTokenHandler took any ECDSA algorithm for any curve, and PS256 for an
        // RS256 key: such an assertion now goes to OpenIddict's pipeline, which decides it as before.
        var alg = CompactJws.String(jws.Header, "alg");
        if (alg is null || !TokenServiceOptions.DpopAlgorithms.Contains(alg, StringComparer.Ordinal))
        {
            return $"the client assertion does not verify: its alg is not one of {string.Join(", ", TokenServiceOptions.DpopAlgorithms)}";
        }

        if (!ClientVerificationKeys.Of(client.Keys).TryGetValue(kid, out var key))
        {
            return $"the client assertion does not verify: registered key {kid} cannot verify here";
        }

        if (!string.Equals(alg, key.Algorithm, StringComparison.Ordinal))
        {
            return $"the client assertion does not verify: alg {alg} does not fit registered key {kid} ({key.Algorithm})";
        }

        return jws.IsSignedBy(key) ? null : $"the client assertion does not verify: the signature is not by registered key {kid}";
    }

    /// <summary>The token and the response, as OpenIddict's pipeline and <see cref="TokenServiceHandlers"/> make them.</summary>
    private async Task IssueAsync(HttpContext context, OAuthClient client, List<string> scopes, IReadOnlyList<string> audiences, (string Member, string Thumbprint)? binding, CancellationToken cancellationToken)
    {
        var (_, active) = await _keys.GetActiveAsync(_options.RingName, cancellationToken);
        var created = _clock.GetUtcNow();
        var expires = created + _options.AccessTokenLifetime;
        var signingInput = SigningInput(active, client.ClientId, scopes, audiences, binding, created, expires);
        // Signed in the HSM by the ring's active key, which checks the header and claims as any token of the ring
        // (issuer, lifetime, alg and kid those of the active key); a rotation since the header was written is refused
        // there, or here should the ring answer with another key.
        var signed = await _keys.SignAsync(_options.RingName, digest: null, payload: signingInput, cancellationToken);
        if (!string.Equals(signed.Kid, active.Kid, StringComparison.Ordinal))
        {
            throw new SecurityTokenException($"key ring '{_options.RingName}' signed with {signed.Kid}, not the {active.Kid} named in the header");
        }

        // The token as a JSON string, quotes included: base64url and dots, nothing to escape. Written as it is, not
        // through WriteString, which makes room for every character escaped (six times the token's length).
        var tokenJson = new byte[signingInput.Length + 3 + Base64Url.GetEncodedLength(signed.Signature.Length)];
        tokenJson[0] = (byte)'"';
        signingInput.CopyTo(tokenJson.AsSpan(1));
        tokenJson[1 + signingInput.Length] = (byte)'.';
        Base64Url.EncodeToUtf8(signed.Signature, tokenJson.AsSpan(2 + signingInput.Length));
        tokenJson[^1] = (byte)'"';

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        await ClientCredentialsRules.AttachDpopNonceAsync(_nonces, response, cancellationToken);
        var body = new ArrayBufferWriter<byte>(tokenJson.Length + 512);
        using (var writer = new Utf8JsonWriter(body, ResponseJson))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("access_token");
            writer.WriteRawValue(tokenJson); // checked by the writer: one JSON string
            writer.WriteString("token_type", binding?.Member == "jkt" ? "DPoP" : "Bearer");
            if (expires > _clock.GetUtcNow())
            {
                writer.WriteNumber("expires_in", (long)((expires - _clock.GetUtcNow()).TotalSeconds + .5));
            }

            writer.WriteEndObject();
        }

        response.ContentType = "application/json;charset=UTF-8";
        response.ContentLength = body.WrittenCount;
        _clients.Metrics.CountIssued();
        await response.Body.WriteAsync(body.WrittenMemory, cancellationToken);
    }

    /// <summary>
    /// The JWS signing input of the access token (RFC 7515 §5.1): its header and claims as JSON, base64url-encoded and
    /// joined by a dot. They are written member for member, in the order and with the JSON types and escaping of
    /// Microsoft.IdentityModel's JsonWebTokenHandler, which writes OpenIddict's tokens: header alg, kid, typ at+jwt;
    /// claims iss, exp, iat, aud (a string when one, else an array), scope (when any), jti, cnf (when bound), sub,
    /// oi_prst, client_id; no nbf.
    /// </summary>
    private byte[] SigningInput(KeyVersion active, string clientId, List<string> scopes, IReadOnlyList<string> audiences, (string Member, string Thumbprint)? binding, DateTimeOffset created, DateTimeOffset expires)
    {
        // The JSON is written into this thread's buffer, and only the signing input leaves this method (nothing here
        // awaits, so no other request can use the buffer meanwhile).
        var json = TokenJsonBuffer ??= new ArrayBufferWriter<byte>(1024);
        json.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(json, TokenJson);
        writer.WriteStartObject();
        writer.WriteString("alg", active.Algorithm.Name);
        writer.WriteString("kid", active.Kid);
        writer.WriteString("typ", "at+jwt");
        writer.WriteEndObject();
        writer.Flush();
        var headerLength = json.WrittenCount;

        writer.Reset();
        writer.WriteStartObject();
        writer.WriteString("iss", _issuer);
        writer.WriteNumber("exp", expires.ToUnixTimeSeconds());
        writer.WriteNumber("iat", created.ToUnixTimeSeconds());
        if (audiences.Count == 1)
        {
            writer.WriteString("aud", audiences[0]);
        }
        else
        {
            writer.WriteStartArray("aud");
            foreach (var audience in audiences)
            {
                writer.WriteStringValue(audience);
            }

            writer.WriteEndArray();
        }

        if (scopes.Count > 0)
        {
            writer.WriteString("scope", string.Join(' ', scopes));
        }

        writer.WriteString("jti", NewTokenId());
        if (binding is { } bound)
        {
            writer.WriteStartObject("cnf");
            writer.WriteString(bound.Member, bound.Thumbprint);
            writer.WriteEndObject();
        }

        writer.WriteString("sub", clientId);
        writer.WriteString("oi_prst", clientId);
        writer.WriteString("client_id", clientId);
        writer.WriteEndObject();
        writer.Flush();

        var header = json.WrittenSpan[..headerLength];
        var claims = json.WrittenSpan[headerLength..];
        var dot = Base64Url.GetEncodedLength(header.Length);
        var input = new byte[dot + 1 + Base64Url.GetEncodedLength(claims.Length)];
        Base64Url.EncodeToUtf8(header, input);
        input[dot] = (byte)'.';
        Base64Url.EncodeToUtf8(claims, input.AsSpan(dot + 1));
        return input;
    }

    /// <summary>
    /// A random (version 4) GUID for a token's <c>jti</c>, as OpenIddict's tokens have, from the operating system's
    /// CSPRNG by way of OpenSSL, drawn 4 KiB at a time into a buffer of the thread's: <see cref="Guid.NewGuid"/> reads
    /// <c>/dev/urandom</c> once per call, a system call per token. Each byte is used once and cleared.
    /// </summary>
    private static string NewTokenId()
    {
        var random = TokenIdRandom ??= new byte[4096];
        if (TokenIdRandomUsed is 0 or >= 4096)
        {
            RandomNumberGenerator.Fill(random);
            TokenIdRandomUsed = 0;
        }

        var bytes = random.AsSpan(TokenIdRandomUsed, 16);
        TokenIdRandomUsed += 16;
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (the high nibble of the third group, stored little-endian)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        var id = new Guid(bytes).ToString();
        bytes.Clear();
        return id;
    }

    /// <summary>Why the form is not one this path reads with certainty; null when it is.</summary>
    private static string? UnclassifiableForm(IFormCollection form)
    {
        if (form.Files.Count > 0)
        {
            return "the form has files";
        }

        foreach (var (name, values) in form)
        {
            if (!KnownParameters.Contains(name))
            {
                return $"a parameter this path does not read ({(name.Length > 40 ? name[..40] : name)})";
            }

            if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
            {
                return $"{name} sent more than once, or empty";
            }
        }

        return form["grant_type"] != "client_credentials" ? "not the client_credentials grant"
            : form["client_assertion_type"] != AssertionType ? "no client assertion of type jwt-bearer"
            : form["client_assertion"].Count != 1 ? "no client assertion"
            : null;
    }

    /// <summary>The requested scopes (none when the parameter is absent); null unless they are distinct, single-space separated RFC 6749 §3.3 scope tokens.</summary>
    private static List<string>? ScopesOf(StringValues parameter)
    {
        if (parameter.Count == 0)
        {
            return [];
        }

        var scopes = parameter.ToString().Split(' ');
        return scopes.All(s => s.Length > 0 && s.All(c => c is '!' or (>= '#' and <= '[') or (>= ']' and <= '~')))
            && scopes.Distinct(StringComparer.Ordinal).Count() == scopes.Length
            && !scopes.Contains("openid", StringComparer.Ordinal) && !scopes.Contains("offline_access", StringComparer.Ordinal)
            ? [.. scopes]
            : null;
    }

    /// <summary>The requested resource (RFC 8707), at most one here; null when it is not an absolute URI without a fragment.</summary>
    private static List<string>? ResourcesOf(StringValues parameter)
    {
        if (parameter.Count == 0)
        {
            return [];
        }

        var resource = parameter.ToString();
        return Uri.TryCreate(resource, UriKind.Absolute, out var uri) && string.IsNullOrEmpty(uri.Fragment) && !resource.Contains('#', StringComparison.Ordinal) ? [resource] : null;
    }

    /// <summary>
    /// The members of a client assertion this path decides on, read from the JWS already parsed strictly, each of the
    /// one JSON type it may have: <c>typ</c>, <c>kid</c>, <c>iss</c>, <c>sub</c> and <c>jti</c> strings, <c>aud</c> a
    /// string or an array of strings, <c>exp</c>, <c>nbf</c> and <c>iat</c> integers (NumericDate in whole seconds).
    /// Null when any present member is of another type or out of range: Microsoft.IdentityModel, which reads them for
    /// OpenIddict's pipeline, converts some of those (a fractional or string time), and what the two readers might
    /// read differently is left to that pipeline alone.
    /// </summary>
    private sealed record AssertionClaims(string? Type, string? KeyId, string? Issuer, string? Subject, string? Jti, IReadOnlyList<string> Audiences, DateTimeOffset? Expires, DateTimeOffset? NotBefore, DateTimeOffset? IssuedAt)
    {
        private const long LatestTime = 253402300799; // 9999-12-31T23:59:59Z

        public static AssertionClaims? Read(CompactJws jws)
        {
            var header = jws.Header;
            var claims = jws.Claims;
            if (!Text(header, "typ", out var type) || !Text(header, "kid", out var kid)
                || !Text(claims, "iss", out var issuer) || !Text(claims, "sub", out var subject) || !Text(claims, "jti", out var jti)
                || !Time(claims, "exp", out var expires) || !Time(claims, "nbf", out var notBefore) || !Time(claims, "iat", out var issuedAt))
            {
                return null;
            }

            List<string> audiences = [];
            if (claims.TryGetProperty("aud", out var aud))
            {
                switch (aud.ValueKind)
                {
                    case JsonValueKind.String:
                        audiences.Add(aud.GetString()!);
                        break;
                    case JsonValueKind.Array:
                        foreach (var item in aud.EnumerateArray())
                        {
                            if (item.ValueKind != JsonValueKind.String)
                            {
                                return null;
                            }

                            audiences.Add(item.GetString()!);
                        }

                        break;
                    default:
                        return null;
                }
            }

            return new AssertionClaims(type, kid, issuer, subject, jti, audiences, expires, notBefore, issuedAt);
        }

        /// <summary>A string member; false when present and not a string.</summary>
        private static bool Text(JsonElement element, string name, out string? value)
        {
            value = null;
            if (!element.TryGetProperty(name, out var member))
            {
                return true;
            }

            value = member.ValueKind == JsonValueKind.String ? member.GetString() : null;
            return value is not null;
        }

        /// <summary>A NumericDate member in whole seconds; false when present and not such an integer.</summary>
        private static bool Time(JsonElement element, string name, out DateTimeOffset? value)
        {
            value = null;
            if (!element.TryGetProperty(name, out var member))
            {
                return true;
            }

            if (member.ValueKind != JsonValueKind.Number || !member.TryGetInt64(out var seconds) || seconds is < 0 or > LatestTime)
            {
                return false;
            }

            value = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }
    }

    /// <summary>Issued (no decline), or why the request goes on to OpenIddict, with the single-use answers already recorded.</summary>
    private sealed record Outcome(string? Decline, IReadOnlyDictionary<string, bool>? Recorded)
    {
        public static readonly Outcome Issued = new(null, null);

        public static Outcome Declined(string why) => new(why, null);
    }
}
