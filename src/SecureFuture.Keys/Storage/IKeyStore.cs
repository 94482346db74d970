using SecureFuture.Keys.Audit;

namespace SecureFuture.Keys.Storage;

/// <summary>A compare-and-set change of one key: applied only if the key is still in <paramref name="From"/>.</summary>
public sealed record KeyTransition(KeyState From, KeyVersion To);

/// <summary>A stored admin credential: only a hash of the key is kept.</summary>
public sealed record AdminCredential(string Id, string KeyHash, DateTimeOffset CreatedAt);

/// <summary>
/// Durable state of the key service: rings, key versions, the audit chain and its checkpoints, admin credentials and
/// rotation leases. Every state change is written in one transaction together with its audit record, so a process
/// killed at any point leaves either the change and its record, or neither. Implementations: SQLite (one node) and
/// PostgreSQL (any number of nodes).
/// </summary>
public interface IKeyStore : IAsyncDisposable
{
    /// <summary>Which store this is, without credentials.</summary>
    string Description { get; }

    /// <summary>Creates or upgrades the schema; safe to call from several nodes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A random id created with the schema. HSM labels carry it, so installations that share a token never see (or
    /// clean up) each other's keys. Available after <see cref="InitializeAsync"/>.
    /// </summary>
    string InstallationId { get; }

    /// <summary>Throws unless the store answers a query now.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    Task<KeyRing?> GetRingAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<KeyRing>> ListRingsAsync(CancellationToken cancellationToken);

    /// <summary>Creates a ring with its first key; false (and nothing written) when the name is taken.</summary>
    Task<bool> CreateRingAsync(KeyRing ring, KeyVersion firstKey, IReadOnlyList<AuditEntry> audit, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Every key of a ring, oldest first.</summary>
    Task<IReadOnlyList<KeyVersion>> ListVersionsAsync(string ring, CancellationToken cancellationToken);

    /// <summary>Adds a key; false (and nothing written) when it would make a second pending or active key, or reuse a version.</summary>
    Task<bool> InsertVersionAsync(KeyVersion key, AuditEntry audit, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Applies all transitions and audit records atomically; false (and nothing written) if any key has moved on.</summary>
    Task<bool> ApplyAsync(IReadOnlyList<KeyTransition> transitions, IReadOnlyList<AuditEntry> audit, DateTimeOffset at, CancellationToken cancellationToken);

    Task AppendAuditAsync(AuditEntry entry, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Every audit record in sequence order.</summary>
    Task<IReadOnlyList<AuditRecord>> ReadAuditAsync(CancellationToken cancellationToken);

    Task<AuditRecord?> LastAuditAsync(CancellationToken cancellationToken);

    Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken);

    Task<IReadOnlyList<AuditCheckpoint>> ReadCheckpointsAsync(CancellationToken cancellationToken);

    Task<AuditCheckpoint?> LastCheckpointAsync(CancellationToken cancellationToken);

    /// <summary>Takes the named lease if no one (in any process sharing the store) holds it; null otherwise.</summary>
    Task<IAsyncDisposable?> TryAcquireLeaseAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stores an admin credential unless one already exists; false when the store already has one.</summary>
    Task<bool> AddFirstAdminCredentialAsync(AdminCredential credential, AuditEntry audit, CancellationToken cancellationToken);

    Task<IReadOnlyList<AdminCredential>> ListAdminCredentialsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="ringChanged"/> with a ring's name whenever any node commits a change to it, until cancelled
    /// (PostgreSQL LISTEN/NOTIFY). Returns at once for a single-node store. Throws when the connection is lost; the
    /// caller listens again.
    /// </summary>
    Task ListenAsync(Action<string> ringChanged, CancellationToken cancellationToken);
}
