using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SecureFuture.Identity.Validation.AspNetCore;

/// <summary>The receiving end of RFC 8935 push delivery, for resource servers that want events the moment they happen.</summary>
public static class SecurityEventPushEndpoint
{
    private const int MaxSetBytes = 64 * 1024;

    /// <summary>
    /// Maps <c>POST pattern</c>: a SET as <c>application/secevent+jwt</c>, verified and applied by
    /// <paramref name="receiver"/>; 202 when accepted, 400 with <c>{"err", "description"}</c> (RFC 8935 §2.3) otherwise.
    /// </summary>
    public static IEndpointConventionBuilder MapSecurityEventPush(this IEndpointRouteBuilder endpoints, string pattern, SecurityEventReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(receiver);
        return endpoints.MapPost(pattern, async (HttpContext context) =>
        {
            if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), "application/secevent+jwt", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Json(new { err = "invalid_request", description = "Content-Type must be application/secevent+jwt" }, statusCode: 400);
            }

            var buffer = new byte[MaxSetBytes + 1];
            var length = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0)
            {
                length += read;
                if (length > MaxSetBytes)
                {
                    return Results.Json(new { err = "invalid_request", description = "the SET is too large" }, statusCode: 400);
                }
            }

            var refused = await receiver.ApplyAsync(Encoding.ASCII.GetString(buffer, 0, length).Trim(), context.RequestAborted);
            return refused is null
                ? Results.StatusCode(StatusCodes.Status202Accepted)
                : Results.Json(new { err = refused.Contains("signature", StringComparison.Ordinal) ? "invalid_key" : "invalid_request", description = refused }, statusCode: 400);
        });
    }
}
