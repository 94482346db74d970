using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>
/// The signed-in person's own sign-in factors: their passkeys and, when an owner turned TOTP on, an optional TOTP
/// authenticator besides them. Adding one needs a fresh passkey check (a stolen session must not plant a factor).
/// </summary>
public sealed class AccountModel : ConsolePage
{
    public int Passkeys { get; private set; }

    public TotpAuthenticator? Totp { get; private set; }

    public bool TotpEnabled { get; private set; }

    /// <summary>The new secret, in base32, on the one answer that creates it; never shown again.</summary>
    public string? NewSecret { get; private set; }

    public string? NewKeyUri { get; private set; }

    public string? Refusal { get; private set; }

    /// <summary>Whether this session may add a passkey now (a passkey sign-in within the step-up window).</summary>
    public bool Fresh { get; private set; }

    private ConsoleStore Store => HttpContext.RequestServices.GetRequiredService<ConsoleStore>();

    private TotpSignIn TotpService => HttpContext.RequestServices.GetRequiredService<TotpSignIn>();

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    [Requires(Capability.Read, StepUp = true)]
    public async Task<IActionResult> OnPostAddTotpAsync(CancellationToken cancellationToken)
    {
        var (secret, refusal) = await TotpService.BeginAsync(Person!, cancellationToken);
        if (secret is null)
        {
            return Problem(refusal!.Status, refusal.Reason);
        }

        Response.Headers.CacheControl = "no-store"; // the one answer that carries the secret is kept by no cache
        NewSecret = secret;
        NewKeyUri = TotpSignIn.KeyUri(Person!.Name, secret);
        await LoadAsync(cancellationToken);
        return Page();
    }

    [Requires(Capability.Read, StepUp = true)]
    public async Task<IActionResult> OnPostConfirmTotpAsync(string? code, CancellationToken cancellationToken)
    {
        if (await TotpService.ConfirmAsync(Person!, code, WebAuthnEndpoints.Source(HttpContext), cancellationToken) is { } refusal)
        {
            Response.StatusCode = refusal.Status;
            Refusal = refusal.Reason;
            await LoadAsync(cancellationToken);
            return Page();
        }

        Flash = "Your TOTP authenticator was added, as the weaker factor besides your passkey.";
        return Redirect("/account");
    }

    public async Task<IActionResult> OnPostRemoveTotpAsync(CancellationToken cancellationToken)
    {
        await TotpService.RemoveAsync(Person!, cancellationToken);
        Flash = "Your TOTP authenticator was removed.";
        return Redirect("/account");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Passkeys = await Store.CountPasskeysAsync(Person!.Id, cancellationToken);
        Totp = await Store.GetTotpAsync(Person.Id, cancellationToken);
        TotpEnabled = await TotpService.IsEnabledAsync(cancellationToken);
        Fresh = Sessions.Current(HttpContext) is { } session && HttpContext.RequestServices.GetRequiredService<Sessions>().IsFresh(session);
    }
}
