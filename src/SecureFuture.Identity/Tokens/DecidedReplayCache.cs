using SecureFuture.Identity.Validation;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// The token service's replay cache: <paramref name="inner"/>, except for identifiers the current request has already
/// recorded there. <see cref="ClientCredentialsEndpoint"/> records a request's assertion and proof identifiers in one
/// write; when one of them was a replay it hands the request to OpenIddict's pipeline, whose checks then ask this
/// cache again and must get the same answers (a second write would find the first and call a fresh identifier a
/// replay), so the refusal, its error and its security event are exactly those of OpenIddict's path.
/// </summary>
public sealed class DecidedReplayCache(IReplayCache inner) : IReplayCache
{
    private static readonly AsyncLocal<IReadOnlyDictionary<string, bool>?> Decided = new();

    /// <summary>The cache the identifiers are written to.</summary>
    public IReplayCache Inner => inner;

    /// <summary>
    /// For the rest of the current request (the asynchronous flow that continues from here): <paramref name="decided"/>
    /// are the answers for those identifiers, already recorded in <see cref="Inner"/>.
    /// </summary>
    public static void UseForThisRequest(IReadOnlyDictionary<string, bool> decided) => Decided.Value = decided;

    /// <inheritdoc/>
    public ValueTask<bool> TryAddAsync(string id, DateTimeOffset until, CancellationToken cancellationToken)
        => Decided.Value is { } decided && decided.TryGetValue(id, out var first) ? ValueTask.FromResult(first) : inner.TryAddAsync(id, until, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool[]> TryAddAllAsync(IReadOnlyList<(string Id, DateTimeOffset Until)> ids, CancellationToken cancellationToken)
        => inner.TryAddAllAsync(ids, cancellationToken);
}
