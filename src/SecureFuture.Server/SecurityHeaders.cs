using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace SecureFuture.Server;

/// <summary>
/// The response headers every answer of <c>sfi serve</c> carries, set in one place ahead of every other middleware (the
/// token endpoint included, which OpenIddict answers from the authentication middleware):
/// <list type="bullet">
/// <item><c>X-Content-Type-Options: nosniff</c> — a browser never reads a JSON or problem body as script or HTML.</item>
/// <item><c>Cache-Control: no-store</c> unless the endpoint chose its own caching (only the public JWKS documents do):
/// admin answers, tokens (RFC 6749 §5.1), introspection and whoami hold secrets or per-caller facts that no shared
/// or browser cache may keep.</item>
/// <item><c>Strict-Transport-Security</c> on https requests (RFC 6797 §7.2: never over plain http), so a browser that
/// reached the admin API once over TLS never falls back to clear text.</item>
/// </list>
/// </summary>
internal sealed class SecurityHeaders : IStartupFilter
{
    /// <summary>One year, the value HSTS preload lists ask for.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                if (headers.CacheControl.Count == 0)
                {
                    headers.CacheControl = "no-store";
                }

                if (http.Request.IsHttps)
                {
                    headers.StrictTransportSecurity = StrictTransportSecurity;
                }

                return Task.CompletedTask;
            }, context);
            return nextMiddleware(context);
        });
        next(app);
    };
}
