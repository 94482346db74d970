using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// Drives the key lifecycle: initializes the key service (audit key, default ring) as soon as the HSM answers, then
/// ticks every interval. Failures are logged once per outage and retried; they never stop the host. A failure confined
/// to one ring is handled by <see cref="KeyRingService.TickAsync"/> (the ring is marked unhealthy, the others go on);
/// anything else that escapes is logged and retried here too, because a stopped scheduler stops every rotation.
/// </summary>
internal sealed class KeyScheduler(KeyRingService keys, TimeProvider clock, KeySchedulerOptions options, ILogger<KeyScheduler> log) : BackgroundService
{
    private readonly TimeSpan _interval = options.Interval;

    private volatile bool _initialized;
    private string? _lastProblem;

    public bool Initialized => _initialized;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_initialized)
                {
                    await keys.InitializeAsync(stoppingToken);
                    _initialized = true;
                    ServerLog.Ready(log, keys.Custodian.Description, keys.Store.Description);
                }

                foreach (var action in await keys.TickAsync(stoppingToken))
                {
                    ServerLog.Transition(log, action.Ring, action.Action, action.Kid);
                }

                if (_lastProblem is not null)
                {
                    ServerLog.Recovered(log);
                    _lastProblem = null;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (_lastProblem != e.Message)
                {
                    if (e is HsmUnavailableException or DbException or KeyServiceException or System.Security.Cryptography.CryptographicException)
                    {
                        ServerLog.SchedulerProblem(log, e.Message, _interval);
                    }
                    else
                    {
                        // Not an outage but a defect: logged in full, and the scheduler stays alive.
                        ServerLog.SchedulerDefect(log, e);
                    }

                    _lastProblem = e.Message;
                }
            }

            try
            {
                await Task.Delay(_interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>How often <see cref="KeyScheduler"/> passes over the rings.</summary>
internal sealed record KeySchedulerOptions(TimeSpan Interval);
