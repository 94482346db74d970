using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// The capability a page (on its model class) or a handler (on its method) needs. A page without one needs
/// <see cref="Capability.Read"/>; only pages marked <see cref="PublicPageAttribute"/> are open without a session.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequiresAttribute(Capability capability) : Attribute
{
    public Capability Capability { get; } = capability;

    /// <summary>The action also needs a passkey verification within <see cref="Sessions.StepUpWindow"/>.</summary>
    public bool StepUp { get; init; }
}

/// <summary>A page anyone may open (sign-in, enrolment).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class PublicPageAttribute : Attribute;

/// <summary>
/// Checks every page and handler against the session's role before it runs: no session sends the browser to sign in,
/// a role without the capability gets 403, and a sensitive action without a fresh verification sends the browser to
/// verify again (step-up) and come back.
/// </summary>
internal sealed class ConsoleAccessFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var model = context.HandlerInstance.GetType();
        if (model.IsDefined(typeof(PublicPageAttribute), inherit: false))
        {
            await next();
            return;
        }

        var http = context.HttpContext;
        var sessions = http.RequestServices.GetRequiredService<Sessions>();
        var session = await sessions.ResolveAsync(http, http.RequestAborted);
        if (session is null)
        {
            context.Result = new RedirectResult("/signin?returnUrl=" + Uri.EscapeDataString(LocalPath(http)));
            return;
        }

        var page = model.GetCustomAttributes(typeof(RequiresAttribute), inherit: false).OfType<RequiresAttribute>().FirstOrDefault();
        var handler = context.HandlerMethod?.MethodInfo.GetCustomAttributes(typeof(RequiresAttribute), inherit: false).OfType<RequiresAttribute>().FirstOrDefault();
        foreach (var required in new[] { page, handler })
        {
            if (required is null)
            {
                continue;
            }

            if (!session.Person.Role.Allows(required.Capability))
            {
                context.Result = new ContentResult { StatusCode = StatusCodes.Status403Forbidden, ContentType = "text/plain; charset=utf-8", Content = $"403 Forbidden: the {session.Person.Role.ToToken()} role cannot do this." };
                return;
            }

            if (required.StepUp && !sessions.IsFresh(session))
            {
                context.Result = new RedirectResult("/signin?stepup=1&returnUrl=" + Uri.EscapeDataString(LocalPath(http)));
                return;
            }
        }

        await next();
    }

    /// <summary>Where to come back to: the page itself (for a post, without its handler: the person re-submits after the step-up).</summary>
    private static string LocalPath(HttpContext http) => HttpMethods.IsGet(http.Request.Method) ? http.Request.Path + http.Request.QueryString : http.Request.Path.ToString();
}
