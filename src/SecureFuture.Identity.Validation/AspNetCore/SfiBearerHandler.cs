using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SecureFuture.Identity.Validation.AspNetCore;

/// <summary>
/// Settings of the strict ASP.NET Core handler. There is nothing to turn off: no "validate issuer: false", no
/// algorithm list wider than ES256/ES384/PS256/RS256, no "try all keys". What can be set is what a resource server must
/// say anyway: which issuer, where its keys are, which audience it is.
/// </summary>
public sealed class SfiBearerOptions : AuthenticationSchemeOptions
{
    /// <summary>The exact issuer accepted.</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>The issuer's JWKS (https, or http on loopback).</summary>
    public Uri? JwksUri { get; set; }

    /// <summary>This resource server's audience.</summary>
    public string Audience { get; set; } = string.Empty;

    /// <summary>The public URL of this resource server as clients address it (scheme, host, port, path base), for DPoP <c>htu</c> checks.</summary>
    public Uri? PublicBaseUri { get; set; }

    /// <summary>Security events applied to every request, when the application receives them (push or poll).</summary>
    public ContinuousAccessEvaluation? Evaluation { get; set; }

    /// <summary>
    /// Behind a TLS-terminating proxy: the request header carrying the client certificate (URL-encoded PEM or base64
    /// DER), for tokens bound to it (RFC 8705). Null (the default): the certificate of the TLS connection itself. Set
    /// it only when the proxy removes this header from every client request and is the only way to reach the
    /// application; otherwise anyone can claim any certificate.
    /// </summary>
    public string? ClientCertificateHeader { get; set; }

    /// <summary>The HTTP client that fetches the JWKS; a new one when null.</summary>
    public HttpClient? Backchannel { get; set; }

    /// <summary>
    /// Where DPoP proof identifiers are remembered; this process's memory when null. An application running as several
    /// instances behind one address must give all of them one shared cache, or a proof replayed to another instance
    /// within its 60-second window is accepted there.
    /// </summary>
    public IReplayCache? ReplayCache { get; set; }

    /// <summary>
    /// Called for every refused request, after the refusal is counted (<c>sfi.validation.refusals</c>) and, when it
    /// points at an attack (<see cref="RefusalKinds.IsAttack"/>: forged or foreign-key tokens, stolen bound tokens,
    /// replayed proofs, revoked access), logged as a warning. Record it in the application's audit trail here.
    /// </summary>
    public Func<HttpContext, ResourceRequestOutcome, Task>? OnRefused { get; set; }
}

/// <summary>
/// An ASP.NET Core authentication handler over <see cref="ResourceRequestValidator"/>: Bearer and DPoP tokens,
/// certificate-bound tokens (RFC 8705) checked against the request's TLS client certificate, keys bound to the issuer, pinned algorithms, DPoP proofs with replay detection, continuous access evaluation. The
/// principal's name identifier is issuer + <c>sub</c>; <c>email</c> is never used to identify anyone (nOAuth).
/// </summary>
public sealed class SfiBearerHandler : AuthenticationHandler<SfiBearerOptions>
{
    private readonly SfiBearerValidators _validators;

    public SfiBearerHandler(IOptionsMonitor<SfiBearerOptions> options, ILoggerFactory logger, UrlEncoder encoder, SfiBearerValidators validators)
        : base(options, logger, encoder)
    {
        _validators = validators;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            return AuthenticateResult.NoResult();
        }

        var validator = _validators.For(Scheme.Name, Options);
        var baseUri = Options.PublicBaseUri ?? new Uri($"{Request.Scheme}://{Request.Host}{Request.PathBase}/");
        var requestUri = new Uri(baseUri, Request.Path.Value?.TrimStart('/') ?? string.Empty);
        var presented = ClientCertificateSource.Read(Context, Options.ClientCertificateHeader);
        var outcome = presented.Error is not null
            ? new ResourceRequestOutcome(null, "Bearer", "invalid_request", presented.Error, null) { Refusal = Refusal.Malformed }
            : await validator.ValidateAsync(authorization, [.. Request.Headers["DPoP"].Select(v => v ?? string.Empty)], Request.Method, requestUri, presented.Certificate, Context.RequestAborted);
        Context.Items[typeof(ResourceRequestOutcome)] = outcome;
        if (!outcome.IsValid)
        {
            if (outcome.Refusal.IsAttack())
            {
                // Kind, address and (for a token that verified) its client only: descriptions may quote attacker input.
                RefusalLog.PossibleAttack(Logger, outcome.Refusal.Name(), Context.Connection.RemoteIpAddress, outcome.RefusedPrincipal is { } misused ? misused.ClientId ?? misused.Subject : "no verified client");
            }

            if (Options.OnRefused is { } onRefused)
            {
                await onRefused(Context, outcome);
            }

            return AuthenticateResult.Fail(outcome.Description ?? "the token was refused");
        }

