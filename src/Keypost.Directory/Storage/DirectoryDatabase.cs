using System.Data.Common;
using Npgsql;

namespace Keypost.Directory.Storage;

/// <summary>
/// The directory's database: one SQLite file on a single node (the default), or PostgreSQL shared by several nodes
/// (docs/postgres.md). The stores write one SQL text for both engines: parameters are <c>$1</c>, <c>$2</c> ...
/// (SQLite reads them as names, PostgreSQL as positions), conflicts are <c>ON CONFLICT</c> (SQLite 3.24 and later),
/// and booleans are integers 0 and 1 on both. What differs (DDL, locks between nodes) is in the subclasses.
/// </summary>
public abstract class DirectoryDatabase : IAsyncDisposable
{
    /// <summary>Opens (creating if needed) a SQLite database file and brings its schema up to date.</summary>
    public static async Task<DirectoryDatabase> OpenAsync(string path, CancellationToken cancellationToken) =>
        await SqliteDirectoryDatabase.OpenAsync(path, cancellationToken);

    /// <summary>
    /// The directory on PostgreSQL (part <c>directory</c> of the database's migrations); disposing the database
    /// disposes <paramref name="dataSource"/> when <paramref name="ownsDataSource"/>.
    /// </summary>
    public static async Task<DirectoryDatabase> OpenPostgresAsync(NpgsqlDataSource dataSource, bool ownsDataSource, CancellationToken cancellationToken) =>
        await PostgresDirectoryDatabase.OpenAsync(dataSource, ownsDataSource, cancellationToken);

    /// <summary>What the database is, for messages: a file path, or the PostgreSQL host and database.</summary>
    public abstract string Description { get; }

    public abstract Task<DbConnection> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>A command on <paramref name="connection"/> with <paramref name="args"/> bound to <c>$1</c>, <c>$2</c> ... (null is SQL NULL).</summary>
    public DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(args);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            var parameter = command.CreateParameter();
            Bind(parameter, i + 1);
            parameter.Value = args[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Runs one statement; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = Command(connection, transaction, sql, args);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs one statement on a connection of its own; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        return await ExecuteAsync(connection, null, sql, cancellationToken, args);
    }

    /// <summary>The first column of the first row, or null when there is no row.</summary>
    public async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = Command(connection, transaction, sql, args);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    /// <summary>As above, on a connection of its own.</summary>
    public virtual async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        return await ScalarAsync(connection, null, sql, cancellationToken, args);
    }

    /// <summary>Every row of a query, each turned into a value by <paramref name="read"/>.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = Command(connection, null, sql, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>
    /// Makes writers of the same <paramref name="scope"/> and <paramref name="key"/> (a domain's publications, an
    /// account's devices) wait for each other until <paramref name="transaction"/> ends, on every node. SQLite needs
    /// nothing: its write transactions already run one at a time.
    /// </summary>
    internal abstract Task SerializeAsync(DbConnection connection, DbTransaction transaction, LockScope scope, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a lock held across nodes until the returned handle is disposed (the right to append epochs to a domain's
    /// log, to run the owner monitor); null when another node holds it now.
    /// </summary>
    internal abstract Task<IAsyncDisposable?> TryLockAsync(LockScope scope, string key, CancellationToken cancellationToken);

    /// <summary>Called once the database holds secret keys (the log's and VRF's): a file is made owner-only.</summary>
    internal virtual void ProtectSecrets()
    {
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Gives <paramref name="parameter"/> the name or position that <c>$<paramref name="position"/></c> in the SQL refers to.</summary>
    protected abstract void Bind(DbParameter parameter, int position);
}
