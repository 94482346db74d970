using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>
/// Writes the signature audit (see <see cref="KeyRingService.FlushSignatureAuditAsync"/>) every second and once more
/// on stop, so a crash loses at most a second of signature records and a graceful stop none. The cadence is wall-clock
/// time on purpose: it bounds what a crash can lose, not a key's lifecycle.
/// </summary>
internal sealed class SignatureAuditWriter(KeyRingService keys, ILogger<SignatureAuditWriter> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, TimeProvider.System, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await FlushAsync(stoppingToken);
        }

        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await keys.FlushSignatureAuditAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Kept in memory and retried; signing waits once the queue is full, so nothing goes unrecorded.
            ServerLog.SignatureAuditRetry(log, e.Message);
        }
    }
}
