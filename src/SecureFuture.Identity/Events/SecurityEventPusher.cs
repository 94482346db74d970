using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using SecureFuture.Identity.Clients;

namespace SecureFuture.Identity.Events;

/// <summary>
/// Push delivery of Security Event Tokens (RFC 8935): each registered stream gets every SET after its delivery mark,
/// POSTed as <c>application/secevent+jwt</c>; a stream whose receiver fails or is away is retried with exponential
/// back-off (1 s doubling to 60 s) from where it stopped. Receivers drop duplicates by <c>jti</c>, so a batch that
/// failed half-way is simply sent again. With several nodes, one pushes at a time (the store's push lease), and reads
/// the delivery marks only once it holds the lease, so a SET is not sent once per node.
/// </summary>
public sealed partial class SecurityEventPusher(SqlClientStore store, SecurityEventPublisher publisher, PushEndpointPolicy policy, TimeProvider clock, ILogger<SecurityEventPusher> log) : IDisposable
{
    /// <summary>Connects only where the push endpoint policy allows, checked again at every connection (DNS may change).</summary>
    private readonly HttpClient _http = new(policy.CreateHandler()) { Timeout = TimeSpan.FromSeconds(10) };

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private readonly Dictionary<string, (int Failures, DateTimeOffset RetryAt)> _backoff = new(StringComparer.Ordinal);

    /// <summary>One pass over every stream; returns how many SETs were delivered (0 while another node is pushing).</summary>
    public async Task<int> PushOnceAsync(CancellationToken cancellationToken)
    {
        await using var lease = await store.TryTakePushLeaseAsync(cancellationToken);
        if (lease is null)
        {
            return 0;
        }

        var delivered = 0;
        foreach (var stream in await store.ListStreamsAsync(cancellationToken))
        {
            var now = clock.GetUtcNow();
            if (_backoff.TryGetValue(stream.Id, out var wait) && now < wait.RetryAt)
            {
                continue;
            }

            var mark = stream.Delivered;
            try
            {
                while (true)
                {
                    var (sets, last) = await publisher.ReadAsync(mark, 100, cancellationToken);
                    if (last == mark)
                    {
                        break;
                    }

                    foreach (var set in sets)
                    {
                        using var content = new StringContent(set);
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/secevent+jwt");
                        using var request = new HttpRequestMessage(HttpMethod.Post, stream.Endpoint) { Content = content };
                        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                        using var response = await _http.SendAsync(request, cancellationToken);
                        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent))
                        {
                            throw new HttpRequestException($"the receiver answered {(int)response.StatusCode}: {Truncate(await response.Content.ReadAsStringAsync(cancellationToken))}");
                        }

                        delivered++;
                    }

                    await store.MarkDeliveredAsync(stream.Id, last, cancellationToken);
                    mark = last;
                }

                _backoff.Remove(stream.Id);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var failures = _backoff.TryGetValue(stream.Id, out var previous) ? previous.Failures + 1 : 1;
                var delay = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, failures - 1)));
                _backoff[stream.Id] = (failures, clock.GetUtcNow() + delay);
                PushFailed(log, stream.Id, stream.Endpoint, failures, delay.TotalSeconds, e.Message);
            }
        }

        return delivered;
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(1, LogLevel.Warning, "security events: push stream {Stream} to {Endpoint}: attempt {Attempt} failed, retrying in {Seconds:0} s: {Reason}")]
    private static partial void PushFailed(ILogger logger, string stream, Uri endpoint, int attempt, double seconds, string reason);

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
