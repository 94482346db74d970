using System.Data.Common;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.WebConsole.People;

/// <summary>A person who may use the console. <see cref="Id"/> is also the WebAuthn user handle of their passkeys.</summary>
public sealed record Person(string Id, string Name, Role Role, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A passkey: the credential id and COSE public key WebAuthn registered, and the last signature counter seen.</summary>
public sealed record Passkey(byte[] CredentialId, string PersonId, byte[] PublicKey, uint SignCount, DateTimeOffset CreatedAt);

/// <summary>An invitation to enrol a passkey with a role; its token is kept only as a hash and works once.</summary>
public sealed record Invitation(string Id, string Name, Role Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, string CreatedBy);

/// <summary>
/// A signed-in browser. <see cref="VerifiedAt"/> is when its person signed in with <see cref="Factor"/>; only a passkey
/// sign-in counts as a fresh verification for sensitive actions.
/// </summary>
public sealed record ConsoleSession(string Hash, Person Person, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, DateTimeOffset VerifiedAt, SignInFactor Factor = SignInFactor.Passkey);

/// <summary>
/// A refused or notable console event (a WebAuthn response that failed verification, a refused enrolment link). Refusals
/// are grouped: one row per type, source and person in each <see cref="ConsoleStore.EventWindow"/>, with <see cref="Count"/>
/// the number of refusals it stands for and <see cref="At"/>/<see cref="Details"/> those of the latest.
/// </summary>
public sealed record ConsoleEvent(long Sequence, DateTimeOffset At, string Type, string? PersonId, string? Source, string Details, long Count = 1, DateTimeOffset? FirstAt = null);

/// <summary>A person's TOTP authenticator: its secret (encrypted by the caller) and the last time step a code was accepted for.</summary>
public sealed record TotpAuthenticator(string PersonId, string ProtectedSecret, DateTimeOffset CreatedAt, DateTimeOffset? ConfirmedAt, long LastStep);

/// <summary>
/// The console's people, passkeys, invitations, sessions and pending WebAuthn ceremonies, in the server's own database
/// (SQLite or PostgreSQL), so that every node of a PostgreSQL deployment signs in the same people and a removed person
/// or a signed-out session is refused by all of them at once.
/// </summary>
public sealed class ConsoleStore(DbDataSource source, bool postgres)
{
    private static string[] Schema(bool postgres) =>
    [
        "CREATE TABLE IF NOT EXISTS console_people (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, created_at BIGINT NOT NULL, created_by TEXT NOT NULL, removed_at BIGINT)",
        "CREATE TABLE IF NOT EXISTS console_passkeys (credential_id TEXT PRIMARY KEY, person_id TEXT NOT NULL, public_key TEXT NOT NULL, sign_count BIGINT NOT NULL, created_at BIGINT NOT NULL, last_used_at BIGINT)",
        "CREATE TABLE IF NOT EXISTS console_invitations (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT, created_by TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS console_sessions (token_hash TEXT PRIMARY KEY, person_id TEXT NOT NULL, created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL, verified_at BIGINT NOT NULL, revoked_at BIGINT)",
        "CREATE TABLE IF NOT EXISTS console_ceremonies (id TEXT PRIMARY KEY, kind TEXT NOT NULL, options TEXT NOT NULL, invitation_id TEXT, expires_at BIGINT NOT NULL)",
        postgres
            ? "CREATE TABLE IF NOT EXISTS console_events (seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, type TEXT NOT NULL, person_id TEXT, source TEXT, details TEXT NOT NULL)"
            : "CREATE TABLE IF NOT EXISTS console_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at BIGINT NOT NULL, type TEXT NOT NULL, person_id TEXT, source TEXT, details TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS console_passkeys_person ON console_passkeys (person_id)",
        "CREATE INDEX IF NOT EXISTS console_sessions_person ON console_sessions (person_id)",
        "CREATE TABLE IF NOT EXISTS console_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, changed_at BIGINT NOT NULL, changed_by TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS console_dataprotection_keys (name TEXT PRIMARY KEY, xml TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS console_totp (person_id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at BIGINT NOT NULL, confirmed_at BIGINT, last_step BIGINT NOT NULL)",
    ];

    /// <summary>Columns added after the first release of a table: (table, column, definition).</summary>
    private static readonly (string Table, string Column, string Definition)[] AddedColumns =
    [
        ("console_sessions", "factor", "TEXT NOT NULL DEFAULT 'passkey'"),
        ("console_events", "count", "BIGINT NOT NULL DEFAULT 1"),
        ("console_events", "first_at", "BIGINT"),
        ("console_events", "window_start", "BIGINT"),
    ];

    /// <summary>Refusals of one type from one source (and for one person) within a window of this length share one event row.</summary>
    public static readonly TimeSpan EventWindow = TimeSpan.FromMinutes(5);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (postgres)
        {
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7460019)", cancellationToken);
        }

        foreach (var statement in Schema(postgres))
        {
            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }

        foreach (var (table, column, definition) in AddedColumns)
        {
            if (postgres)
            {
                await ExecuteAsync(connection, transaction, $"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}", cancellationToken);
                continue;
            }

            await using var exists = Command(connection, transaction, "SELECT COUNT(*) FROM pragma_table_info(@table) WHERE name = @column", ("table", table), ("column", column));
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                await ExecuteAsync(connection, transaction, $"ALTER TABLE {table} ADD COLUMN {column} {definition}", cancellationToken);
            }
        }

        // One grouped row per (type, source, person, window); ungrouped events have no window and never collide.
        await ExecuteAsync(connection, transaction, "CREATE UNIQUE INDEX IF NOT EXISTS console_events_group ON console_events (type, source, person_id, window_start)", cancellationToken);
        await ExecuteAsync(connection, transaction, "CREATE INDEX IF NOT EXISTS console_events_source ON console_events (source, window_start)", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    // ---- people -------------------------------------------------------------------------------------------------

    public async Task<int> CountPeopleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM console_people WHERE removed_at IS NULL");
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<Person>> ListPeopleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, name, role, created_at, created_by FROM console_people WHERE removed_at IS NULL ORDER BY created_at, id");
        return await ReadPeopleAsync(command, cancellationToken);
    }

    public async Task<Person?> GetPersonAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, name, role, created_at, created_by FROM console_people WHERE id = @id AND removed_at IS NULL", ("id", id));
        return (await ReadPeopleAsync(command, cancellationToken)) is [var person] ? person : null;
    }

    /// <summary>Removes a person: their passkeys stop working and every session of theirs is revoked, in one transaction.</summary>
    public async Task<bool> RemovePersonAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await ExecuteAsync(connection, transaction, "UPDATE console_people SET removed_at = @at WHERE id = @id AND removed_at IS NULL", cancellationToken, ("id", id), ("at", at.ToUnixTimeMilliseconds()));
        await ExecuteAsync(connection, transaction, "DELETE FROM console_passkeys WHERE person_id = @id", cancellationToken, ("id", id));
        await ExecuteAsync(connection, transaction, "DELETE FROM console_totp WHERE person_id = @id", cancellationToken, ("id", id));
        await ExecuteAsync(connection, transaction, "UPDATE console_sessions SET revoked_at = @at WHERE person_id = @id AND revoked_at IS NULL", cancellationToken, ("id", id), ("at", at.ToUnixTimeMilliseconds()));
        await transaction.CommitAsync(cancellationToken);
        return rows > 0;
    }

    public async Task<int> CountOwnersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM console_people WHERE removed_at IS NULL AND role = @role", ("role", Role.Owner.ToToken()));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    // ---- invitations --------------------------------------------------------------------------------------------

    public async Task AddInvitationAsync(Invitation invitation, string tokenHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null,
            "INSERT INTO console_invitations (id, token_hash, name, role, created_at, expires_at, used_at, created_by) VALUES (@id, @hash, @name, @role, @created, @expires, NULL, @by)",
            cancellationToken, ("id", invitation.Id), ("hash", tokenHash), ("name", invitation.Name), ("role", invitation.Role.ToToken()),
            ("created", invitation.CreatedAt.ToUnixTimeMilliseconds()), ("expires", invitation.ExpiresAt.ToUnixTimeMilliseconds()), ("by", invitation.CreatedBy));
    }

    /// <summary>The invitation whose token hashes to <paramref name="tokenHash"/>, used or not, expired or not (the caller says why it refuses).</summary>
    public async Task<Invitation?> FindInvitationAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, name, role, created_at, expires_at, used_at, created_by FROM console_invitations WHERE token_hash = @hash", ("hash", tokenHash));
        return (await ReadInvitationsAsync(command, cancellationToken)) is [var invitation] ? invitation : null;
    }

    public async Task<Invitation?> GetInvitationAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, name, role, created_at, expires_at, used_at, created_by FROM console_invitations WHERE id = @id", ("id", id));
        return (await ReadInvitationsAsync(command, cancellationToken)) is [var invitation] ? invitation : null;
    }

    public async Task<IReadOnlyList<Invitation>> ListOpenInvitationsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, name, role, created_at, expires_at, used_at, created_by FROM console_invitations WHERE used_at IS NULL AND expires_at > @now ORDER BY created_at", ("now", now.ToUnixTimeMilliseconds()));
        return await ReadInvitationsAsync(command, cancellationToken);
    }

    /// <summary>
    /// Uses an invitation and stores the person and their first passkey, all or nothing. False (nothing written) when
    /// the invitation was used meanwhile or expired: the single use is decided by this one conditional update, so two
    /// browsers racing with the same link cannot both enrol.
    /// </summary>
    public async Task<bool> EnrolAsync(string invitationId, Person person, Passkey passkey, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(passkey);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var used = await ExecuteAsync(connection, transaction, "UPDATE console_invitations SET used_at = @at WHERE id = @id AND used_at IS NULL AND expires_at > @at", cancellationToken,
            ("id", invitationId), ("at", at.ToUnixTimeMilliseconds()));
        if (used == 0)
        {
            return false;
        }

        await ExecuteAsync(connection, transaction, "INSERT INTO console_people (id, name, role, created_at, created_by, removed_at) VALUES (@id, @name, @role, @at, @by, NULL)", cancellationToken,
            ("id", person.Id), ("name", person.Name), ("role", person.Role.ToToken()), ("at", person.CreatedAt.ToUnixTimeMilliseconds()), ("by", person.CreatedBy));
        await ExecuteAsync(connection, transaction, "INSERT INTO console_passkeys (credential_id, person_id, public_key, sign_count, created_at, last_used_at) VALUES (@id, @person, @key, @count, @at, NULL)", cancellationToken,
            ("id", Convert.ToBase64String(passkey.CredentialId)), ("person", passkey.PersonId), ("key", Convert.ToBase64String(passkey.PublicKey)), ("count", (long)passkey.SignCount), ("at", passkey.CreatedAt.ToUnixTimeMilliseconds()));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    // ---- passkeys -----------------------------------------------------------------------------------------------

    public async Task<Passkey?> FindPasskeyAsync(byte[] credentialId, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT k.credential_id, k.person_id, k.public_key, k.sign_count, k.created_at FROM console_passkeys k JOIN console_people p ON p.id = k.person_id WHERE k.credential_id = @id AND p.removed_at IS NULL",
            ("id", Convert.ToBase64String(credentialId)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Passkey(Convert.FromBase64String(reader.GetString(0)), reader.GetString(1), Convert.FromBase64String(reader.GetString(2)), (uint)reader.GetInt64(3), Time(reader.GetInt64(4)))
            : null;
    }

    /// <summary>Stores another passkey of a live person (recovery: a second device).</summary>
    public async Task AddPasskeyAsync(Passkey passkey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passkey);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null,
            "INSERT INTO console_passkeys (credential_id, person_id, public_key, sign_count, created_at, last_used_at) SELECT @id, @person, @key, @count, @at, NULL WHERE EXISTS (SELECT 1 FROM console_people WHERE id = @person AND removed_at IS NULL)",
            cancellationToken, ("id", Convert.ToBase64String(passkey.CredentialId)), ("person", passkey.PersonId), ("key", Convert.ToBase64String(passkey.PublicKey)), ("count", (long)passkey.SignCount), ("at", passkey.CreatedAt.ToUnixTimeMilliseconds()));
    }

    public async Task<IReadOnlyList<byte[]>> ListPasskeyIdsAsync(string personId, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT credential_id FROM console_passkeys WHERE person_id = @id ORDER BY created_at", ("id", personId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<byte[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(Convert.FromBase64String(reader.GetString(0)));
        }

        return ids;
    }

    public async Task<int> CountPasskeysAsync(string personId, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM console_passkeys WHERE person_id = @id", ("id", personId));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Moves a passkey's counter forward. False when another sign-in moved it to or past <paramref name="signCount"/>
    /// meanwhile (a cloned authenticator racing the real one): the caller refuses that sign-in.
    /// </summary>
    public async Task<bool> AdvanceCounterAsync(byte[] credentialId, uint previous, uint signCount, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        var rows = await ExecuteAsync(connection, null, "UPDATE console_passkeys SET sign_count = @count, last_used_at = @at WHERE credential_id = @id AND sign_count = @previous", cancellationToken,
            ("id", Convert.ToBase64String(credentialId)), ("count", (long)signCount), ("previous", (long)previous), ("at", at.ToUnixTimeMilliseconds()));
        return rows == 1;
    }

    // ---- sessions -----------------------------------------------------------------------------------------------

    public async Task AddSessionAsync(string hash, string personId, DateTimeOffset at, SignInFactor factor, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO console_sessions (token_hash, person_id, created_at, last_seen_at, verified_at, revoked_at, factor) VALUES (@hash, @person, @at, @at, @at, NULL, @factor)", cancellationToken,
            ("hash", hash), ("person", personId), ("at", at.ToUnixTimeMilliseconds()), ("factor", factor.ToToken()));
    }

    /// <summary>Ends every live session that began with <paramref name="factor"/> (when the owner turns that factor off).</summary>
    public async Task<int> RevokeSessionsAsync(SignInFactor factor, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "UPDATE console_sessions SET revoked_at = @at WHERE factor = @factor AND revoked_at IS NULL", cancellationToken,
            ("factor", factor.ToToken()), ("at", at.ToUnixTimeMilliseconds()));
    }

    /// <summary>The live session with this hash (not revoked, its person not removed), or null. Limits are the caller's.</summary>
    public async Task<ConsoleSession?> FindSessionAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT s.token_hash, s.created_at, s.last_seen_at, s.verified_at, p.id, p.name, p.role, p.created_at, p.created_by, s.factor FROM console_sessions s JOIN console_people p ON p.id = s.person_id " +
            "WHERE s.token_hash = @hash AND s.revoked_at IS NULL AND p.removed_at IS NULL", ("hash", hash));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || !Roles.TryParse(reader.GetString(6), out var role) || !SignInFactors.TryParse(reader.GetString(9), out var factor))
        {
            return null;
        }

        var person = new Person(reader.GetString(4), reader.GetString(5), role, Time(reader.GetInt64(7)), reader.GetString(8));
        return new ConsoleSession(reader.GetString(0), person, Time(reader.GetInt64(1)), Time(reader.GetInt64(2)), Time(reader.GetInt64(3)), factor);
    }

    public async Task TouchSessionAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE console_sessions SET last_seen_at = @at WHERE token_hash = @hash", cancellationToken, ("hash", hash), ("at", at.ToUnixTimeMilliseconds()));
    }

    public async Task RevokeSessionAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE console_sessions SET revoked_at = @at WHERE token_hash = @hash AND revoked_at IS NULL", cancellationToken, ("hash", hash), ("at", at.ToUnixTimeMilliseconds()));
    }

    // ---- WebAuthn ceremonies ------------------------------------------------------------------------------------

    public async Task AddCeremonyAsync(string id, string kind, string options, string? invitationId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "DELETE FROM console_ceremonies WHERE expires_at < @now", cancellationToken, ("now", expiresAt.AddHours(-1).ToUnixTimeMilliseconds()));
        await ExecuteAsync(connection, null, "INSERT INTO console_ceremonies (id, kind, options, invitation_id, expires_at) VALUES (@id, @kind, @options, @invitation, @expires)", cancellationToken,
            ("id", id), ("kind", kind), ("options", options), ("invitation", invitationId), ("expires", expiresAt.ToUnixTimeMilliseconds()));
    }

    /// <summary>Takes a pending ceremony (its challenge is single use: a second answer to it finds nothing).</summary>
    public async Task<(string Options, string? InvitationId)?> TakeCeremonyAsync(string id, string kind, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "DELETE FROM console_ceremonies WHERE id = @id AND kind = @kind RETURNING options, invitation_id, expires_at", ("id", id), ("kind", kind));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt64(2) <= now.ToUnixTimeMilliseconds())
        {
            return null;
        }

        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    // ---- events -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Records a refusal in its group: the row of this type, source and person for the <see cref="EventWindow"/> holding
    /// <paramref name="at"/> is created or has its count raised, so a flood of refusals is a few rows, not one per attempt.
    /// </summary>
    public async Task AddGroupedEventAsync(DateTimeOffset at, string type, string? personId, string? origin, string details, CancellationToken cancellationToken)
    {
        var window = WindowStart(at);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null,
            "INSERT INTO console_events (at, type, person_id, source, details, count, first_at, window_start) VALUES (@at, @type, @person, @source, @details, 1, @at, @window) " +
            "ON CONFLICT (type, source, person_id, window_start) DO UPDATE SET count = console_events.count + 1, at = excluded.at, details = excluded.details", cancellationToken,
            ("at", at.ToUnixTimeMilliseconds()), ("type", type), ("person", personId ?? string.Empty), ("source", origin ?? string.Empty), ("details", details), ("window", window));
    }

    /// <summary>How many refusals of <paramref name="types"/> came from <paramref name="origin"/> in the windows that overlap the last <paramref name="span"/>.</summary>
    public async Task<long> CountRefusalsFromAsync(string? origin, IReadOnlyList<string> types, DateTimeOffset now, TimeSpan span, CancellationToken cancellationToken)
        => await SumAsync("source = @key", origin ?? string.Empty, types, now, span, cancellationToken);

    /// <summary>How many refusals of <paramref name="types"/> named <paramref name="personId"/> in the windows that overlap the last <paramref name="span"/>.</summary>
    public async Task<long> CountRefusalsForAsync(string personId, IReadOnlyList<string> types, DateTimeOffset now, TimeSpan span, CancellationToken cancellationToken)
        => await SumAsync("person_id = @key", personId, types, now, span, cancellationToken);

    private async Task<long> SumAsync(string who, string key, IReadOnlyList<string> types, DateTimeOffset now, TimeSpan span, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object?)> { ("key", key), ("since", WindowStart(now - span)) };
        var names = new List<string>();
        for (var i = 0; i < types.Count; i++)
        {
            names.Add("@t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            parameters.Add(("t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), types[i]));
        }

        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            $"SELECT COALESCE(SUM(count), 0) FROM console_events WHERE {who} AND window_start >= @since AND type IN ({string.Join(", ", names)})", [.. parameters]);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long WindowStart(DateTimeOffset at)
    {
        var length = (long)EventWindow.TotalMilliseconds;
        var ms = at.ToUnixTimeMilliseconds();
        return ms - (((ms % length) + length) % length);
    }

    /// <summary>The latest events, newest first.</summary>
    public async Task<IReadOnlyList<ConsoleEvent>> ListEventsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT seq, at, type, person_id, source, details, count, first_at FROM console_events ORDER BY at DESC, seq DESC LIMIT @limit", ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<ConsoleEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new ConsoleEvent(reader.GetInt64(0), Time(reader.GetInt64(1)), reader.GetString(2), NullIfEmpty(reader, 3), NullIfEmpty(reader, 4), reader.GetString(5),
                reader.GetInt64(6), reader.IsDBNull(7) ? null : Time(reader.GetInt64(7))));
        }

        return events;
    }

    private static string? NullIfEmpty(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) || reader.GetString(ordinal).Length == 0 ? null : reader.GetString(ordinal);

    // ---- settings and TOTP --------------------------------------------------------------------------------------

    public async Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT value FROM console_settings WHERE name = @name", ("name", name));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SetSettingAsync(string name, string value, string by, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null,
            "INSERT INTO console_settings (name, value, changed_at, changed_by) VALUES (@name, @value, @at, @by) ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at, changed_by = excluded.changed_by",
            cancellationToken, ("name", name), ("value", value), ("at", at.ToUnixTimeMilliseconds()), ("by", by));
    }

    /// <summary>Records a setting unless it is already recorded (the first node to start decides); false when it was.</summary>
    public async Task<bool> TryAddSettingAsync(string name, string value, string by, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "INSERT INTO console_settings (name, value, changed_at, changed_by) VALUES (@name, @value, @at, @by) ON CONFLICT (name) DO NOTHING",
            cancellationToken, ("name", name), ("value", value), ("at", at.ToUnixTimeMilliseconds()), ("by", by)) == 1;
    }

    // ---- Data Protection key ring (synchronous: ASP.NET Core's IXmlRepository is) ---------------------------------

    /// <summary>
    /// Runs <paramref name="action"/> while no other node of a PostgreSQL deployment runs one (a session advisory lock);
    /// on SQLite, one node, it just runs it.
    /// </summary>
    public void RunExclusively(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!postgres)
        {
            action();
            return;
        }

        using var connection = source.OpenConnection();
        using (var locking = Command(connection, null, "SELECT pg_advisory_lock(7460020)"))
        {
            locking.ExecuteNonQuery();
        }

        try
        {
            action();
        }
        finally
        {
            using var unlocking = Command(connection, null, "SELECT pg_advisory_unlock(7460020)");
            unlocking.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<string> ReadDataProtectionKeys()
    {
        using var connection = source.OpenConnection();
        using var command = Command(connection, null, "SELECT xml FROM console_dataprotection_keys ORDER BY name");
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public void AddDataProtectionKey(string name, string xml)
    {
        using var connection = source.OpenConnection();
        using var command = Command(connection, null, "INSERT INTO console_dataprotection_keys (name, xml) VALUES (@name, @xml) ON CONFLICT (name) DO NOTHING", ("name", name), ("xml", xml));
        command.ExecuteNonQuery();
    }

    /// <summary>Stores a new, unconfirmed TOTP secret for a person, replacing an unconfirmed one (never a confirmed one: false then).</summary>
    public async Task<bool> AddPendingTotpAsync(string personId, string protectedSecret, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        var rows = await ExecuteAsync(connection, null,
            "INSERT INTO console_totp (person_id, secret, created_at, confirmed_at, last_step) VALUES (@person, @secret, @at, NULL, -1) " +
            "ON CONFLICT (person_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = -1 WHERE console_totp.confirmed_at IS NULL",
            cancellationToken, ("person", personId), ("secret", protectedSecret), ("at", at.ToUnixTimeMilliseconds()));
        return rows == 1;
    }

    public async Task<TotpAuthenticator?> GetTotpAsync(string personId, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT t.person_id, t.secret, t.created_at, t.confirmed_at, t.last_step FROM console_totp t JOIN console_people p ON p.id = t.person_id WHERE t.person_id = @person AND p.removed_at IS NULL",
            ("person", personId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TotpAuthenticator(reader.GetString(0), reader.GetString(1), Time(reader.GetInt64(2)), reader.IsDBNull(3) ? null : Time(reader.GetInt64(3)), reader.GetInt64(4))
            : null;
    }

    /// <summary>
    /// Accepts a code's time step for a person: true only when it is later than every step accepted before, decided by
    /// one conditional update, so a code (or an older one) is accepted once, on whichever node sees it first.
    /// <paramref name="confirm"/> also marks a pending authenticator confirmed.
    /// </summary>
    public async Task<bool> UseTotpStepAsync(string personId, long step, bool confirm, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        var rows = await ExecuteAsync(connection, null,
            confirm
                ? "UPDATE console_totp SET last_step = @step, confirmed_at = @at WHERE person_id = @person AND last_step < @step AND confirmed_at IS NULL"
                : "UPDATE console_totp SET last_step = @step WHERE person_id = @person AND last_step < @step AND confirmed_at IS NOT NULL",
            cancellationToken, ("person", personId), ("step", step), ("at", at.ToUnixTimeMilliseconds()));
        return rows == 1;
    }

    public async Task<bool> RemoveTotpAsync(string personId, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM console_totp WHERE person_id = @person", cancellationToken, ("person", personId)) == 1;
    }

    /// <summary>The live people called <paramref name="name"/> (case-insensitive) who have a confirmed TOTP authenticator.</summary>
    public async Task<IReadOnlyList<Person>> FindTotpPeopleByNameAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT p.id, p.name, p.role, p.created_at, p.created_by FROM console_people p JOIN console_totp t ON t.person_id = p.id WHERE LOWER(p.name) = LOWER(@name) AND p.removed_at IS NULL AND t.confirmed_at IS NOT NULL",
            ("name", name));
        return await ReadPeopleAsync(command, cancellationToken);
    }

    /// <summary>Each live person's sign-in factors: how many passkeys, and whether a confirmed TOTP authenticator.</summary>
    public async Task<IReadOnlyDictionary<string, (int Passkeys, bool Totp)>> ListFactorsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT p.id, (SELECT COUNT(*) FROM console_passkeys k WHERE k.person_id = p.id), (SELECT COUNT(*) FROM console_totp t WHERE t.person_id = p.id AND t.confirmed_at IS NOT NULL) " +
            "FROM console_people p WHERE p.removed_at IS NULL");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var factors = new Dictionary<string, (int, bool)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            factors[reader.GetString(0)] = ((int)reader.GetInt64(1), reader.GetInt64(2) > 0);
        }

        return factors;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private static async Task<IReadOnlyList<Person>> ReadPeopleAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var people = new List<Person>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (Roles.TryParse(reader.GetString(2), out var role))
            {
                people.Add(new Person(reader.GetString(0), reader.GetString(1), role, Time(reader.GetInt64(3)), reader.GetString(4)));
            }
        }

        return people;
    }

    private static async Task<IReadOnlyList<Invitation>> ReadInvitationsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var invitations = new List<Invitation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (Roles.TryParse(reader.GetString(2), out var role))
            {
                invitations.Add(new Invitation(reader.GetString(0), reader.GetString(1), role, Time(reader.GetInt64(3)), Time(reader.GetInt64(4)),
                    reader.IsDBNull(5) ? null : Time(reader.GetInt64(5)), reader.GetString(6)));
            }
        }

        return invitations;
    }
}
