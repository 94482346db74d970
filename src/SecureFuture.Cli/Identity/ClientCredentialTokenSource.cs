using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Identity.Tokens;

namespace SecureFuture.Cli.Identity;

/// <summary>
/// Gets access tokens from an sfi token service as a registered client: <c>grant_type=client_credentials</c>
/// authenticated by <c>private_key_jwt</c> (RFC 7523), optionally bound to a DPoP key (RFC 9449). The server is found by
/// its discovery document (OpenID Connect Discovery §4) at the URL the user gave; the token request goes to that same
/// host (the issuer's name need not resolve from here, e.g. behind a proxy), while the assertion's audience and the
/// DPoP proof's <c>htu</c> are the issuer's own values, which is what the server checks.
/// </summary>
internal sealed class ClientCredentialTokenSource : IDisposable
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>
    /// How long an assertion lives: long enough for one request and a clock a little behind, short enough that a copy
    /// is worthless soon (the server also spends its <c>jti</c> on first use and refuses more than 10 minutes).
    /// </summary>
    private static readonly TimeSpan AssertionLifetime = TimeSpan.FromSeconds(60);

    private readonly Uri _server;
    private readonly string _clientId;
    private readonly ClientKey _key;
    private readonly TimeProvider _clock;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private (string Issuer, Uri TokenEndpoint)? _discovery;

    public ClientCredentialTokenSource(Uri server, string clientId, ClientKey key, TimeProvider clock)
    {
        _server = server;
        _clientId = clientId;
        _key = key;
        _clock = clock;
    }

    /// <summary>
    /// Requests a token for <paramref name="scopes"/> and <paramref name="resources"/> (RFC 8707; none: all of the
    /// client's audiences). With <paramref name="dpopKey"/> the token is bound to it; when the server asks for a DPoP
    /// nonce (<c>use_dpop_nonce</c>, RFC 9449 §8) the request is signed again once with the nonce it gave.
    /// A refusal is an <see cref="InputException"/> carrying the server's error and description.
    /// </summary>
    public async Task<AccessToken> RequestAsync(IReadOnlyCollection<string> scopes, IReadOnlyCollection<string> resources, DpopKey? dpopKey, CancellationToken cancellationToken)
    {
        var discovery = await DiscoverAsync(cancellationToken);
        string? nonce = null;
        for (var attempt = 0; ; attempt++)
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "client_credentials"),
                new("client_id", _clientId),
                new("client_assertion_type", AssertionType),
                new("client_assertion", CreateAssertion(discovery.Issuer)),
            };
            if (scopes.Count > 0)
            {
                form.Add(new("scope", string.Join(' ', scopes)));
            }

            form.AddRange(resources.Select(r => new KeyValuePair<string, string>("resource", r)));
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server, discovery.TokenEndpoint.PathAndQuery)) { Content = new FormUrlEncodedContent(form) };
            if (dpopKey is not null)
            {
                request.Headers.Add("DPoP", dpopKey.Proof("POST", discovery.TokenEndpoint, accessToken: null, nonce, _clock));
            }

            using var response = await SendAsync(request, cancellationToken);
            var json = await ReadJsonAsync(response, cancellationToken);
            if (response.IsSuccessStatusCode && json?["access_token"]?.GetValueKind() == JsonValueKind.String)
            {
                return new AccessToken(
                    json["access_token"]!.GetValue<string>(),
                    json["token_type"]?.ToString() ?? "Bearer",
                    json["expires_in"]?.GetValueKind() == JsonValueKind.Number ? json["expires_in"]!.GetValue<int>() : null,
                    json["scope"]?.ToString(),
                    discovery.Issuer,
                    dpopKey);
            }

            var error = json?["error"]?.ToString();
            if (error == "use_dpop_nonce" && dpopKey is not null && attempt == 0 && response.Headers.TryGetValues("DPoP-Nonce", out var nonces))
            {
                nonce = nonces.First();
                continue;
            }

            var description = json?["error_description"]?.ToString();
            throw new InputException($"the token service at {_server} refused client '{_clientId}': {(int)response.StatusCode} {error ?? response.ReasonPhrase}{(description is null ? string.Empty : ": " + description)}");
        }
    }

    /// <summary>
    /// A client assertion (RFC 7523 §3 as updated in 2025): typed <c>client-authentication+jwt</c>, <c>iss</c> = <c>sub</c>
    /// = the client id, <c>aud</c> = the issuer identifier alone (the update's answer to audience injection: sfi refuses
    /// the token endpoint URL as audience), a fresh <c>jti</c> (the server spends it on first use), and one minute of life.
    /// </summary>
    public string CreateAssertion(string issuer)
    {
        var now = _clock.GetUtcNow();
        var header = new JsonObject { ["typ"] = "client-authentication+jwt", ["kid"] = _key.KeyId };
        var claims = new JsonObject
        {
            ["iss"] = _clientId,
            ["sub"] = _clientId,
            ["aud"] = issuer,
            ["jti"] = ClientKey.Base64Url(RandomNumberGenerator.GetBytes(16)),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + AssertionLifetime).ToUnixTimeSeconds(),
        };
        return _key.Sign(header, claims);
    }

    /// <summary>The issuer and token endpoint from the server's discovery document (read once).</summary>
    public async Task<(string Issuer, Uri TokenEndpoint)> DiscoverAsync(CancellationToken cancellationToken)
    {
        if (_discovery is { } known)
        {
            return known;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server, ".well-known/openid-configuration"));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InputException($"{_server} has no token service (no discovery document): start sfi serve with --issuer");
        }

        var json = await ReadJsonAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode || json?["issuer"]?.ToString() is not { } issuer
            || !Uri.TryCreate(json["token_endpoint"]?.ToString(), UriKind.Absolute, out var tokenEndpoint))
        {
            throw new InputException($"{_server}: the discovery document is missing or incomplete ({(int)response.StatusCode} {response.ReasonPhrase})");
        }

        _discovery = (issuer, tokenEndpoint);
        return (issuer, tokenEndpoint);
    }

    /// <summary>
    /// The audience of the server's own API (<c>/v1/whoami</c>, <c>/v1/ssf/events</c>, the findings hub), which is also
    /// the default audience of a client registered without <c>audiences</c>.
    /// </summary>
    public static string OwnAudience(string issuer) => new TokenServiceOptions { Issuer = new Uri(issuer) }.OwnAudience;

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new InputException($"cannot reach {_server}: {e.Message}", e);
        }
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An access token as the token endpoint answered it, with the DPoP key it is bound to (if any).</summary>
internal sealed record AccessToken(string Value, string TokenType, int? ExpiresIn, string? Scope, string Issuer, DpopKey? DpopKey)
{
    /// <summary>
    /// Sets the <c>Authorization</c> header (and, for a DPoP-bound token, a fresh <c>DPoP</c> proof with <c>ath</c>,
    /// RFC 9449 §7.1) of a request to a resource server. <paramref name="htu"/> is the URL as the server names itself.
    /// </summary>
    public void Authorize(HttpRequestMessage request, Uri htu, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (DpopKey is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Value);
            return;
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", Value);
        request.Headers.Remove("DPoP");
        request.Headers.Add("DPoP", DpopKey.Proof(request.Method.Method, htu, Value, nonce: null, clock));
    }
}

/// <summary>
/// A DPoP key (RFC 9449): made fresh for each run and kept only in memory, so a token bound to it is useless to anyone
/// who copies it from a log or a process list once the run is over.
/// </summary>
internal sealed class DpopKey : IDisposable
{
    private readonly ClientKey _key = ClientKey.Generate();

    /// <summary>A proof for one request (RFC 9449 §4.2): <c>htu</c> without query and fragment, <c>ath</c> for a resource request.</summary>
    public string Proof(string method, Uri url, string? accessToken, string? nonce, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(clock);
        var header = new JsonObject { ["typ"] = "dpop+jwt", ["jwk"] = _key.PublicJwk.DeepClone() };
        var claims = new JsonObject
        {
            ["jti"] = ClientKey.Base64Url(RandomNumberGenerator.GetBytes(16)),
            ["htm"] = method,
            ["htu"] = url.GetLeftPart(UriPartial.Path),
            ["iat"] = clock.GetUtcNow().ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            claims["ath"] = ClientKey.Base64Url(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(accessToken)));
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        return _key.Sign(header, claims);
    }

    public void Dispose() => _key.Dispose();
}
