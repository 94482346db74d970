using System.Runtime.CompilerServices;
using System.Text.Json;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// A client's registered keys as verification keys (<see cref="VerificationKey"/>: one pinned algorithm each), by kid,
/// read once per <see cref="ClientKeySet"/>. A client's update makes a new key set, so its old keys are never used
/// again; the entries live only as long as their key set does (the client registry's cache holds it), which bounds
/// them by the clients in use.
/// </summary>
internal static class ClientVerificationKeys
{
    private static readonly ConditionalWeakTable<ClientKeySet, IReadOnlyDictionary<string, VerificationKey>> ByKeySet = [];

    /// <summary>The keys of <paramref name="keys"/> that verify here, by kid (a registered key whose algorithm this endpoint does not accept is absent).</summary>
    public static IReadOnlyDictionary<string, VerificationKey> Of(ClientKeySet keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return ByKeySet.GetValue(keys, static set => Read(set.Json));
    }

    private static Dictionary<string, VerificationKey> Read(string jwks)
    {
        using var document = JsonDocument.Parse(jwks);
        var keys = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
        foreach (var jwk in document.RootElement.GetProperty("keys").EnumerateArray())
        {
            // ClientKeySet checked each key when it was registered; VerificationKey reads it again as strictly.
            if (VerificationKey.TryCreate(jwk, TokenServiceOptions.DpopAlgorithms, out _) is { } key)
            {
                keys[key.Kid] = key;
            }
        }

        return keys;
    }
}
