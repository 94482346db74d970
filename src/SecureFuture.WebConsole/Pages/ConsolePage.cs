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
    /// A local path to go back to, or the overview (never another site: no open redirect). As ASP.NET Core's
    /// <c>IsLocalUrl</c>: one leading slash, not followed by another slash or a backslash, and no control character
    /// anywhere, since browsers drop tabs and line breaks from URLs (<c>/\t/evil.example</c> becomes
    /// <c>//evil.example</c>, another site).
    /// </summary>
    public static string LocalOrHome(string? path)
        => path is { Length: > 0 } && path[0] == '/'
           && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'))
           && !path.AsSpan().ContainsAnyInRange('\0', '\x1F') && !path.Contains('\x7F', StringComparison.Ordinal)
            ? path
            : "/";

    protected IActionResult Problem(int status, string message)
    {
        Response.StatusCode = status;
        return Content($"{status}: {message}", "text/plain; charset=utf-8");
    }
}
