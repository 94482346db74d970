using System.Data.Common;

namespace SecureFuture.WebConsole.People;

/// <summary>A person who may use the console. <see cref="Id"/> is also the WebAuthn user handle of their passkeys.</summary>
public sealed record Person(string Id, string Name, Role Role, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A passkey: the credential id and COSE public key WebAuthn registered, and the last signature counter seen.</summary>
public sealed record Passkey(byte[] CredentialId, string PersonId, byte[] PublicKey, uint SignCount, DateTimeOffset CreatedAt);

/// <summary>An invitation to enrol a passkey with a role; its token is kept only as a hash and works once.</summary>
public sealed record Invitation(string Id, string Name, Role Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, string CreatedBy);

/// <summary>A signed-in browser. <see cref="VerifiedAt"/> is when its person last proved presence with a passkey.</summary>
public sealed record ConsoleSession(string Hash, Person Person, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, DateTimeOffset VerifiedAt);

/// <summary>A refused or notable console event (a WebAuthn response that failed verification, a refused enrolment link).</summary>
public sealed record ConsoleEvent(long Sequence, DateTimeOffset At, string Type, string? PersonId, string? Source, string Details);

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
    ];

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

    public async Task AddSessionAsync(string hash, string personId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO console_sessions (token_hash, person_id, created_at, last_seen_at, verified_at, revoked_at) VALUES (@hash, @person, @at, @at, @at, NULL)", cancellationToken,
            ("hash", hash), ("person", personId), ("at", at.ToUnixTimeMilliseconds()));
    }

    /// <summary>The live session with this hash (not revoked, its person not removed), or null. Limits are the caller's.</summary>
    public async Task<ConsoleSession?> FindSessionAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT s.token_hash, s.created_at, s.last_seen_at, s.verified_at, p.id, p.name, p.role, p.created_at, p.created_by FROM console_sessions s JOIN console_people p ON p.id = s.person_id " +
            "WHERE s.token_hash = @hash AND s.revoked_at IS NULL AND p.removed_at IS NULL", ("hash", hash));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || !Roles.TryParse(reader.GetString(6), out var role))
        {
            return null;
        }

        var person = new Person(reader.GetString(4), reader.GetString(5), role, Time(reader.GetInt64(7)), reader.GetString(8));
        return new ConsoleSession(reader.GetString(0), person, Time(reader.GetInt64(1)), Time(reader.GetInt64(2)), Time(reader.GetInt64(3)));
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

    public async Task AddEventAsync(DateTimeOffset at, string type, string? personId, string? origin, string details, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO console_events (at, type, person_id, source, details) VALUES (@at, @type, @person, @source, @details)", cancellationToken,
            ("at", at.ToUnixTimeMilliseconds()), ("type", type), ("person", personId), ("source", origin), ("details", details));
    }

    /// <summary>The latest events, newest first.</summary>
    public async Task<IReadOnlyList<ConsoleEvent>> ListEventsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT seq, at, type, person_id, source, details FROM console_events ORDER BY seq DESC LIMIT @limit", ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<ConsoleEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new ConsoleEvent(reader.GetInt64(0), Time(reader.GetInt64(1)), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5)));
        }

        return events;
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

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // every statement is a constant of this class; values travel as parameters
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
