using SecureFuture.Identity.Events;
using SecureFuture.Identity.Tokens;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// The token ring's and the events ring's JWKS, read in-process (the same documents the endpoints serve), so that this
/// node's own resource endpoints and its security-event receiver do not depend on reaching its public address.
/// </summary>
internal sealed class LocalJwks : IDisposable
{
    public LocalJwks(KeyRingService keys, TokenServiceOptions options, SecurityEventPublisher events)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        TokenJwksUri = new Uri(options.Issuer, $"v1/keyrings/{options.RingName}/jwks.json");
        Client = new HttpClient(new Handler(keys, new Dictionary<Uri, string> { [TokenJwksUri] = options.RingName, [events.JwksUri] = SecurityEventPublisher.RingName }));
    }

    /// <summary>Where the token ring's JWKS is published.</summary>
    public Uri TokenJwksUri { get; }

    /// <summary>Answers GETs of both JWKS URLs, and nothing else.</summary>
    public HttpClient Client { get; }

    public void Dispose() => Client.Dispose();

    /// <summary>Answers GETs of a ring's JWKS URL from the key service, with the same Cache-Control as the endpoint.</summary>
    private sealed class Handler(KeyRingService keys, Dictionary<Uri, string> rings) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get || request.RequestUri is null || !rings.TryGetValue(request.RequestUri, out var ring))
            {
                return new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
            }

            var (json, maxAge) = await keys.GetJwksAsync(ring, cancellationToken);
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent(json) };
            response.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { Public = true, MaxAge = maxAge };
            return response;
        }
    }
}
