using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>Sign-in with a passkey (the script), and, when an owner turned it on, with a name and a TOTP code (weaker).</summary>
[PublicPage]
public sealed class SignInModel : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The <c>stepup</c> query parameter: "1" (as <see cref="ConsoleAccessFilter"/> links it) or "true".</summary>
    [BindProperty(Name = "stepup", SupportsGet = true)]
    public string? StepUpFlag { get; set; }

    /// <summary>A sensitive action sent the person here to confirm with a passkey.</summary>
    public bool StepUp => StepUpFlag is "1" or "true";

    /// <summary>Whether the TOTP form is offered: TOTP is on, and this is not a step-up (which only a passkey satisfies).</summary>
    public bool OfferTotp { get; private set; }

    public string? Refusal { get; private set; }

    private TotpSignIn Totp => HttpContext.RequestServices.GetRequiredService<TotpSignIn>();

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        ReturnUrl = LocalOrHome(Url, ReturnUrl);
        OfferTotp = !StepUp && await Totp.IsEnabledAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostTotpAsync(string? name, string? code, CancellationToken cancellationToken)
    {
        var (person, refusal) = await Totp.SignInAsync(name, code, WebAuthnEndpoints.Source(HttpContext), cancellationToken);
        if (person is null)
        {
            Response.StatusCode = refusal!.Status;
            Refusal = refusal.Reason;
            ReturnUrl = LocalOrHome(Url, ReturnUrl);
            OfferTotp = await Totp.IsEnabledAsync(cancellationToken);
            return Page();
        }

        await HttpContext.RequestServices.GetRequiredService<Sessions>().StartAsync(HttpContext, person, SignInFactor.Totp, cancellationToken);
        Flash = "Signed in with a TOTP code, the weaker factor: sensitive actions will ask for your passkey.";
        return Redirect(LocalOrHome(Url, ReturnUrl));
    }
}
