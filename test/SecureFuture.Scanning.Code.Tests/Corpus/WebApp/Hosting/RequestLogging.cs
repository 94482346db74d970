using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WebApp.Hosting;

public sealed class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var agent = context.Request.Headers.UserAgent.ToString();
        logger.LogInformation($"Request {context.Request.Method} from agent {agent}"); // VULN: log-injection

        var started = TimeProvider.System.GetTimestamp();
        await next(context);
        logger.LogInformation("Request of {Length} bytes took {Elapsed} ms", context.Request.ContentLength, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds); // SAFE: log-injection
    }
}
