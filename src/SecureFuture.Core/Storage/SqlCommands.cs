using System.Data.Common;

namespace SecureFuture.Core.Storage;

/// <summary>
/// The one way the SQL stores (keys, findings, clients, console people) build a statement: on any ADO.NET connection
/// (SQLite or PostgreSQL), inside the given transaction, with every value bound as a parameter (a null as SQL NULL),
/// never spliced into the text. A store imports it with <c>using static</c>.
/// </summary>
public static class SqlCommands
{
    /// <summary>
    /// A command for <paramref name="sql"/> on <paramref name="connection"/>, enlisted in <paramref name="transaction"/>
    /// when there is one, with <paramref name="parameters"/> bound by name. The caller disposes it.
    /// </summary>
    /// <param name="sql">A statement the store composes from its own constants; values travel in <paramref name="parameters"/>.</param>
    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // Statements are the calling store's constants; values always travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Runs a statement built by <see cref="Command"/>; returns the number of rows it changed.</summary>
    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
