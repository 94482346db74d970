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

    /// <summary>One pass at a time, the periodic one or one a test runs (<see cref="RunPassAsync"/>).</summary>
    private readonly SemaphoreSlim _pass = new(1, 1);

    /// <summary>
    /// One pass: records what has expired by the clock's time when the pass starts; a database failure is logged and left
    /// to the next pass. Returns how many acceptances it recorded (0 after a failure). Tests call it to know a pass ran
    /// after they moved the clock, instead of waiting for the timer.
    /// </summary>
    internal async Task<int> RunPassAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken);
        try
        {
            return await store.ExpireAcceptancesAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or StoreUnavailableException)
        {
            ServerLog.AcceptanceExpiryRetry(log, e.Message);
            return 0;
        }
        finally
        {
            _pass.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunPassAsync(stoppingToken);

                // Off the timer's callback: a pass never runs inside it (a test clock's callback reports the time the timer
                // was due, not the time it was moved to, and would run passes back to back for every interval it skips).
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _pass.Dispose();
        base.Dispose();
    }
}
