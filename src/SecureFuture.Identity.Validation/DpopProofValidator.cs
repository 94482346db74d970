using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>Settings for DPoP proofs (RFC 9449); strict by default.</summary>
public sealed record DpopOptions
{
    /// <summary>Asymmetric algorithms a proof may be signed with (RFC 9449 §4.3 check 5: never none or HMAC).</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = ["ES256", "ES384", "PS256", "RS256"];

    /// <summary>How old a proof's <c>iat</c> may be (RFC 9449 §11.1: a short window bounds replay).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How far in the future a proof's <c>iat</c> may be (clock skew).</summary>
    public TimeSpan FutureSkew { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest proof accepted, in characters.</summary>
    public int MaxProofBytes { get; init; } = 8 * 1024;
}

/// <summary>A verified DPoP proof: the RFC 7638 thumbprint of its key and its identifier.</summary>
public sealed record DpopProof(string JwkThumbprint, string Jti, DateTimeOffset IssuedAt, string Algorithm);

/// <summary>The outcome of checking a proof: the proof, or why it was refused.</summary>
public sealed record DpopOutcome(DpopProof? Proof, string? Error)
{
    public bool IsValid => Proof is not null;

    /// <summary>Refused because the proof was used before: an attack signal, unlike a malformed or stale proof.</summary>
    public bool IsReplay { get; init; }

    /// <summary>Refused only for lack of a current server nonce: answer <c>use_dpop_nonce</c> with a fresh one (RFC 9449 §8).</summary>
    public bool NeedsNonce { get; init; }
}

/// <summary>
/// Verifies DPoP proofs as RFC 9449 §4.3 lists the checks, for the token endpoint and for resource servers alike:
/// one well-formed JWS with <c>typ</c> <c>dpop+jwt</c>, an asymmetric algorithm from the allow-list, a public
/// <c>jwk</c> in the header that verifies the signature, <c>htm</c> and <c>htu</c> matching this request, a recent
/// <c>iat</c>, the server's nonce when it asks for one, <c>ath</c> matching the access token when one is presented, and a
/// <c>jti</c> never seen before within the proof's lifetime.
/// </summary>
public sealed class DpopProofValidator
{
    private readonly DpopOptions _options;
    private readonly TimeProvider _clock;
    private readonly IReplayCache _replays;
    private readonly ProofKeys _keys = new();

    /// <param name="replays">
    /// Where proof identifiers are remembered: this process's memory when null. A resource server (or token service)
    /// running as several instances behind one address needs one cache shared by all of them, or a proof replayed to
    /// another instance within its window is not noticed.
    /// </param>
    public DpopProofValidator(DpopOptions? options = null, TimeProvider? clock = null, IReplayCache? replays = null)
    {
        _options = options ?? new DpopOptions();
        _clock = clock ?? TimeProvider.System;
        _replays = replays ?? new ReplayCache(_clock);
        if (_options.Algorithms.Any(a => a is not ("ES256" or "ES384" or "PS256" or "RS256")))
        {
            throw new ArgumentException("only ES256, ES384, PS256 and RS256 can sign DPoP proofs", nameof(options));
        }
    }

