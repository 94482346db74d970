using System.Security.Cryptography;
using SecureFuture.Identity.Clients;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// Server-provided DPoP nonces (RFC 9449 §8) for the token endpoint. Time is cut into periods; each period has one
/// random nonce, the same on every node (the first node to need it stores it in the shared database), handed to every
/// client in the <c>DPoP-Nonce</c> header. A proof must carry the nonce of the current or the previous period, so a
/// proof made in advance, say by someone who briefly held a client's DPoP key, stops working within two periods.
/// </summary>
/// <remarks>
/// A nonce is not a secret (every client sees it) but is unpredictable: 256 random bits. Each node keeps the nonces it
/// has read, so the database is asked about once per period per node.
/// </remarks>
public sealed class DpopNonceSource(SqlClientStore store, TimeProvider clock, TimeSpan period)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, string?> _known = [];

    /// <summary>The nonce to hand out now.</summary>
    public async ValueTask<string> CurrentAsync(CancellationToken cancellationToken)
        => await NonceAsync(PeriodOf(clock.GetUtcNow()), create: true, cancellationToken) ?? throw new InvalidOperationException("the current DPoP nonce could not be created");

    /// <summary>The nonces a proof may carry now: the current period's and, when one was handed out, the previous one's.</summary>
    public async ValueTask<IReadOnlyList<string>> AcceptedAsync(CancellationToken cancellationToken)
    {
        var now = PeriodOf(clock.GetUtcNow());
        var current = await NonceAsync(now, create: true, cancellationToken);
        var previous = await NonceAsync(now - 1, create: false, cancellationToken);
        return previous is null ? [current!] : [current!, previous];
    }

    private long PeriodOf(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / (long)period.TotalMilliseconds;

    private async ValueTask<string?> NonceAsync(long number, bool create, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_known.TryGetValue(number, out var known))
            {
                return known;
            }
        }

        // A past period without a nonce is remembered as such: no proof can carry a nonce nobody handed out.
        var nonce = await store.DpopNonceAsync(number, create ? Base64UrlNoPadding(RandomNumberGenerator.GetBytes(32)) : null, cancellationToken);
        lock (_gate)
        {
            _known[number] = nonce;
            foreach (var old in _known.Keys.Where(k => k < number - 2).ToList())
            {
                _known.Remove(old);
            }
        }

        return nonce;
    }

    private static string Base64UrlNoPadding(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
