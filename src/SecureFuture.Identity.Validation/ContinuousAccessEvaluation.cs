using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>A refusal decided by continuous access evaluation: the OAuth error code and why.</summary>
public sealed record AccessRefusal(string Error, string Description);

/// <summary>
/// What security events have said about subjects (keyed, like principals, on issuer + <c>sub</c>): disabled, or
/// tokens issued up to a moment no longer valid. A token that validates cryptographically is still refused when an
/// event says so: a disabled client or changed credentials give <c>insufficient_claims</c> (get a new token, which
/// the authorization server will refuse or re-evaluate); revoked sessions give <c>invalid_token</c>. Times compare to
/// the token's <c>iat</c> in whole seconds, and a token issued in the same second as the event is refused too.
/// </summary>
public sealed class ContinuousAccessEvaluation
{
    private readonly ConcurrentDictionary<string, SubjectState> _subjects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedTokens = new(StringComparer.Ordinal);

    /// <summary>Events applied so far.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    private long _applied;

    /// <summary>Applies one verified event to a subject.</summary>
    public void Apply(string subjectKey, string eventType, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(subjectKey);
        _subjects.AddOrUpdate(subjectKey, _ => Next(new SubjectState(null, null, null, null), eventType, at), (_, state) => Next(state, eventType, at));
        Interlocked.Increment(ref _applied);
    }

    /// <summary>Records one revoked token (by <c>jti</c>); kept for the longest token lifetime (1 hour), then forgotten.</summary>
    public void RevokeToken(string jti, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(jti);
        _revokedTokens.TryAdd(jti, at + TimeSpan.FromHours(1));
        Interlocked.Increment(ref _applied);
    }

    /// <summary>Null when nothing known refuses the principal's token; otherwise the refusal.</summary>
    public AccessRefusal? Evaluate(ValidatedPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var iat = principal.Claims.TryGetProperty("iat", out var value) && value.TryGetInt64(out var seconds) ? seconds : long.MinValue;
        var jti = principal.Claims.TryGetProperty("jti", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String ? id.GetString() : null;
        return Evaluate(principal.SubjectKey, iat, jti);
    }

    /// <summary>The same decision from a subject key (<c>iss#sub</c>), the token's <c>iat</c> (seconds) and <c>jti</c>.</summary>
    public AccessRefusal? Evaluate(string subjectKey, long iat, string? jti)
    {
        ArgumentNullException.ThrowIfNull(subjectKey);
        if (jti is not null && _revokedTokens.ContainsKey(jti))
        {
            return new AccessRefusal("invalid_token", "the token was revoked");
        }

        if (!_subjects.TryGetValue(subjectKey, out var state))
        {
            return null;
        }
        if (state.DisabledAt is { } disabled && (state.EnabledAt is not { } enabled || enabled < disabled))
        {
            return new AccessRefusal("insufficient_claims", "the client is disabled (continuous access evaluation)");
        }

        if (state.RevokedUpTo is { } revoked && iat <= revoked.ToUnixTimeSeconds())
        {
            return new AccessRefusal("invalid_token", "the subject's sessions were revoked after this token was issued");
        }

        if (state.ReauthenticateUpTo is { } changed && iat <= changed.ToUnixTimeSeconds())
        {
            return new AccessRefusal("insufficient_claims", "the subject's credentials or status changed after this token was issued; get a new token");
        }

        return null;
    }

    private static SubjectState Next(SubjectState state, string eventType, DateTimeOffset at) => eventType switch
    {
        SecurityEventTypes.AccountDisabled => state with { DisabledAt = Max(state.DisabledAt, at), ReauthenticateUpTo = Max(state.ReauthenticateUpTo, at) },
        // Tokens from before the client was disabled stay dead after it is enabled again.
        SecurityEventTypes.AccountEnabled => state with { EnabledAt = Max(state.EnabledAt, at), ReauthenticateUpTo = Max(state.ReauthenticateUpTo, at) },
        SecurityEventTypes.CredentialChange or SecurityEventTypes.TokenClaimsChange => state with { ReauthenticateUpTo = Max(state.ReauthenticateUpTo, at) },
        SecurityEventTypes.SessionRevoked => state with { RevokedUpTo = Max(state.RevokedUpTo, at) },
        _ => state,
    };

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private sealed record SubjectState(DateTimeOffset? DisabledAt, DateTimeOffset? EnabledAt, DateTimeOffset? ReauthenticateUpTo, DateTimeOffset? RevokedUpTo);
}

/// <summary>
/// Receives Security Event Tokens (RFC 8417) from one transmitter, verifies them like tokens (keys only from the
/// transmitter's JWKS, pinned algorithms, <c>typ</c> <c>secevent+jwt</c>, exact issuer, this receiver's audience) and
/// applies them to a <see cref="ContinuousAccessEvaluation"/>. Works by push (<see cref="ApplyAsync"/> from an
/// endpoint) and by poll (<see cref="PollAsync"/>, <see cref="RunPollingAsync"/>).
/// </summary>
public sealed class SecurityEventReceiver : IDisposable
{
    private readonly TrustedIssuer _transmitter;
    private readonly IssuerKeySet _keys;
    private readonly ContinuousAccessEvaluation _state;
    private readonly TimeProvider _clock;
    private readonly StrictValidationOptions _options;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private long _last;

    public SecurityEventReceiver(TrustedIssuer transmitter, HttpClient http, ContinuousAccessEvaluation state, StrictValidationOptions? options = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(transmitter);
        _transmitter = transmitter;
        _state = state;
        _clock = clock ?? TimeProvider.System;
        _options = options ?? new StrictValidationOptions();
        _keys = new IssuerKeySet(transmitter, http, _clock, _options);
    }

