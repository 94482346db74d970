using SecureFuture.Keys.Audit;
using SecureFuture.Keys.Storage;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// Records every change made through the console in the key service's hash-chained audit log (the same chain the key
/// rings write, signed at checkpoints), with the person who made it as the actor.
/// </summary>
public sealed class ConsoleAudit(IKeyStore store, TimeProvider clock)
{
    public Task RecordAsync(string actor, string action, IReadOnlyDictionary<string, string>? details, CancellationToken cancellationToken)
        => store.AppendAuditAsync(new AuditEntry(actor, action, null, null, details), clock.GetUtcNow(), cancellationToken);
}
