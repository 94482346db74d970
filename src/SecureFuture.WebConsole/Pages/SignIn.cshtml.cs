using Microsoft.AspNetCore.Mvc;
using SecureFuture.WebConsole.Auth;

namespace SecureFuture.WebConsole.Pages;

[PublicPage]
public sealed class SignInModel : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty(Name = "stepup", SupportsGet = true)]
    public bool StepUp { get; set; }

    public void OnGet() => ReturnUrl = LocalOrHome(ReturnUrl);
}
