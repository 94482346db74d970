using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// The four WebAuthn steps the console's script calls: options for an enrolment or a sign-in, then the browser's answer.
/// Every call carries the page's antiforgery token; an answer is verified against the single-use challenge it names.
/// </summary>
internal static class WebAuthnEndpoints
{
    /// <summary>The body the script posts with a credential: the ceremony id the options came with, and the credential's JSON.</summary>
    internal sealed record Answer(string? Ceremony, JsonElement Credential);

    private const long MaxAnswerBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/console/webauthn");
        // An address with too many refusals is answered 429 at every step, before anything is parsed or verified.
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var throttled = await context.RequestServices.GetRequiredService<SignInGuard>().CheckSourceAsync(Source(context), context.RequestAborted);
            return throttled is null ? await next(invocation) : Refused(throttled);
        });
        group.MapPost("/enrol/options", async (HttpContext context, CancellationToken ct) =>
        {
            if (!await ConsoleHost.ValidAntiforgeryAsync(context))
            {
                return Refused(new Refusal(400, "the request's antiforgery token is missing or wrong; reload the page"));
            }

            var form = await context.Request.ReadFormAsync(ct);
            var (ceremony, options, refusal) = await Passkeys(context).BeginEnrolAsync(form["token"].ToString(), Source(context), ct);
            return refusal is not null ? Refused(refusal) : Options(ceremony!, options!);
        });
        group.MapPost("/enrol", async (HttpContext context, CancellationToken ct) =>
        {
            var (answer, bad) = await ReadAnswerAsync(context, ct);
            if (answer is null)
            {
                return bad!;
            }

            var (person, refusal) = await Passkeys(context).CompleteEnrolAsync(answer.Ceremony, answer.Credential, Source(context), ct);
            if (person is null)
            {
                return Refused(refusal!);
            }

            await context.RequestServices.GetRequiredService<Sessions>().StartAsync(context, person, People.SignInFactor.Passkey, ct);
            return Results.Json(new { redirect = "/" });
        });
        group.MapPost("/add/options", async (HttpContext context, CancellationToken ct) =>
        {
            if (!await ConsoleHost.ValidAntiforgeryAsync(context))
            {
                return Refused(new Refusal(400, "the request's antiforgery token is missing or wrong; reload the page"));
            }

            if (FreshPerson(context) is not { } person)
            {
                return Refused(new Refusal(403, "adding a passkey needs a passkey sign-in within the last 5 minutes; confirm with your passkey first"));
            }

            var (ceremony, options) = await Passkeys(context).BeginAddAsync(person, ct);
            return Options(ceremony, options);
        });
        group.MapPost("/add", async (HttpContext context, CancellationToken ct) =>
        {
            var (answer, bad) = await ReadAnswerAsync(context, ct);
            if (answer is null)
            {
                return bad!;
            }

            if (FreshPerson(context) is not { } person)
            {
                return Refused(new Refusal(403, "adding a passkey needs a passkey sign-in within the last 5 minutes; confirm with your passkey first"));
            }

            var refusal = await Passkeys(context).CompleteAddAsync(person, answer.Ceremony, answer.Credential, Source(context), ct);
            return refusal is null ? Results.Json(new { redirect = "/account" }) : Refused(refusal);
        });
        group.MapPost("/signin/options", async (HttpContext context, CancellationToken ct) =>
        {
            if (!await ConsoleHost.ValidAntiforgeryAsync(context))
            {
                return Refused(new Refusal(400, "the request's antiforgery token is missing or wrong; reload the page"));
            }

            var (ceremony, options) = await Passkeys(context).BeginSignInAsync(ct);
            return Options(ceremony, options);
        });
        group.MapPost("/signin", async (HttpContext context, CancellationToken ct) =>
        {
            var (answer, bad) = await ReadAnswerAsync(context, ct);
            if (answer is null)
            {
                return bad!;
            }

            var (person, refusal) = await Passkeys(context).CompleteSignInAsync(answer.Ceremony, answer.Credential, Source(context), ct);
            if (person is null)
            {
                return Refused(refusal!);
            }

            await context.RequestServices.GetRequiredService<Sessions>().StartAsync(context, person, People.SignInFactor.Passkey, ct);
            return Results.Json(new { redirect = "/" });
        });
    }

    private static async Task<(Answer? Answer, IResult? Refusal)> ReadAnswerAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!await ConsoleHost.ValidAntiforgeryAsync(context))
        {
            return (null, Refused(new Refusal(400, "the request's antiforgery token is missing or wrong; reload the page")));
        }

        if (context.Request.ContentLength > MaxAnswerBytes)
        {
            return (null, Refused(new Refusal(413, "the answer must be a JSON object of at most 64 KiB")));
        }

        if (context.Request.ContentLength is null || context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return (null, Refused(new Refusal(400, "the answer must be a JSON object (Content-Type application/json, with a Content-Length)")));
        }

        try
        {
            var answer = await JsonSerializer.DeserializeAsync<Answer>(context.Request.Body, Json, cancellationToken);
            return answer is { Credential.ValueKind: JsonValueKind.Object } ? (answer, null) : (null, Refused(new Refusal(400, "the answer needs 'ceremony' and a 'credential' object")));
        }
        catch (JsonException e)
        {
            return (null, Refused(new Refusal(400, "the answer is not JSON: " + e.Message)));
        }
    }

    private static Passkeys Passkeys(HttpContext context) => context.RequestServices.GetRequiredService<Passkeys>();

    /// <summary>The signed-in person when their session began with a passkey within the step-up window, else null.</summary>
    private static People.Person? FreshPerson(HttpContext context)
        => Sessions.Current(context) is { } session && context.RequestServices.GetRequiredService<Sessions>().IsFresh(session) ? session.Person : null;

    internal static string? Source(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static IResult Options(string ceremony, string optionsJson)
        => Results.Text($"{{\"ceremony\":{JsonSerializer.Serialize(ceremony)},\"options\":{optionsJson}}}", "application/json");

    private static IResult Refused(Refusal refusal) => Results.Problem(statusCode: refusal.Status, title: "Refused", detail: refusal.Reason);
}
