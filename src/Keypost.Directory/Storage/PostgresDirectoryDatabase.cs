using System.Data.Common;
using Keypost.Data.Postgres;
using Npgsql;

namespace Keypost.Directory.Storage;

/// <summary>
/// The directory on PostgreSQL, shared by several nodes (docs/postgres.md): the same tables as the SQLite file
/// (<see cref="PostgresDirectorySchema"/>), and advisory locks where nodes must take turns.
/// </summary>
public sealed class PostgresDirectoryDatabase : DirectoryDatabase
{
    private const string Part = "directory";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;

    private PostgresDirectoryDatabase(NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
    }

    public override string Description
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
            return $"PostgreSQL database {builder.Database} on {builder.Host}";
        }
    }

    public static async Task<PostgresDirectoryDatabase> OpenAsync(NpgsqlDataSource dataSource, bool ownsDataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await PostgresMigrations.ApplyAsync(dataSource, Part, PostgresDirectorySchema.Steps, cancellationToken);
        return new PostgresDirectoryDatabase(dataSource, ownsDataSource);
    }

    public override async Task<DbConnection> ConnectAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    internal override async Task SerializeAsync(DbConnection connection, DbTransaction transaction, LockScope scope, string key, CancellationToken cancellationToken) =>
        // Released by the transaction's end, commit or rollback; hashtext maps the key into the lock's second int4.
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1, hashtext($2))", cancellationToken, (int)scope, key);

    internal override async Task<IAsyncDisposable?> TryLockAsync(LockScope scope, string key, CancellationToken cancellationToken)
    {
        // A session lock on a connection of its own, held for the whole run (the sequencer's read, seal and store): a
        // node that dies loses its connection and with it the lock, so another node takes over at its next run.
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await ScalarAsync(connection, null, "SELECT pg_try_advisory_lock($1, hashtext($2))", cancellationToken, (int)scope, key) is true)
            {
                return new SessionLock(this, connection, scope, key);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    // Npgsql sends unnamed parameters as PostgreSQL's own $1, $2 ... with the SQL text unchanged.
    protected override void Bind(DbParameter parameter, int position)
    {
    }

    private sealed class SessionLock(PostgresDirectoryDatabase database, NpgsqlConnection connection, LockScope scope, string key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await database.ExecuteAsync(connection, null, "SELECT pg_advisory_unlock($1, hashtext($2))", CancellationToken.None, (int)scope, key);
            }
            finally
            {
                // Should the unlock fail, the pool's reset of the connection (DISCARD ALL) releases the lock.
                await connection.DisposeAsync();
            }
        }
    }
}
