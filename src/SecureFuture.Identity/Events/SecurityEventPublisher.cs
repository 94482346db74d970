using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Tokens;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;

namespace SecureFuture.Identity.Events;

/// <summary>
/// Turns recorded security events into Security Event Tokens (RFC 8417) in the shape of the OpenID Shared Signals
/// Framework: CAEP and RISC event types, the subject as <c>iss_sub</c>, signed in the HSM by the ring
/// <see cref="RingName"/>. Resource servers receive them by polling (<c>GET /v1/ssf/events</c>) or by push, and the
/// validation library applies them, so a disabled client's tokens stop working within seconds instead of at expiry.
/// </summary>
public sealed class SecurityEventPublisher(SqlClientStore store, KeyRingService keys, TokenServiceOptions options)
{
    /// <summary>The ring that signs SETs (unscoped: it signs only what this class builds).</summary>
    public const string RingName = "security-events";

    private readonly ConcurrentDictionary<long, string?> _signed = new();

    /// <summary>The audience SETs are addressed to: every resource server of this issuer.</summary>
    public string Audience => options.OwnAudience;

    public string Issuer => options.Issuer.AbsoluteUri;

    public Uri JwksUri => new(options.Issuer, $"v1/keyrings/{RingName}/jwks.json");

    /// <summary>SETs for the events after <paramref name="after"/>, and the last sequence number read.</summary>
    public async Task<(IReadOnlyList<string> Sets, long Last)> ReadAsync(long after, int limit, CancellationToken cancellationToken)
    {
        var events = await store.ReadEventsAsync(after, Math.Clamp(limit, 1, 500), cancellationToken);
        var sets = new List<string>();
        var last = after;
        foreach (var e in events)
        {
            last = e.Sequence;
            if (_signed.TryGetValue(e.Sequence, out var cached))
            {
                if (cached is not null)
                {
                    sets.Add(cached);
                }

                continue;
            }

            var set = Describe(e) is { } claims ? await SignAsync(claims, cancellationToken) : null;
            if (_signed.Count > 10_000)
            {
                _signed.Clear();
            }

            _signed[e.Sequence] = set;
            if (set is not null)
            {
                sets.Add(set);
            }
        }

        return (sets, last);
    }

    /// <summary>The SET claims for an event that resource servers act on; null for events that stay internal.</summary>
    private JsonObject? Describe(SecurityEvent e)
    {
        var at = e.At.ToUnixTimeSeconds();
        var (type, body) = e.Type switch
        {
            "client.disabled" => (SecurityEventTypes.AccountDisabled, new JsonObject { ["reason"] = "administrative" }),
            "client.enabled" => (SecurityEventTypes.AccountEnabled, new JsonObject()),
            "client.keys-replaced" => (SecurityEventTypes.CredentialChange, new JsonObject { ["credential_type"] = "x509", ["change_type"] = "update" }),
            "client.updated" => (SecurityEventTypes.TokenClaimsChange, new JsonObject { ["claims"] = ChangedClaims(e) }),
            "subject.revoked" => (SecurityEventTypes.SessionRevoked, new JsonObject { ["initiating_entity"] = "admin" }),
            "token.revoked" when e.Subject is { } jti => (SecurityEventTypes.TokenRevoked, new JsonObject { ["jti"] = jti }),
            _ => (null, null),
        };
        if (type is null || e.ClientId is null)
        {
            return null;
        }

        body!["event_timestamp"] = at;
        return new JsonObject
        {
            ["iss"] = Issuer,
            ["jti"] = $"sfi-event-{e.Sequence}",
            ["iat"] = at,
            ["aud"] = Audience,
            ["txn"] = e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["sub_id"] = new JsonObject { ["format"] = "iss_sub", ["iss"] = Issuer, ["sub"] = e.ClientId },
            ["events"] = new JsonObject { [type] = body },
        };
    }

    /// <summary>The new claim values recorded with a <c>client.updated</c> event (see <see cref="ClientService.UpdateAsync"/>).</summary>
    private static JsonObject ChangedClaims(SecurityEvent e)
        => JsonNode.Parse(JsonNode.Parse(e.Details)?["details"]?.GetValue<string>() ?? "{}") as JsonObject ?? [];

    private async Task<string> SignAsync(JsonObject claims, CancellationToken cancellationToken)
    {
        var (_, active) = await keys.GetActiveAsync(RingName, cancellationToken);
        var header = new JsonObject { ["alg"] = active.Algorithm.Name, ["kid"] = active.Kid, ["typ"] = "secevent+jwt" };
        var input = Encode(header) + "." + Encode(claims);
        var signature = await keys.SignAsync(RingName, digest: null, payload: Encoding.ASCII.GetBytes(input), cancellationToken);
        return input + "." + Base64Url.Encode(signature.Signature);

        static string Encode(JsonObject json) => Base64Url.Encode(Encoding.UTF8.GetBytes(json.ToJsonString()));
    }
}
