using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// Scale-out: drops this node's cached view of a ring as soon as another node commits a change to it (PostgreSQL
/// LISTEN/NOTIFY), instead of waiting for the one-second cache lifetime. Reconnects after a lost connection.
/// </summary>
internal sealed class KeyCacheListener(KeyRingService keys, TimeProvider clock, ILogger<KeyCacheListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await keys.Store.ListenAsync(keys.Invalidate, stoppingToken);
                return; // a single-node store has nothing to listen to
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException)
            {
                ServerLog.ListenerProblem(log, e.Message);

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
