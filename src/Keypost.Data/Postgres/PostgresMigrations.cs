using System.Globalization;
using Npgsql;

namespace Keypost.Data.Postgres;

/// <summary>
/// Versioned schema steps per part ("store", "queue" ...), applied at start in one transaction each part, by one node
/// at a time: nodes starting together wait on a transaction-scoped advisory lock instead of racing to create tables.
/// </summary>
public static class PostgresMigrations
{
    // An arbitrary key that names "Keypost schema migration" among the database's advisory locks.
    private const long MigrationLock = 0x4b70_5363_6865_6d61;

    /// <summary>Applies the steps of <paramref name="part"/> not yet recorded; refuses a database newer than this code.</summary>
    public static async Task ApplyAsync(NpgsqlDataSource dataSource, string part, IReadOnlyList<string> steps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(steps);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(" + MigrationLock.ToString(CultureInfo.InvariantCulture) + ")", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS keypost_migration (
                part text NOT NULL,
                version integer NOT NULL,
                applied timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (part, version))
            """, cancellationToken).ConfigureAwait(false);
        int current;
        await using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM keypost_migration WHERE part = $1", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = part });
            current = (int)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (current > steps.Count)
        {
            throw new InvalidOperationException(
                $"the database's {part} schema is at version {current}, newer than this keypost knows ({steps.Count}): upgrade keypost on this node");
        }

        for (var version = current + 1; version <= steps.Count; version++)
        {
            await ExecuteAsync(connection, steps[version - 1], cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO keypost_migration (part, version) VALUES ($1, $2)", connection);
            record.Parameters.Add(new NpgsqlParameter { Value = part });
            record.Parameters.Add(new NpgsqlParameter { Value = version });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