        var p = outcome.Principal!;
        var identity = new ClaimsIdentity(Scheme.Name, ClaimTypes.NameIdentifier, "role");
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, p.SubjectKey, ClaimValueTypes.String, p.Issuer));
        identity.AddClaim(new Claim("iss", p.Issuer, ClaimValueTypes.String, p.Issuer));
        identity.AddClaim(new Claim("sub", p.Subject, ClaimValueTypes.String, p.Issuer));
        foreach (var name in new[] { "client_id", "scope", "azp" })
        {
            if (p.Claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                identity.AddClaim(new Claim(name, value.GetString()!, ClaimValueTypes.String, p.Issuer));
            }
        }

        if (outcome.BoundKey is { } jkt)
        {
            identity.AddClaim(new Claim("cnf_jkt", jkt, ClaimValueTypes.String, p.Issuer));
        }

        if (outcome.BoundCertificate is { } x5t)
        {
            identity.AddClaim(new Claim("cnf_x5t#S256", x5t, ClaimValueTypes.String, p.Issuer));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        var outcome = Context.Items[typeof(ResourceRequestOutcome)] as ResourceRequestOutcome ?? new ResourceRequestOutcome(null, "Bearer", null, null, null);
        Response.Headers.WWWAuthenticate = outcome.Challenge(DpopOptionsDefaults.Algorithms);
        return Task.CompletedTask;
    }
}

/// <summary>One validator per scheme, built once from its options (keys are cached per issuer inside it).</summary>
public sealed class SfiBearerValidators(TimeProvider clock) : IDisposable
{
    private readonly Dictionary<string, (ResourceRequestValidator Validator, StrictTokenValidator Tokens, HttpClient? Owned)> _byScheme = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    internal ResourceRequestValidator For(string scheme, SfiBearerOptions options)
    {
        lock (_gate)
        {
            if (_byScheme.TryGetValue(scheme, out var existing))
            {
                return existing.Validator;
            }

            if (string.IsNullOrEmpty(options.Issuer) || options.JwksUri is null || string.IsNullOrEmpty(options.Audience))
            {
                throw new InvalidOperationException($"authentication scheme {scheme}: Issuer, JwksUri and Audience are required");
            }

            var owned = options.Backchannel is null ? new HttpClient() : null;
            var tokens = new StrictTokenValidator([new TrustedIssuer(options.Issuer, options.JwksUri, [options.Audience])], options.Backchannel ?? owned!, clock: clock);
            var validator = new ResourceRequestValidator(tokens, new DpopProofValidator(clock: clock, replays: options.ReplayCache), options.Evaluation);
            _byScheme[scheme] = (validator, tokens, owned);
            return validator;
        }
    }

    public void Dispose()
    {
        foreach (var (_, tokens, owned) in _byScheme.Values)
        {
            tokens.Dispose();
            owned?.Dispose();
        }
    }
}

internal static class DpopOptionsDefaults
{
    public static readonly IReadOnlyList<string> Algorithms = new DpopOptions().Algorithms;
}

/// <summary>Registration: <c>services.AddAuthentication("sfi").AddSfiBearer("sfi", o => { ... })</c>.</summary>
public static class SfiBearerExtensions
{
    public static AuthenticationBuilder AddSfiBearer(this AuthenticationBuilder builder, string scheme, Action<SfiBearerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(provider => new SfiBearerValidators(provider.GetService<TimeProvider>() ?? TimeProvider.System));
        return builder.AddScheme<SfiBearerOptions, SfiBearerHandler>(scheme, configure);
    }
}

internal static partial class RefusalLog
{
    [LoggerMessage(1, LogLevel.Warning, "sfi token refused as a possible attack: {Refusal} from {RemoteAddress}, token of {Client}")]
    public static partial void PossibleAttack(ILogger logger, string refusal, System.Net.IPAddress? remoteAddress, string client);
}
