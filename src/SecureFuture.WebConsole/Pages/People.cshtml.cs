using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>People and invitations. Inviting and removing are owners' actions and need a fresh passkey check.</summary>
public sealed class PeopleModel : ConsolePage
{
    public IReadOnlyList<Person> People { get; private set; } = [];

    public IReadOnlyList<Invitation> Invitations { get; private set; } = [];

    public string? NewLink { get; private set; }

    public string? NewName { get; private set; }

    public string? NewExpiry { get; private set; }

    /// <summary>Each person's factors: passkeys, and whether they also have the weaker TOTP.</summary>
    public IReadOnlyDictionary<string, (int Passkeys, bool Totp)> Factors { get; private set; } = new Dictionary<string, (int, bool)>();

    public bool TotpEnabled { get; private set; }

    private TotpSignIn Totp => HttpContext.RequestServices.GetRequiredService<TotpSignIn>();

    private ConsoleStore Store => HttpContext.RequestServices.GetRequiredService<ConsoleStore>();

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    [Requires(Capability.ManagePeople, StepUp = true)]
    public async Task<IActionResult> OnPostInviteAsync(string? name, string? role, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || !Roles.TryParse(role, out var parsed))
        {
            return Problem(400, "an invitation needs a name of at most 100 characters and one of the roles owner, security-admin, key-operator, reader");
        }

        var passkeys = HttpContext.RequestServices.GetRequiredService<Passkeys>();
        var (invitation, token) = await passkeys.InviteAsync(name.Trim(), parsed, Passkeys.InvitationLifetime, Actor, cancellationToken);
        NewLink = ConsoleHost.EnrolLink(Setup.Origin, token);
        NewName = invitation.Name;
        NewExpiry = invitation.ExpiresAt.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        await LoadAsync(cancellationToken);
        return Page();
    }

    [Requires(Capability.ManagePeople, StepUp = true)]
    public async Task<IActionResult> OnPostRemoveAsync(string person, CancellationToken cancellationToken)
    {
        var target = await Store.GetPersonAsync(person, cancellationToken);
        if (target is null)
        {
            return Problem(404, "no such person");
        }

        if (target.Id == Person?.Id)
        {
            return Problem(409, "you cannot remove yourself; another owner can");
        }

        if (target.Role == Role.Owner && await Store.CountOwnersAsync(cancellationToken) <= 1)
        {
            return Problem(409, "the last owner cannot be removed");
        }

        // Their passkeys stop working and every session of theirs ends now, on every node.
        await Store.RemovePersonAsync(target.Id, Setup.Clock.GetUtcNow(), cancellationToken);
        await AuditLog.RecordAsync(Actor, "console.person-removed", new Dictionary<string, string> { ["person"] = target.Id, ["name"] = target.Name, ["role"] = target.Role.ToToken() }, cancellationToken);
        Flash = $"{target.Name} was removed; their sessions ended.";
        return Redirect("/people");
    }

    /// <summary>Turns TOTP sign-in on or off for the deployment: an owner's decision, with a fresh passkey check.</summary>
    [Requires(Capability.ConfigureSignIn, StepUp = true)]
    public async Task<IActionResult> OnPostTotpAsync(string? enabled, CancellationToken cancellationToken)
    {
        var on = enabled == "on";
        await Totp.SetEnabledAsync(on, Actor, cancellationToken);
        Flash = on
            ? "TOTP sign-in is on, as a weaker factor people may add besides their passkey."
            : "TOTP sign-in is off; sessions that began with a TOTP code ended.";
        return Redirect("/people");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        People = await Store.ListPeopleAsync(cancellationToken);
        Factors = await Store.ListFactorsAsync(cancellationToken);
        TotpEnabled = await Totp.IsEnabledAsync(cancellationToken);
        Invitations = await Store.ListOpenInvitationsAsync(Setup.Clock.GetUtcNow(), cancellationToken);
    }
}
