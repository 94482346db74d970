using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Auth;

/// <summary>Why a WebAuthn step or an enrolment link was refused; the text is shown to the person and recorded.</summary>
public sealed record Refusal(int Status, string Reason);

/// <summary>
/// Passkey enrolment and sign-in (WebAuthn Level 3, verified by the Fido2 library). Every challenge is kept server-side
/// as a single-use ceremony that expires; an enrolment is bound to the invitation it started from, and the invitation
/// is used in the same transaction that stores the person and the passkey. A refused response stores nothing and is
/// recorded as a console security event.
/// </summary>
public sealed class Passkeys(ConsoleStore store, IFido2 fido2, ConsoleAudit audit, SignInGuard guard, TimeProvider clock)
{
    public const string EnrolKind = "enrol";
    public const string SignInKind = "signin";
    public const string AddKind = "add";

    /// <summary>How long a browser has to answer a challenge.</summary>
    public static readonly TimeSpan CeremonyLifetime = TimeSpan.FromMinutes(5);

    /// <summary>The link printed at first start, for the first owner.</summary>
    public static readonly TimeSpan FirstOwnerLinkLifetime = TimeSpan.FromMinutes(15);

    /// <summary>An invitation made in the console.</summary>
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromHours(24);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates an invitation; returns it with its token, which exists nowhere else (only its hash is stored).</summary>
    public async Task<(Invitation Invitation, string Token)> InviteAsync(string name, Role role, TimeSpan lifetime, string by, CancellationToken cancellationToken)
    {
        var token = "sfi_enrol_" + Sessions.Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var invitation = new Invitation(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), name, role, now, now + lifetime, null, by);
        await store.AddInvitationAsync(invitation, Sessions.Hash(token), cancellationToken);
        await audit.RecordAsync(by, "console.person-invited", new Dictionary<string, string> { ["invitation"] = invitation.Id, ["name"] = name, ["role"] = role.ToToken(), ["expires"] = invitation.ExpiresAt.ToString("O") }, cancellationToken);
        return (invitation, token);
    }

    /// <summary>The invitation a link carries, or why it cannot be used (unknown, used, expired).</summary>
    public async Task<(Invitation? Invitation, Refusal? Refusal)> CheckLinkAsync(string? token, string? source, CancellationToken cancellationToken)
    {
        var invitation = token is { Length: > 0 and < 200 } ? await store.FindInvitationAsync(Sessions.Hash(token), cancellationToken) : null;
        var refusal = invitation switch
        {
            null => new Refusal(404, "this enrolment link is not known"),
            { UsedAt: not null } => new Refusal(410, "this enrolment link was already used; ask an owner for a new one"),
            _ when invitation.ExpiresAt <= clock.GetUtcNow() => new Refusal(410, "this enrolment link has expired; ask an owner for a new one"),
            _ => null,
        };
        if (refusal is not null)
        {
            return (null, await guard.RefuseAsync(SignInGuard.EnrolmentRefused, refusal.Status, refusal.Reason, null, source, cancellationToken));
        }

        return (invitation, null);
    }

    /// <summary>Starts enrolment from a link: WebAuthn creation options for a new person, discoverable credential, user verification required.</summary>
    public async Task<(string? Ceremony, string? OptionsJson, Refusal? Refusal)> BeginEnrolAsync(string? token, string? source, CancellationToken cancellationToken)
    {
        var (invitation, refusal) = await CheckLinkAsync(token, source, cancellationToken);
        if (invitation is null)
        {
            return (null, null, refusal);
        }

        var personId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var options = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = Encoding.UTF8.GetBytes(personId), Name = invitation.Name, DisplayName = invitation.Name },
            ExcludeCredentials = [],
            AuthenticatorSelection = new AuthenticatorSelection { ResidentKey = ResidentKeyRequirement.Required, UserVerification = UserVerificationRequirement.Required },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        var ceremony = Sessions.Base64Url(RandomNumberGenerator.GetBytes(16));
        await store.AddCeremonyAsync(ceremony, EnrolKind, options.ToJson(), invitation.Id, clock.GetUtcNow() + CeremonyLifetime, cancellationToken);
        return (ceremony, options.ToJson(), null);
    }

    /// <summary>Verifies the browser's attestation and stores the person and the passkey, using the invitation.</summary>
    public async Task<(Person? Person, Refusal? Refusal)> CompleteEnrolAsync(string? ceremony, JsonElement credential, string? source, CancellationToken cancellationToken)
    {
        var pending = ceremony is { Length: > 0 and < 100 } ? await store.TakeCeremonyAsync(ceremony, EnrolKind, clock.GetUtcNow(), cancellationToken) : null;
        if (pending is not { InvitationId: { } invitationId } taken)
        {
            return await RefuseAsync(400, "the enrolment challenge is unknown, used or expired; start again", null, source, cancellationToken);
        }

        var invitation = await store.GetInvitationAsync(invitationId, cancellationToken);
        if (invitation is null)
        {
            return await RefuseAsync(410, "the invitation no longer exists", null, source, cancellationToken);
        }

        RegisteredPublicKeyCredential registered;
        try
        {
            var response = credential.Deserialize<AuthenticatorAttestationRawResponse>(Json) ?? throw new JsonException("null credential");
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = CredentialCreateOptions.FromJson(taken.Options),
                IsCredentialIdUniqueToUserCallback = async (args, ct) => await store.FindPasskeyAsync(args.CredentialId, ct) is null,
            }, cancellationToken);
        }
        catch (Exception e) when (e is Fido2VerificationException or JsonException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            return await RefuseAsync(400, "the passkey was not accepted: " + Describe(e), null, source, cancellationToken);
        }

        var options = CredentialCreateOptions.FromJson(taken.Options);
        var now = clock.GetUtcNow();
        var person = new Person(Encoding.UTF8.GetString(options.User.Id), invitation.Name, invitation.Role, now, invitation.CreatedBy);
        var passkey = new Passkey(registered.Id, person.Id, registered.PublicKey, registered.SignCount, now);
        if (!await store.EnrolAsync(invitation.Id, person, passkey, now, cancellationToken))
        {
            return await RefuseAsync(410, "this enrolment link was used or expired meanwhile", null, source, cancellationToken);
        }

        await audit.RecordAsync(Actor(person), "console.person-enrolled", new Dictionary<string, string> { ["invitation"] = invitation.Id, ["role"] = person.Role.ToToken(), ["invitedBy"] = invitation.CreatedBy }, cancellationToken);
        return (person, null);
    }

    /// <summary>
    /// Starts adding another passkey (recovery: a second device) for a signed-in person: creation options for their
    /// own user handle, excluding the passkeys they already have. The ceremony is bound to them through those options.
    /// </summary>
    public async Task<(string Ceremony, string OptionsJson)> BeginAddAsync(Person person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        var existing = await store.ListPasskeyIdsAsync(person.Id, cancellationToken);
        var options = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = Encoding.UTF8.GetBytes(person.Id), Name = person.Name, DisplayName = person.Name },
            ExcludeCredentials = [.. existing.Select(id => new PublicKeyCredentialDescriptor(id))],
            AuthenticatorSelection = new AuthenticatorSelection { ResidentKey = ResidentKeyRequirement.Required, UserVerification = UserVerificationRequirement.Required },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        var ceremony = Sessions.Base64Url(RandomNumberGenerator.GetBytes(16));
        await store.AddCeremonyAsync(ceremony, AddKind, options.ToJson(), null, clock.GetUtcNow() + CeremonyLifetime, cancellationToken);
        return (ceremony, options.ToJson());
    }

    /// <summary>Verifies the browser's attestation for <paramref name="person"/>'s new passkey and stores it.</summary>
    public async Task<Refusal?> CompleteAddAsync(Person person, string? ceremony, JsonElement credential, string? source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        var pending = ceremony is { Length: > 0 and < 100 } ? await store.TakeCeremonyAsync(ceremony, AddKind, clock.GetUtcNow(), cancellationToken) : null;
        var options = pending is { } taken ? CredentialCreateOptions.FromJson(taken.Options) : null;
        if (options is null || Encoding.UTF8.GetString(options.User.Id) != person.Id)
        {
            return await guard.RefuseAsync(SignInGuard.WebAuthnRefused, 400, "the challenge is unknown, used, expired or another person's; start again", person.Id, source, cancellationToken);
        }

        RegisteredPublicKeyCredential registered;
        try
        {
            var response = credential.Deserialize<AuthenticatorAttestationRawResponse>(Json) ?? throw new JsonException("null credential");
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = options,
                IsCredentialIdUniqueToUserCallback = async (args, ct) => await store.FindPasskeyAsync(args.CredentialId, ct) is null,
            }, cancellationToken);
        }
        catch (Exception e) when (e is Fido2VerificationException or JsonException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            return await guard.RefuseAsync(SignInGuard.WebAuthnRefused, 400, "the passkey was not accepted: " + Describe(e), person.Id, source, cancellationToken);
        }

        var now = clock.GetUtcNow();
        await store.AddPasskeyAsync(new Passkey(registered.Id, person.Id, registered.PublicKey, registered.SignCount, now), cancellationToken);
        await audit.RecordAsync(Actor(person), "console.passkey-added", new Dictionary<string, string> { ["credential"] = Sessions.Base64Url(SHA256.HashData(registered.Id))[..16] }, cancellationToken);
        return null;
    }

    /// <summary>Starts a sign-in: a challenge for any of this site's discoverable passkeys, user verification required.</summary>
    public async Task<(string Ceremony, string OptionsJson)> BeginSignInAsync(CancellationToken cancellationToken)
    {
        var options = fido2.GetAssertionOptions(new GetAssertionOptionsParams { AllowedCredentials = [], UserVerification = UserVerificationRequirement.Required });
        var ceremony = Sessions.Base64Url(RandomNumberGenerator.GetBytes(16));
        await store.AddCeremonyAsync(ceremony, SignInKind, options.ToJson(), null, clock.GetUtcNow() + CeremonyLifetime, cancellationToken);
        return (ceremony, options.ToJson());
    }

    /// <summary>Verifies the browser's assertion against the stored passkey and moves its counter forward.</summary>
    public async Task<(Person? Person, Refusal? Refusal)> CompleteSignInAsync(string? ceremony, JsonElement credential, string? source, CancellationToken cancellationToken)
    {
        var pending = ceremony is { Length: > 0 and < 100 } ? await store.TakeCeremonyAsync(ceremony, SignInKind, clock.GetUtcNow(), cancellationToken) : null;
        if (pending is not { } taken)
        {
            return await RefuseAsync(400, "the sign-in challenge is unknown, used or expired; start again", null, source, cancellationToken);
        }

        AuthenticatorAssertionRawResponse response;
        try
        {
            response = credential.Deserialize<AuthenticatorAssertionRawResponse>(Json) ?? throw new JsonException("null credential");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or NotSupportedException)
        {
            return await RefuseAsync(400, "the sign-in response is malformed: " + Describe(e), null, source, cancellationToken);
        }

        var passkey = response.RawId is { Length: > 0 } ? await store.FindPasskeyAsync(response.RawId, cancellationToken) : null;
        if (passkey is null)
        {
            return await RefuseAsync(401, "this passkey is not registered here (or its person was removed)", null, source, cancellationToken);
        }

        VerifyAssertionResult result;
        try
        {
            result = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = AssertionOptions.FromJson(taken.Options),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = passkey.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (args, _) => Task.FromResult(args.UserHandle is null || Encoding.UTF8.GetString(args.UserHandle) == passkey.PersonId),
            }, cancellationToken);
        }
        catch (Exception e) when (e is Fido2VerificationException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            return await RefuseAsync(401, "the passkey's answer was not accepted: " + Describe(e), passkey.PersonId, source, cancellationToken);
        }

        // WebAuthn §6.1.1 step 22: a counter that does not move forward signals a cloned authenticator; the library refuses
        // it against the stored value, and this conditional update refuses the same answer racing another sign-in.
        if (!await store.AdvanceCounterAsync(passkey.CredentialId, passkey.SignCount, result.SignCount, clock.GetUtcNow(), cancellationToken))
        {
            return await RefuseAsync(401, "the passkey was used by another sign-in at the same moment", passkey.PersonId, source, cancellationToken);
        }

        var person = await store.GetPersonAsync(passkey.PersonId, cancellationToken);
        return person is null ? await RefuseAsync(401, "this person was removed", passkey.PersonId, source, cancellationToken) : (person, null);
    }

    public static string Actor(Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        return $"person:{person.Id} ({person.Name})";
    }

    private async Task<(Person?, Refusal?)> RefuseAsync(int status, string reason, string? personId, string? source, CancellationToken cancellationToken)
        => (null, await guard.RefuseAsync(SignInGuard.WebAuthnRefused, status, reason, personId, source, cancellationToken));

    private static string Describe(Exception e) => e is Fido2VerificationException ? e.Message : e.GetType().Name + ": " + e.Message;
}
