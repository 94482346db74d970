using System.Security.Cryptography;
using System.Text;
using SecureFuture.Keys.Audit;
using SecureFuture.Keys.Storage;

namespace SecureFuture.Server;

/// <summary>
/// The bootstrap admin credential: a high-entropy key, kept only as a SHA-256 hash, sent as
/// <c>Authorization: Bearer</c>. Comparison is constant-time; failures say nothing about why.
/// </summary>
internal sealed class AdminAuthentication(IKeyStore store, TimeProvider clock, bool enabled = true)
{
    private const string Prefix = "sfi_admin_";
    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(5);
    private (long Stamp, IReadOnlyList<AdminCredential> Credentials)? _cache;

    /// <summary>Stores the first admin credential; returns the key to show once when this call generated it.</summary>
    public async Task<string?> BootstrapAsync(string? configuredKey, CancellationToken cancellationToken)
    {
        if (!enabled || (await store.ListAdminCredentialsAsync(cancellationToken)).Count > 0)
        {
            return null;
        }

        var generated = configuredKey is null;
        var key = configuredKey ?? Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        if (key.Length < 24)
        {
            throw new ArgumentException("SFI_ADMIN_KEY must be at least 24 characters");
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var stored = await store.AddFirstAdminCredentialAsync(
            new AdminCredential(id, Hash(key), clock.GetUtcNow()),
            new AuditEntry("bootstrap", "admin.credential-created", null, null, new Dictionary<string, string> { ["credential"] = id, ["source"] = generated ? "generated" : "SFI_ADMIN_KEY" }),
            cancellationToken);
        _cache = null;
        return stored && generated ? key : null;
    }

    /// <summary>The credential id when the request carries a valid admin key; null otherwise.</summary>
    public async Task<string?> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (!enabled || authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var presented = Convert.FromHexString(Hash(authorization["Bearer ".Length..].Trim()));
        var cache = _cache;
        if (cache is null || clock.GetElapsedTime(cache.Value.Stamp) > CacheTtl)
        {
            cache = (clock.GetTimestamp(), await store.ListAdminCredentialsAsync(cancellationToken));
            _cache = cache;
        }

        var credentials = cache.Value.Credentials;
        foreach (var credential in credentials)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(credential.KeyHash)))
            {
                return credential.Id;
            }
        }

        return null;
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
