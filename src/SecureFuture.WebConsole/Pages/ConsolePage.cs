using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>The base of every console page: the signed-in person (set by <see cref="ConsoleAccessFilter"/>) and what they may do.</summary>
public abstract class ConsolePage : PageModel
{
    /// <summary>The signed-in person; null only on public pages.</summary>
    public Person? Person => Sessions.Current(HttpContext)?.Person;

    /// <summary>How the signed-in person signed in this session.</summary>
    public SignInFactor? Factor => Sessions.Current(HttpContext)?.Factor;

    public bool Can(Capability capability) => Person?.Role.Allows(capability) == true;

    /// <summary>A message for the next page, shown once after a redirect (post/redirect/get).</summary>
    [TempData]
    public string? Flash { get; set; }

    protected ConsoleSetup Setup => HttpContext.RequestServices.GetRequiredService<ConsoleSetup>();

    protected ConsoleAudit AuditLog => HttpContext.RequestServices.GetRequiredService<ConsoleAudit>();

    protected string Actor => Passkeys.Actor(Person ?? throw new InvalidOperationException("no one is signed in"));

    /// <summary>
    /// A local path to go back to, or the overview (never another site: no open redirect), by ASP.NET Core's own
    /// <see cref="IUrlHelper.IsLocalUrl"/>: one leading slash not followed by another slash or a backslash, and no
    /// control character (browsers drop tabs and line breaks, so <c>/\t/evil.example</c> would be another site).
    /// </summary>
    public static string LocalOrHome(IUrlHelper url, string? path)
    {
        ArgumentNullException.ThrowIfNull(url);
        return path is { Length: > 0 } && path[0] == '/' && url.IsLocalUrl(path) ? path : "/";
    }

    protected IActionResult Problem(int status, string message)
    {
        Response.StatusCode = status;
        return Content($"{status}: {message}", "text/plain; charset=utf-8");
    }
}