    /// <summary>
    /// Checks <paramref name="proof"/> for a request of <paramref name="method"/> to <paramref name="uri"/>.
    /// <paramref name="accessToken"/> is the token the proof accompanies at a resource server (its hash must be in
    /// <c>ath</c>); <paramref name="acceptedNonces"/> are the nonces the server currently accepts (RFC 9449 §8), when it
    /// uses nonces: the proof must carry one of them.
    /// </summary>
    /// <remarks>
    /// The replay check comes last, so only a proof that passed every other check is remembered. When the replay
    /// cache cannot be reached the proof is refused: an unchecked proof is never accepted.
    /// </remarks>
    public async ValueTask<DpopOutcome> ValidateAsync(string? proof, string method, Uri uri, string? accessToken = null, IReadOnlyCollection<string>? acceptedNonces = null, CancellationToken cancellationToken = default)
    {
        var checkedProof = CheckUnspent(proof, method, uri, accessToken, acceptedNonces);
        if (!checkedProof.IsValid)
        {
            return checkedProof;
        }

        bool first;
        try
        {
            var (id, until) = SingleUseOf(checkedProof.Proof!);
            first = await _replays.TryAddAsync(id, until, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Refuse($"the DPoP replay cache is unavailable ({e.GetType().Name}); the proof cannot be checked");
        }

        return first ? checkedProof : ReplayRefusal;
    }

    /// <summary>
    /// The identifier that makes <paramref name="proof"/> single use, and until when it must be remembered: a replay is
    /// a reuse of the same key's <c>jti</c> within the window in which the proof would otherwise be accepted.
    /// </summary>
    public (string Id, DateTimeOffset Until) SingleUseOf(DpopProof proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        return ("dpop:" + proof.JwkThumbprint + ":" + proof.Jti, proof.IssuedAt + _options.MaxAge + _options.FutureSkew);
    }

    /// <summary>The refusal of a proof whose identifier was recorded before: an attack signal.</summary>
    public static DpopOutcome ReplayRefusal { get; } = Refuse("the DPoP proof was already used (replay)") with { IsReplay = true };

    /// <summary>
    /// Every check of <see cref="ValidateAsync"/> but single use: for a caller that records the proof's identifier
    /// (<see cref="SingleUseOf"/>) itself, together with others, and accepts the proof only when that record is new.
    /// </summary>
    public DpopOutcome CheckUnspent(string? proof, string method, Uri uri, string? accessToken = null, IReadOnlyCollection<string>? acceptedNonces = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        if (string.IsNullOrEmpty(proof))
        {
            return Refuse("a DPoP proof is required");
        }

        if (proof.Length > _options.MaxProofBytes)
        {
            return Refuse("the DPoP proof is too large");
        }

        var jws = CompactJws.Read(proof, out _, out var malformed);
        if (jws is null)
        {
            return Refuse(malformed is null ? "the DPoP proof is not a compact JWS" : "malformed DPoP proof: " + malformed);
        }

        var header = jws.Header;
        var claims = jws.Claims;
        if (String(header, "typ") != "dpop+jwt")
        {
            return Refuse("the DPoP proof's typ must be dpop+jwt");
        }

        var alg = String(header, "alg") ?? string.Empty;
        if (!_options.Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            return Refuse($"DPoP proof algorithm '{alg}' is not accepted");
        }

        if (header.TryGetProperty("crit", out _) || header.TryGetProperty("jku", out _) || header.TryGetProperty("x5u", out _))
        {
            return Refuse("the DPoP proof's header may carry only typ, alg and jwk");
        }

        if (!header.TryGetProperty("jwk", out var jwk) || jwk.ValueKind != JsonValueKind.Object)
        {
            return Refuse("the DPoP proof's header must carry the public key as 'jwk'");
        }

        if (_keys.Read(jwk, alg, _options.Algorithms, out var reason) is not { } proofKey)
        {
            return Refuse("the DPoP proof's jwk is not usable: " + reason);
        }

        if (proofKey.Key.Algorithm != alg || !jws.IsSignedBy(proofKey.Key))
        {
            return Refuse("the DPoP proof's signature does not verify");
        }

        if (String(claims, "htm") != method)
        {
            return Refuse("the DPoP proof's htm does not match the request method");
        }

        if (String(claims, "htu") is not { } htu || !Uri.TryCreate(htu, UriKind.Absolute, out var proofUri) || !SameTarget(proofUri, uri))
        {
            return Refuse("the DPoP proof's htu does not match the request URI");
        }

        var now = _clock.GetUtcNow();
        if (!claims.TryGetProperty("iat", out var iatValue) || iatValue.ValueKind != JsonValueKind.Number || !iatValue.TryGetInt64(out var iatSeconds))
        {
            return Refuse("the DPoP proof needs a numeric iat");
        }

        var iat = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(iatSeconds, 0, 253402300799));
        if (iat < now - _options.MaxAge || iat > now + _options.FutureSkew)
        {
            return Refuse("the DPoP proof's iat is outside the accepted window");
        }

        if (acceptedNonces is not null && (String(claims, "nonce") is not { } nonce || !acceptedNonces.Contains(nonce, StringComparer.Ordinal)))
        {
            return Refuse(claims.TryGetProperty("nonce", out _) ? "the DPoP proof's nonce is not current; use the one in DPoP-Nonce" : "the DPoP proof must carry the server's nonce (DPoP-Nonce)") with { NeedsNonce = true };
        }

        if (accessToken is not null)
        {
            var ath = Base64UrlStrict.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
            if (String(claims, "ath") != ath)
            {
                return Refuse("the DPoP proof's ath does not match the access token");
            }
        }

        if (String(claims, "jti") is not { Length: > 0 and <= 256 } jti)
        {
            return Refuse("the DPoP proof needs a jti");
        }

        return new DpopOutcome(new DpopProof(proofKey.Thumbprint, jti, iat, alg), null);
    }

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC or RSA public key.</summary>
    public static string Thumbprint(JsonElement jwk)
    {
        string Member(string name) => jwk.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
        // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
        var canonical = Member("kty") switch
        {
            "EC" => $"{{\"crv\":{Quote(Member("crv"))},\"kty\":\"EC\",\"x\":{Quote(Member("x"))},\"y\":{Quote(Member("y"))}}}",
            "RSA" => $"{{\"e\":{Quote(Member("e"))},\"kty\":\"RSA\",\"n\":{Quote(Member("n"))}}}",
            _ => throw new FormatException("only EC and RSA keys have a thumbprint here"),
        };
        return Base64UrlStrict.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

        static string Quote(string value) => JsonSerializer.Serialize(value);
    }


