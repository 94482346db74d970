using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// Records refused sign-in attempts (passkey answers, enrolment links, TOTP codes) as grouped console security events
/// and throttles the attempts they come from: one event row per type, source and person in each
/// <see cref="ConsoleStore.EventWindow"/> with a count, so a flood of guesses is a handful of rows; after
/// <see cref="MaxRefusalsPerSource"/> refusals from one address within <see cref="Span"/> every further sign-in step
/// from it is answered 429 before anything is verified, and after <see cref="MaxTotpRefusalsPerPerson"/> wrong TOTP codes
/// for one person their TOTP sign-in waits, whatever address the guesses come from. The counts live in the shared
/// store, so every node of a deployment enforces the same limits.
/// </summary>
public sealed class SignInGuard(ConsoleStore store, TimeProvider clock)
{
    public const string WebAuthnRefused = "webauthn.refused";
    public const string EnrolmentRefused = "enrolment.refused";
    public const string TotpRefused = "totp.refused";
    public const string Throttled = "signin.throttled";

    /// <summary>Refusals from one address within <see cref="Span"/> after which its sign-in attempts are refused unverified.</summary>
    public const int MaxRefusalsPerSource = 30;

    /// <summary>Wrong TOTP codes for one person within <see cref="Span"/> after which TOTP sign-in is refused for them.</summary>
    public const int MaxTotpRefusalsPerPerson = 5;

    /// <summary>How far back refusals count towards the limits.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromMinutes(15);

    private static readonly string[] RefusalTypes = [WebAuthnRefused, EnrolmentRefused, TotpRefused];

    /// <summary>Why <paramref name="source"/> may not try to sign in now (429), or null.</summary>
    public async Task<Refusal?> CheckSourceAsync(string? source, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (await store.CountRefusalsFromAsync(source, RefusalTypes, now, Span, cancellationToken) < MaxRefusalsPerSource)
        {
            return null;
        }

        const string reason = "too many refused sign-in attempts from this address; try again in 15 minutes";
        await store.AddGroupedEventAsync(now, Throttled, null, source, reason, cancellationToken);
        return new Refusal(429, reason);
    }

    /// <summary>Why <paramref name="personId"/> may not sign in with a TOTP code now (429), or null.</summary>
    public async Task<Refusal?> CheckTotpAsync(string personId, string? source, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (await store.CountRefusalsForAsync(personId, [TotpRefused], now, Span, cancellationToken) < MaxTotpRefusalsPerPerson)
        {
            return null;
        }

        const string reason = "too many wrong codes for this person; TOTP sign-in waits 15 minutes (a passkey still works)";
        await store.AddGroupedEventAsync(now, Throttled, personId, source, reason, cancellationToken);
        return new Refusal(429, reason);
    }

    /// <summary>Records a refusal in its group and returns it.</summary>
    public async Task<Refusal> RefuseAsync(string type, int status, string reason, string? personId, string? source, CancellationToken cancellationToken)
    {
        await store.AddGroupedEventAsync(clock.GetUtcNow(), type, personId, source, reason.Length > 500 ? reason[..500] : reason, cancellationToken);
        return new Refusal(status, reason);
    }
}
