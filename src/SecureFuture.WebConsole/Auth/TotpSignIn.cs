using Microsoft.AspNetCore.DataProtection;
using OtpNet;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// TOTP (RFC 6238) as an opt-in, weaker second way to sign in. It is off until an owner turns it on for the deployment;
/// a person may then add one TOTP authenticator besides their passkey (never instead: everyone enrols with a passkey
/// first, and adding TOTP needs a fresh passkey check). The secret is shown once, at enrolment, and stored encrypted
/// with the deployment's Data Protection key ring; a code is accepted once (its time step must be later than every step
/// accepted before, decided by one conditional update in the shared store), wrong codes are recorded and throttled by
/// <see cref="SignInGuard"/>, and a TOTP sign-in never counts as a step-up for sensitive actions.
/// </summary>
public sealed class TotpSignIn(ConsoleStore store, IDataProtector protector, ConsoleAudit audit, SignInGuard guard, TimeProvider clock)
{
    /// <summary>The console setting that turns TOTP on ("on") or off (anything else, or absent).</summary>
    public const string Setting = "totp";

    public const int Digits = 6;

    /// <summary>The code of the previous and of the next 30-second step are accepted too (clock drift between phone and server).</summary>
    private static readonly VerificationWindow Drift = new(previous: 1, future: 1);

    public async Task<bool> IsEnabledAsync(CancellationToken cancellationToken)
        => await store.GetSettingAsync(Setting, cancellationToken) == "on";

    /// <summary>Turns TOTP on or off for everyone. Off also ends every session that began with a TOTP code.</summary>
    public async Task SetEnabledAsync(bool enabled, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await store.SetSettingAsync(Setting, enabled ? "on" : "off", actor, now, cancellationToken);
        var ended = enabled ? 0 : await store.RevokeSessionsAsync(SignInFactor.Totp, now, cancellationToken);
        await audit.RecordAsync(actor, enabled ? "console.totp-enabled" : "console.totp-disabled",
            new Dictionary<string, string> { ["sessionsEnded"] = ended.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken);
    }

    /// <summary>
    /// Starts adding a TOTP authenticator for <paramref name="person"/>: a new random secret (160 bits, RFC 4226 §4),
    /// stored encrypted and unconfirmed until a code from it is entered. Returns the secret in base32, for this one
    /// answer only, or why not.
    /// </summary>
    public async Task<(string? Secret, Refusal? Refusal)> BeginAsync(Person person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        if (!await IsEnabledAsync(cancellationToken))
        {
            return (null, new Refusal(403, "TOTP is off for this deployment; an owner can turn it on"));
        }

        if (await store.CountPasskeysAsync(person.Id, cancellationToken) == 0)
        {
            return (null, new Refusal(409, "a TOTP authenticator is only ever added besides a passkey; enrol a passkey first"));
        }

        if ((await store.FindTotpPeopleByNameAsync(person.Name, cancellationToken)).Any(p => p.Id != person.Id))
        {
            return (null, new Refusal(409, "someone else with this name already signs in with TOTP; names identify people at TOTP sign-in, so ask an owner to invite you under a distinct name"));
        }

        var secret = KeyGeneration.GenerateRandomKey(20);
        if (!await store.AddPendingTotpAsync(person.Id, protector.Protect(Base32Encoding.ToString(secret)), clock.GetUtcNow(), cancellationToken))
        {
            return (null, new Refusal(409, "you already have a TOTP authenticator; remove it first to replace it"));
        }

        return (Base32Encoding.ToString(secret), null);
    }

    /// <summary>Confirms the pending authenticator with a code from it.</summary>
    public async Task<Refusal?> ConfirmAsync(Person person, string? code, string? source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        var totp = await store.GetTotpAsync(person.Id, cancellationToken);
        if (totp is not { ConfirmedAt: null })
        {
            return new Refusal(409, "there is no TOTP authenticator waiting for confirmation; start again");
        }

        if (Verify(totp, code) is not { } step || !await store.UseTotpStepAsync(person.Id, step, confirm: true, clock.GetUtcNow(), cancellationToken))
        {
            return await guard.RefuseAsync(SignInGuard.TotpRefused, 400, "the code does not match the new authenticator; check its clock and try the next code", person.Id, source, cancellationToken);
        }

        await audit.RecordAsync(Passkeys.Actor(person), "console.totp-added", null, cancellationToken);
        return null;
    }

    /// <summary>Signs in with a name and a code: the person, or why not (the same answer whether the name or the code is wrong).</summary>
    public async Task<(Person? Person, Refusal? Refusal)> SignInAsync(string? name, string? code, string? source, CancellationToken cancellationToken)
    {
        if (await guard.CheckSourceAsync(source, cancellationToken) is { } throttled)
        {
            return (null, throttled);
        }

        if (!await IsEnabledAsync(cancellationToken))
        {
            return (null, await guard.RefuseAsync(SignInGuard.TotpRefused, 403, "TOTP sign-in is off for this deployment; sign in with your passkey", null, source, cancellationToken));
        }

        const string wrong = "the name and code do not match a TOTP authenticator here (a code works once)";
        var people = name is { Length: > 0 and <= 100 } ? await store.FindTotpPeopleByNameAsync(name.Trim(), cancellationToken) : [];
        if (people is not [var person])
        {
            return (null, await guard.RefuseAsync(SignInGuard.TotpRefused, 401, wrong, null, source, cancellationToken));
        }

        if (await guard.CheckTotpAsync(person.Id, source, cancellationToken) is { } locked)
        {
            return (null, locked);
        }

        var totp = await store.GetTotpAsync(person.Id, cancellationToken);
        if (totp is not { ConfirmedAt: not null } || Verify(totp, code) is not { } step || !await store.UseTotpStepAsync(person.Id, step, confirm: false, clock.GetUtcNow(), cancellationToken))
        {
            return (null, await guard.RefuseAsync(SignInGuard.TotpRefused, 401, wrong, person.Id, source, cancellationToken));
        }

        return (person, null);
    }

    public async Task RemoveAsync(Person person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        if (await store.RemoveTotpAsync(person.Id, cancellationToken))
        {
            await audit.RecordAsync(Passkeys.Actor(person), "console.totp-removed", null, cancellationToken);
        }
    }

    /// <summary>The <c>otpauth://</c> URI authenticator apps read (Key Uri Format): issuer, account and secret.</summary>
    public static string KeyUri(string account, string secret)
        => $"otpauth://totp/SecureFuture:{Uri.EscapeDataString(account)}?secret={secret}&issuer=SecureFuture&digits={Digits}&period=30";

    /// <summary>The time step <paramref name="code"/> belongs to, or null when it is malformed or matches no step in the window.</summary>
    private long? Verify(TotpAuthenticator totp, string? code)
    {
        if (code is not { Length: Digits } || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        byte[] secret;
        try
        {
            secret = Base32Encoding.ToBytes(protector.Unprotect(totp.ProtectedSecret));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null; // a secret this key ring cannot read (keys lost or tampered): fail closed
        }

        return new Totp(secret, totpSize: Digits).VerifyTotp(clock.GetUtcNow().UtcDateTime, code, out var step, Drift) ? step : null;
    }
}
