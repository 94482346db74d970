using System.Data.Common;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Fido2NetLib;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.Findings.Store;
using SecureFuture.Keys;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole;

/// <summary>What the console needs from the server that hosts it.</summary>
/// <param name="Origin">The origin browsers use to reach the console (scheme, host, port); its host is the WebAuthn RP id.</param>
/// <param name="AdminKeyEnabled">Whether the bootstrap admin key is accepted on <c>/v1/*</c> (shown on every page).</param>
/// <param name="FindingsChanged">Called after the console changed a finding (a decision), so the hub's cached metrics are computed again.</param>
public sealed record ConsoleSetup(DbDataSource DataSource, bool Postgres, KeyRingService Keys, IFindingStore Findings, Uri Origin, bool AdminKeyEnabled, TimeProvider Clock, Action? FindingsChanged = null);

/// <summary>
/// Adds the web console to an ASP.NET Core host: Razor Pages rendered on the server at <c>/</c>, passkey sign-in,
/// sessions, roles and the console's security headers. <c>sfi serve</c> calls <see cref="AddAsync"/> before it builds
/// the host and <see cref="Map"/> after.
/// </summary>
public static class ConsoleHost
{
    /// <summary>The header the console's script sends the antiforgery token in (its forms carry it as a field).</summary>
    public const string AntiforgeryHeader = "X-CSRF-Token";

    /// <summary>The largest form post the console reads.</summary>
    public const long MaxFormBytes = 64 * 1024;

    /// <summary>Registers the console and prepares its tables; prints the first owner's enrolment link when no one can sign in yet.</summary>
    public static async Task AddAsync(IServiceCollection services, ConsoleSetup setup, TextWriter console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(console);
        var store = new ConsoleStore(setup.DataSource, setup.Postgres);
        await store.InitializeAsync(cancellationToken);
        SharedKeyRing.Add(services, store, setup.Keys.Custodian, setup.Keys.Store.InstallationId, setup.Clock);
        var audit = new ConsoleAudit(setup.Keys.Store, setup.Clock);
        var fido2 = new Fido2(new Fido2Configuration
        {
            RPID = setup.Origin.Host,
            RPName = "SecureFuture",
            Origins = new HashSet<string>(StringComparer.Ordinal) { setup.Origin.GetLeftPart(UriPartial.Authority) },
            TimestampDriftTolerance = 0,
        }, metadataService: null);
        var guard = new SignInGuard(store, setup.Clock);
        var passkeys = new Passkeys(store, fido2, audit, guard, setup.Clock);
        services.AddSingleton(setup);
        services.AddSingleton(store);
        services.AddSingleton(audit);
        services.AddSingleton(guard);
        services.AddSingleton(passkeys);
        services.AddSingleton(provider => new TotpSignIn(store, provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("SecureFuture.WebConsole.Totp.v1"), audit, guard, setup.Clock));
        services.AddSingleton(new Sessions(store, setup.Clock));
        services.AddSingleton<IFido2>(fido2);
        services.AddRazorPages(pages => pages.Conventions.ConfigureFilter(new ConsoleAccessFilter()))
            .AddApplicationPart(typeof(ConsoleHost).Assembly);
        // Over https the antiforgery and flash cookies are __Host- cookies like the session's. ASP.NET Core refuses to
        // send a Secure-only antiforgery cookie on a plain-http request, which sfi serve allows only on loopback (or with
        // --allow-plain-http), so there they are plain host-only cookies; the session cookie stays __Host- and Secure,
        // which browsers accept from http://localhost, a secure context.
        var tls = setup.Origin.Scheme == Uri.UriSchemeHttps;
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(flash =>
        {
            flash.Cookie.Name = tls ? "__Host-sfi-flash" : "sfi-flash";
            flash.Cookie.SecurePolicy = tls ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            flash.Cookie.SameSite = SameSiteMode.Strict;
            flash.Cookie.Path = "/";
        });
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = tls ? "__Host-sfi-antiforgery" : "sfi-antiforgery";
            antiforgery.Cookie.SecurePolicy = tls ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.Path = "/";
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.SuppressXFrameOptionsHeader = true; // ConsoleHeaders sends DENY on every answer instead
        });

        if (await store.CountPeopleAsync(cancellationToken) == 0)
        {
            var (invitation, token) = await passkeys.InviteAsync("first owner", Role.Owner, Passkeys.FirstOwnerLinkLifetime, "bootstrap", cancellationToken);
            await console.WriteLineAsync($"sfi serve: no one can sign in to the console yet. Enrol the first owner's passkey within 15 minutes (the link works once, until {invitation.ExpiresAt:yyyy-MM-dd HH:mm} UTC):");
            await console.WriteLineAsync($"  {EnrolLink(setup.Origin, token)}");
        }
    }

    /// <summary>Maps the console's pages, its passkey endpoints and its assets, behind its headers and session resolution.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // The shared key ring gets its first key now, one node at a time: a node starting next to another finds that
        // key in the store instead of making its own, which the other would not know until its next refresh.
        // Without the HSM (not there yet at start) the key is made at the console's first use instead; a node that then
        // meets a key it does not know reloads the ring from the store.
        try
        {
            app.Services.GetRequiredService<ConsoleStore>().RunExclusively(
                () => app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("SecureFuture.WebConsole.KeyRing").Protect([1]));
        }
        catch (CryptographicException e) when (e.InnerException is HsmUnavailableException)
        {
        }
        var sessions = app.Services.GetRequiredService<Sessions>();
        app.Use(async (context, next) =>
        {
            ConsoleHeaders.Apply(context);
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType && context.Request.ContentLength > MaxFormBytes)
            {
                // Console forms are a few fields; a larger post is refused before anything reads it.
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            // The session is resolved before antiforgery validation, which binds its tokens to the signed-in person.
            await sessions.ResolveAsync(context, context.RequestAborted);
            try
            {
                await next(context);
            }
            catch (CryptographicException e) when (OutageUnder(e) is { } outage)
            {
                // Data Protection (antiforgery tokens, flash messages, TOTP secrets) wraps whatever its key ring met in a
                // CryptographicException. Its keys open only with the HSM and live in the store, so an outage of either
                // under it is that outage, answered 503 by the server's error mapping; the ring is read again on the next
                // request, so the console recovers by itself once the HSM is back.
                ExceptionDispatchInfo.Throw(outage);
            }
        });
        ConsoleAssets.Map(app);
        WebAuthnEndpoints.Map(app);
        app.MapRazorPages();
    }

    /// <summary>The HSM or store outage a Data Protection failure wraps, or null when it was something else (a tampered token, a bug).</summary>
    internal static Exception? OutageUnder(CryptographicException exception)
    {
        for (Exception? inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HsmUnavailableException or DbException)
            {
                return inner;
            }
        }

        return null;
    }

    public static string EnrolLink(Uri origin, string token)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return $"{origin.GetLeftPart(UriPartial.Authority)}/enrol?token={Uri.EscapeDataString(token)}";
    }

    /// <summary>Validates the antiforgery token of a script request (header) or form post (field); false when it is missing or wrong.</summary>
    internal static async Task<bool> ValidAntiforgeryAsync(HttpContext context)
    {
        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }
}

/// <summary>
/// The console's response headers: a Content-Security-Policy that allows only this origin's own script and styles (no
/// inline script, no eval, nothing from elsewhere, no framing, forms post only here), no referrer, and no framing for
/// older browsers. HSTS and <c>nosniff</c> come from the server's own headers for every answer.
/// </summary>
internal static class ConsoleHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), publickey-credentials-get=(self), publickey-credentials-create=(self)";
    }
}
