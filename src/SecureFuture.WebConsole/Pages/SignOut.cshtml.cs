using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.Auth;

namespace SecureFuture.WebConsole.Pages;

/// <summary>Signing out revokes the session server-side: the cookie, even copied elsewhere, no longer opens anything.</summary>
[PublicPage]
public sealed class SignOutModel : ConsolePage
{
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var person = Person;
        await HttpContext.RequestServices.GetRequiredService<Sessions>().EndAsync(HttpContext, cancellationToken);
        if (person is not null)
        {
            await AuditLog.RecordAsync(Passkeys.Actor(person), "console.signed-out", null, cancellationToken);
        }

        return Redirect("/signin");
    }
}
