using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// Console sessions: a random token in a <c>__Host-</c> cookie (Secure, HttpOnly, SameSite=Strict, path /, no domain,
/// so no sibling host and no plain-http page can set or read it), kept server-side only as its SHA-256, so that signing
/// out or removing a person ends the session on every node at once and a copied cookie stops working.
/// </summary>
public sealed class Sessions(ConsoleStore store, TimeProvider clock)
{
    public const string CookieName = "__Host-sfi-session";

    /// <summary>A session ends this long after sign-in, however active.</summary>
    public static readonly TimeSpan AbsoluteLimit = TimeSpan.FromHours(8);

    /// <summary>A session ends after this long without a request.</summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(30);

    /// <summary>Sensitive actions need a passkey verification at most this old (step-up).</summary>
    public static readonly TimeSpan StepUpWindow = TimeSpan.FromMinutes(5);

    private const string ItemKey = "sfi.console.session";

    /// <summary>Starts a session for <paramref name="person"/>, who signed in with <paramref name="factor"/>; the cookie carries its only copy of the token.</summary>
    public async Task StartAsync(HttpContext context, Person person, SignInFactor factor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(person);
        // A new sign-in never reuses the browser's previous session (no fixation): that one is revoked.
        await RevokeAsync(context, cancellationToken);
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        await store.AddSessionAsync(Hash(token), person.Id, clock.GetUtcNow(), factor, cancellationToken);
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
            MaxAge = AbsoluteLimit,
        });
    }

    /// <summary>The request's live session, or null: revoked, expired (absolute or idle), unknown, or its person removed.</summary>
    public async Task<ConsoleSession?> ResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(ItemKey, out var cached))
        {
            return cached as ConsoleSession;
        }

        ConsoleSession? session = null;
        if (context.Request.Cookies.TryGetValue(CookieName, out var token) && token is { Length: > 0 and < 100 })
        {
            session = await store.FindSessionAsync(Hash(token), cancellationToken);
            var now = clock.GetUtcNow();
            if (session is not null && (now - session.CreatedAt >= AbsoluteLimit || now - session.LastSeenAt >= IdleLimit))
            {
                await store.RevokeSessionAsync(session.Hash, now, cancellationToken);
                session = null;
            }

            if (session is not null && now - session.LastSeenAt >= TimeSpan.FromMinutes(1))
            {
                // The idle clock moves at most once a minute: one write per minute of activity, not one per request.
                await store.TouchSessionAsync(session.Hash, now, cancellationToken);
            }
        }

        context.Items[ItemKey] = session;
        if (session is not null)
        {
            context.User = Principal(session);
        }

        return session;
    }

    /// <summary>Revokes the request's session server-side and clears the cookie.</summary>
    public async Task EndAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await RevokeAsync(context, cancellationToken);
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Secure = true, HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
    }

    private async Task RevokeAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var token) && token is { Length: > 0 and < 100 })
        {
            await store.RevokeSessionAsync(Hash(token), clock.GetUtcNow(), cancellationToken);
        }

        context.Items.Remove(ItemKey);
    }

    /// <summary>The session <see cref="ResolveAsync"/> found for this request (null when none, or not resolved yet).</summary>
    public static ConsoleSession? Current(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(ItemKey, out var session) ? session as ConsoleSession : null;
    }

    /// <summary>Whether the session may do a sensitive action now: it began with a passkey within <see cref="StepUpWindow"/>. A TOTP sign-in never counts.</summary>
    public bool IsFresh(ConsoleSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Factor == SignInFactor.Passkey && clock.GetUtcNow() - session.VerifiedAt <= StepUpWindow;
    }

    internal static ClaimsPrincipal Principal(ConsoleSession session) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, session.Person.Id), new Claim(ClaimTypes.Name, session.Person.Name), new Claim(ClaimTypes.Role, session.Person.Role.ToToken())],
        authenticationType: session.Factor.ToToken()));

    internal static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