    /// <summary>RFC 9449 §4.3 check 9: scheme, host, port and path must match; query and fragment are ignored.</summary>
    private static bool SameTarget(Uri proof, Uri request)
        => string.Equals(proof.GetLeftPart(UriPartial.Path), request.GetLeftPart(UriPartial.Path), StringComparison.Ordinal);

    private static string? String(JsonElement element, string name) => CompactJws.String(element, name);

    private static DpopOutcome Refuse(string error) => new(null, error);

    /// <summary>
    /// The public keys of recent proofs, read once each: a client signs its proofs with one key for a long time, and
    /// reading a JWK (parsing, importing the point, hashing the thumbprint) costs about as much as verifying a
    /// signature. Keyed on the member exactly as sent and the header's algorithm, so an entry stands for the same
    /// bytes and gives the same key, algorithm and thumbprint as reading them again would; keys that cannot be used
    /// are not kept. Bounded: when full it starts again, so a sender of many keys only costs itself the reading.
    /// </summary>
    private sealed class ProofKeys
    {
        private const int Capacity = 1024;

        private readonly ConcurrentDictionary<(string Jwk, string Algorithm), ProofKey> _read = new();

        public ProofKey? Read(JsonElement jwk, string alg, IReadOnlyList<string> allowed, out string? reason)
        {
            var text = jwk.GetRawText();
            if (_read.TryGetValue((text, alg), out var known))
            {
                reason = null;
                return known;
            }

            // The embedded key is pinned to the header's algorithm and gets a synthetic kid; private material is refused.
            var pinned = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
            pinned["kid"] = "dpop";
            pinned["alg"] ??= alg;
            var key = VerificationKey.TryCreate(JsonSerializer.SerializeToElement(pinned), allowed, out reason);
            if (key is null)
            {
                return null;
            }

            var read = new ProofKey(key, Thumbprint(jwk));
            if (_read.Count >= Capacity)
            {
                // Dropped keys are not disposed: a request on another thread may still be verifying with one.
                _read.Clear();
            }

            _read[(text, alg)] = read;
            return read;
        }
    }

    private sealed record ProofKey(VerificationKey Key, string Thumbprint);
}

/// <summary>
/// Remembers single-use identifiers (DPoP proof <c>jti</c>s, client-assertion <c>jti</c>s) until the proof or
/// assertion they came from expires. Every instance that accepts the same proofs must share one cache.
/// </summary>
public interface IReplayCache
{
    /// <summary>
    /// Records <paramref name="id"/> until <paramref name="until"/> and returns true, or returns false when it is
    /// already recorded and not yet expired. Atomic: of two concurrent calls with the same id, at most one gets true,
    /// whichever instance makes it. Throws when the cache cannot answer; callers refuse the proof then.
    /// </summary>
    ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>
    /// Records several identifiers at once (a token request's client assertion and DPoP proof), each as
    /// <see cref="TryAddAsync"/> would: returns, in order, whether each was recorded now. Each identifier is decided on
    /// its own; a cache that can write them together (one statement, one commit) overrides this.
    /// </summary>
    async ValueTask<bool[]> TryAddAllAsync(IReadOnlyList<(string Id, DateTimeOffset Until)> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var recorded = new bool[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            recorded[i] = await TryAddAsync(ids[i].Id, ids[i].Until, cancellationToken);
        }

        return recorded;
    }
}

/// <summary>
/// Identifiers seen recently by this process, each kept until the proof or assertion it came from can no longer be
/// accepted anyway. Bounded: when it is full of unexpired entries, new identifiers are refused (fail closed) rather
/// than accepted unseen; size it above the peak proofs per accepted window. One process only: instances behind one
/// address need a shared <see cref="IReplayCache"/>.
/// </summary>
public sealed class ReplayCache(TimeProvider clock, int capacity = 1_000_000) : IReplayCache
{
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _expiry = new();
    private readonly Lock _gate = new();

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken)
        => ValueTask.FromResult(TryAdd(id, until));

    /// <summary>Records <paramref name="id"/> until <paramref name="until"/>; false if it was already recorded.</summary>
    public bool TryAdd(string id, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(id);
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            while (_expiry.TryPeek(out var oldest, out var at) && at <= now)
            {
                _expiry.Dequeue();
                if (_seen.TryGetValue(oldest, out var stored) && stored == at)
                {
                    _seen.Remove(oldest);
                }
            }

            if ((_seen.TryGetValue(id, out var existing) && existing > now) || _seen.Count >= capacity)
            {
                return false;
            }

            _seen[id] = until;
            _expiry.Enqueue(id, until);
            return true;
        }
    }
}
