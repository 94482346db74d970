using System.Security.Cryptography;
using System.Text;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Validation;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// Single-use identifiers (client-assertion and DPoP proof <c>jti</c>s) remembered in the store's database, so every
/// node of a PostgreSQL deployment sees the others' and a replay to another node behind the load balancer is refused
/// as it is on the first. Also survives a restart. One database round trip per check.
/// </summary>
/// <remarks>
/// Identifiers are stored as their SHA-256 (fixed size whatever the client sent). Expired rows are taken over by a
/// new use of the same identifier and deleted by <see cref="PurgeAsync"/>, which the server calls periodically.
/// </remarks>
public sealed class SqlReplayCache(SqlClientStore store, TimeProvider clock) : IReplayCache
{
    /// <inheritdoc/>
    public ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return new(store.TryRecordOnceAsync(SHA256.HashData(Encoding.UTF8.GetBytes(id)), until, clock.GetUtcNow(), cancellationToken));
    }

    /// <summary>Deletes expired identifiers; returns how many.</summary>
    public Task<int> PurgeAsync(CancellationToken cancellationToken) => store.PurgeReplayIdsAsync(clock.GetUtcNow(), cancellationToken);
}