    /// <summary>The last transmitter sequence polled.</summary>
    public long LastSequence => Interlocked.Read(ref _last);

    /// <summary>Verifies and applies one SET; null when applied (or a duplicate), otherwise why it was refused.</summary>
    public async Task<string?> ApplyAsync(string set, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(set);
        string? malformed = null;
        var jws = set.Length > _options.MaxTokenBytes ? null : CompactJws.Read(set, out _, out malformed);
        if (jws is null)
        {
            return malformed is null ? "not a compact JWS" : "malformed SET: " + malformed;
        }

        var header = jws.Header;
        var claims = jws.Claims;
        if (String(header, "typ") != "secevent+jwt")
        {
            return "typ must be secevent+jwt";
        }

        if (String(header, "alg") is not { } alg || !_options.Algorithms.Contains(alg, StringComparer.Ordinal) || String(header, "kid") is not { } kid)
        {
            return "the SET needs an accepted alg and a kid";
        }

        if (String(claims, "iss") != _transmitter.Issuer)
        {
            return "the SET is not from the trusted transmitter";
        }

        VerificationKey? key;
        try
        {
            key = await _keys.FindAsync(kid, cancellationToken);
        }
        catch (KeySetUnavailableException e)
        {
            return "the transmitter's keys are unavailable: " + e.Message;
        }

        if (key is null || key.Algorithm != alg || !jws.IsSignedBy(key))
        {
            return "the SET's signature does not verify with the transmitter's keys";
        }

        var audiences = claims.TryGetProperty("aud", out var aud) ? aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToArray(),
            _ => Array.Empty<string>(),
        } : [];
        if (!audiences.Any(a => _transmitter.Audiences.Contains(a, StringComparer.Ordinal)))
        {
            return "the SET is not addressed to this receiver";
        }

        if (String(claims, "jti") is not { Length: > 0 } jti || !claims.TryGetProperty("iat", out var iatValue) || !iatValue.TryGetInt64(out var iat))
        {
            return "the SET needs jti and iat";
        }

        if (DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(iat, 0, 253402300799)) > _clock.GetUtcNow() + _options.ClockSkew)
        {
            return "the SET was issued in the future";
        }

        if (!_seen.TryAdd(jti, 0))
        {
            return null; // delivered twice (push and poll, or a retry): applied once
        }

        if (_seen.Count > 100_000)
        {
            _seen.Clear();
        }

        if (!claims.TryGetProperty("sub_id", out var subject) || subject.ValueKind != JsonValueKind.Object || String(subject, "format") != "iss_sub"
            || String(subject, "iss") is not { } subjectIssuer || String(subject, "sub") is not { Length: > 0 } sub)
        {
            return "the SET's sub_id must be an iss_sub subject";
        }

        if (!claims.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Object)
        {
            return "the SET has no events";
        }

        foreach (var e in events.EnumerateObject())
        {
            var at = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(
                e.Value.ValueKind == JsonValueKind.Object && e.Value.TryGetProperty("event_timestamp", out var ts) && ts.TryGetInt64(out var seconds) ? seconds : iat, 0, 253402300799));
            if (e.Name == SecurityEventTypes.TokenRevoked)
            {
                if (e.Value.ValueKind == JsonValueKind.Object && String(e.Value, "jti") is { Length: > 0 } revoked)
                {
                    _state.RevokeToken(revoked, at);
                }

                continue;
            }

            _state.Apply(subjectIssuer + "#" + sub, e.Name, at);
        }

        return null;
    }

    /// <summary>
    /// One poll of the transmitter's event endpoint (<c>GET {endpoint}?after=N</c> answering <c>{"sets": [...], "last": N}</c>);
    /// returns how many SETs were applied. <paramref name="authorization"/> gives the Authorization header value, if needed.
    /// </summary>
    public async Task<int> PollAsync(HttpClient http, Uri endpoint, Func<CancellationToken, Task<string?>>? authorization, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        var applied = 0;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint + (endpoint.Query.Length > 0 ? "&" : "?") + "after=" + LastSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (authorization is not null && await authorization(cancellationToken) is { } value)
            {
                request.Headers.Authorization = AuthenticationHeaderValue.Parse(value);
            }

            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken), new JsonDocumentOptions { MaxDepth = 8 });
            var root = body.RootElement;
            if (!root.TryGetProperty("sets", out var sets) || sets.ValueKind != JsonValueKind.Array || !root.TryGetProperty("last", out var lastValue) || !lastValue.TryGetInt64(out var last))
            {
                throw new FormatException("the event endpoint answered without 'sets' and 'last'");
            }

            foreach (var set in sets.EnumerateArray())
            {
                if (set.ValueKind == JsonValueKind.String && await ApplyAsync(set.GetString()!, cancellationToken) is null)
                {
                    applied++;
                }
            }

            if (last <= LastSequence)
            {
                return applied;
            }

            Interlocked.Exchange(ref _last, last);
        }
    }

    /// <summary>Polls every <paramref name="interval"/> until cancelled; a failed poll is retried at the next interval.</summary>
    public async Task RunPollingAsync(HttpClient http, Uri endpoint, Func<CancellationToken, Task<string?>>? authorization, TimeSpan interval, Action<Exception>? failed, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(http, endpoint, authorization, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // cancelled during a poll: stopped, as when cancelled between polls
            }
            catch (Exception e) when (e is HttpRequestException or FormatException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failed?.Invoke(e);
            }

            try
            {
                await Task.Delay(interval, _clock, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose() => _keys.Dispose();

    private static string? String(JsonElement element, string name) => CompactJws.String(element, name);
}
