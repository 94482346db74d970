using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>The page an enrolment link opens: refused (404 or 410) when the link is unknown, used or expired.</summary>
[PublicPage]
public sealed class EnrolModel : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public string? Refusal { get; private set; }

    public string? Name { get; private set; }

    public string? Role { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var passkeys = HttpContext.RequestServices.GetRequiredService<Passkeys>();
        var (invitation, refusal) = await passkeys.CheckLinkAsync(Token, HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (invitation is null)
        {
            Refusal = refusal!.Reason;
            Response.StatusCode = refusal.Status;
            return;
        }

        Name = invitation.Name;
        Role = invitation.Role.ToToken();
    }
}
