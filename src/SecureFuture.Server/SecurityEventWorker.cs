using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFuture.Identity.Clients;
using SecureFuture.Identity.Events;
using SecureFuture.Identity.Tokens;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// The security-event side of a node, once a second: applies the transmitter's SETs to this node's own resource
/// endpoints (verified exactly as an external receiver verifies them, against the events ring's JWKS), refreshes the
/// refusals other nodes counted, pushes SETs to subscribed receivers (RFC 8935), and purges expired single-use
/// identifiers from a shared replay cache.
/// </summary>
internal sealed partial class SecurityEventWorker : BackgroundService
{
    /// <summary>How often expired single-use identifiers are deleted from a shared replay cache.</summary>
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan PassInterval = TimeSpan.FromSeconds(1);

    private readonly ClientService _clients;
    private readonly SecurityEventPublisher _events;
    private readonly SecurityEventReceiver _receiver;
    private readonly SecurityEventPusher _pusher;
    private readonly IReplayCache _replays;
    private readonly TimeProvider _clock;
    private readonly ILogger<SecurityEventWorker> _log;
    private TaskCompletionSource _nextPass = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SecurityEventWorker(ClientService clients, SecurityEventPublisher events, ContinuousAccessEvaluation evaluation, SecurityEventPusher pusher, IReplayCache replays, LocalJwks jwks, TimeProvider clock, ILogger<SecurityEventWorker> log)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(jwks);
        _clients = clients;
        _events = events;
        _receiver = new SecurityEventReceiver(new TrustedIssuer(events.Issuer, events.JwksUri, [events.Audience]), jwks.Client, evaluation, clock: clock);
        _pusher = pusher;
        _replays = replays;
        _clock = clock;
        _log = log;
    }

    public override void Dispose()
    {
        _receiver.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Completes when a pass that starts after this call has ended: by then, unless that pass failed (and logged why),
    /// every security event recorded before the call is applied to this node and pushed to its receivers. What waits
    /// for that propagation waits on this instead of sleeping past the pass interval.
    /// </summary>
    public Task NextPassAsync(CancellationToken cancellationToken) => Volatile.Read(ref _nextPass).Task.WaitAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var after = 0L;
        var purgedAt = _clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var pass = Interlocked.Exchange(ref _nextPass, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            try
            {
                after = await ApplyAsync(after, stoppingToken);
                await _clients.RefreshSharedRefusalsAsync(stoppingToken);
                await _pusher.PushOnceAsync(stoppingToken);
                if (_replays is SqlReplayCache shared && _clock.GetUtcNow() - purgedAt >= PurgeInterval)
                {
                    purgedAt = _clock.GetUtcNow();
                    await shared.PurgeAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or KeyServiceException or HttpRequestException)
            {
                Failed(_log, e.Message);
            }
            finally
            {
                pass.TrySetResult();
            }

            try
            {
                await Task.Delay(PassInterval, _clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Applies every SET published after <paramref name="after"/>; returns the last sequence read.</summary>
    private async Task<long> ApplyAsync(long after, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (sets, last) = await _events.ReadAsync(after, 200, cancellationToken);
            foreach (var set in sets)
            {
                if (await _receiver.ApplyAsync(set, cancellationToken) is { } refused)
                {
                    Failed(_log, "a security event token of this server was refused: " + refused);
                }
            }

            if (last == after)
            {
                return after;
            }

            after = last;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "security events: {Problem}")]
    private static partial void Failed(ILogger logger, string problem);
}
