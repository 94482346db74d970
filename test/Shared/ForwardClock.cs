namespace SecureFuture.Testing;

/// <summary>
/// The system clock, which a test can move forward at once. Timers and timestamps stay the system's, so a server's
/// background work (event passes, key scheduling, caches) runs as in production; only the time it reads jumps, so a
/// test need not sleep until the wall clock gets somewhere (a JWT's times are whole seconds).
/// </summary>
public sealed class ForwardClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>
    /// Moves the clock, if it is not there yet, to the start of the whole second after <paramref name="instant"/>:
    /// a token issued from then on has an <c>iat</c> later than an event at that instant (RFC 7519 §2).
    /// </summary>
    public void SkipPastSecondOf(DateTimeOffset instant)
    {
        var next = DateTimeOffset.FromUnixTimeSeconds(instant.ToUnixTimeSeconds() + 1);
        if (next - GetUtcNow() is { Ticks: > 0 } left)
        {
            Interlocked.Add(ref _offsetTicks, left.Ticks);
        }
    }
}
