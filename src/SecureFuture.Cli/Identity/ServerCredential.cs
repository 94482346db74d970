using System.Net.Http.Headers;

namespace SecureFuture.Cli.Identity;

/// <summary>How a call to <c>sfi serve</c>'s API authenticates: the admin key, or a registered client's access token.</summary>
internal interface IServerCredential
{
    /// <summary>What the credential is, for messages (never the secret).</summary>
    string Description { get; }

    Task AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken);
}

/// <summary>The admin key, sent as a bearer credential to <c>/v1/*</c>.</summary>
internal sealed class AdminKeyCredential(string key) : IServerCredential
{
    public string Description => "the admin key";

    public Task AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A registered client's access token for the server's own API (audience <c>{issuer}v1/</c>), asked for once with
/// <paramref name="scopes"/> on first use. The token is always DPoP-bound (RFC 9449) to a key that lives only in this
/// process, so a token that leaks from a CI log is useless; each request gets its own proof.
/// </summary>
internal sealed class ClientTokenCredential(Uri server, ClientCredential client, IReadOnlyCollection<string> scopes, TimeProvider clock) : IServerCredential, IDisposable
{
    private readonly ClientCredentialTokenSource _source = new(server, client.ClientId, client.Key, clock);
    private readonly DpopKey _dpop = new();
    private AccessToken? _token;

    public string Description => $"client '{client.ClientId}'";

    public async Task AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_token is null)
        {
            var (issuer, _) = await _source.DiscoverAsync(cancellationToken);
            _token = await _source.RequestAsync(scopes, [ClientCredentialTokenSource.OwnAudience(issuer)], _dpop, cancellationToken);
        }

        // The server checks a proof's htu against the URL as the issuer names it (it may sit behind a proxy whose
        // address differs from the one this client uses), so the path is taken relative to the issuer, as it does.
        var path = (request.RequestUri is { IsAbsoluteUri: true } absolute ? server.MakeRelativeUri(absolute).OriginalString : request.RequestUri?.OriginalString ?? string.Empty)
            .Split('?', 2)[0].TrimStart('/');
        _token.Authorize(request, new Uri(new Uri(_token.Issuer), path), clock);
    }

    public void Dispose()
    {
        _source.Dispose();
        _dpop.Dispose();
        client.Dispose();
    }
}
