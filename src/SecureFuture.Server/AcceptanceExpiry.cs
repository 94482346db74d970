using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFuture.Findings.Store;

namespace SecureFuture.Server;

/// <summary>
/// Records each risk acceptance of the findings hub that has expired as open in its project's history, once a minute.
/// An expired acceptance already reads as open everywhere; this puts the change in the hash-chained history at the
/// expiry, even for a project nobody pushes to any more.
/// </summary>
internal sealed class AcceptanceExpiry(IFindingStore store, TimeProvider clock, ILogger<AcceptanceExpiry> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.ExpireAcceptancesAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or StoreUnavailableException)
            {
                ServerLog.AcceptanceExpiryRetry(log, e.Message);
            }

            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
