using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace WebApp.Controllers;

public sealed class SignInFlowForm
{
    public string ReturnUrl { get; set; } = "";

    public string Button { get; set; } = "";
}

/// <summary>
/// The sign-in pages of an IdentityServer host, as its quickstart UI writes them: a return URL is trusted once the
/// interaction service has found the authorization request it belongs to, or has said it is valid.
/// </summary>
[AllowAnonymous]
public sealed class SignInFlowController(IIdentityServerInteractionService interaction) : Controller
{
    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> Cancel(SignInFlowForm form)
    {
        var context = await interaction.GetAuthorizationContextAsync(form.ReturnUrl);
        if (context != null)
        {
            // Found: the URL belongs to a registered client's authorization request.
            return Redirect(form.ReturnUrl); // SAFE: open-redirect
        }

        return Redirect(form.ReturnUrl); // VULN: open-redirect
    }

    [HttpGet]
    public async Task<IActionResult> Resume(string returnUrl)
    {
        var request = await interaction.GetAuthorizationContextAsync(returnUrl);
        if (request is null)
        {
            return Redirect("~/");
        }

        var next = returnUrl;
        return Redirect(next); // SAFE: open-redirect
    }

    [HttpGet]
    public IActionResult Return(string returnUrl)
    {
        if (interaction.IsValidReturnUrl(returnUrl))
        {
            return Redirect(returnUrl); // SAFE: open-redirect
        }

        return Redirect("~/");
    }

    [HttpGet]
    public IActionResult Leave(string returnUrl) =>
        Redirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/"); // SAFE: open-redirect

    [HttpGet]
    public IActionResult Bounce(string returnUrl, string fallbackUrl) =>
        Redirect(Url.IsLocalUrl(fallbackUrl) ? fallbackUrl : returnUrl); // VULN: open-redirect

    [HttpGet]
    public async Task<IActionResult> Stale(string returnUrl, string otherUrl)
    {
        // The lookup vouches for the URL it was given, not for another one.
        var context = await interaction.GetAuthorizationContextAsync(otherUrl);
        if (context != null)
        {
            return Redirect(returnUrl); // VULN: open-redirect
        }

        return Redirect("~/");
    }
}
