using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Storage;

/// <summary>
/// The directory's one SQLite file: write-ahead logging so the HTTP readers never wait for a publisher,
/// <c>synchronous=FULL</c> so a committed publication survives power loss, and migrations numbered by
/// <c>PRAGMA user_version</c>.
/// </summary>
public sealed class SqliteDirectoryDatabase : DirectoryDatabase
{
    private readonly string _connectionString;

    // The physical connections (sqlite3 handles) whose PRAGMAs are set. They are settings of the physical
    // connection, which the pool hands out again and again: parsing three PRAGMAs on every open cost 2.7% of the
    // CPU of SMTP acceptance, which opens one per directory lookup (issue #14).
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();

    // Bounds the kept statements should a caller ever build the text of a lookup: past it, lookups run as before.
    private const int MaxPointStatements = 32;
    private readonly Lock _pointLock = new();
    private readonly Dictionary<string, SqliteCommand> _pointStatements = new(StringComparer.Ordinal);
    private SqliteConnection? _pointReader;
    private bool _disposed;

    private SqliteDirectoryDatabase(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public override string Description => Path;

    /// <summary>Opens (creating if needed) the database file and brings its schema up to date.</summary>
    public static new async Task<SqliteDirectoryDatabase> OpenAsync(string path, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var database = new SqliteDirectoryDatabase(path);
        await using var connection = (SqliteConnection)await database.ConnectAsync(cancellationToken);
        // The journal mode is a property of the file, set once; the rest are per connection.
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await Migrations.ApplyAsync(connection, cancellationToken);
        return database;
    }

    public override async Task<DbConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        var handle = connection.Handle!;
        if (!_configured.TryGetValue(handle, out _))
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            _configured.AddOrUpdate(handle, handle);
        }

        return connection;
    }

    // Microsoft.Data.Sqlite begins transactions IMMEDIATE: writers already take the file's one write lock in turn.
    internal override Task SerializeAsync(DbConnection connection, DbTransaction transaction, LockScope scope, string key, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // One node: the callers' own gates order their runs in the process, and the epoch's primary key refuses a second
    // writer of the same epoch (another process on the same file).
    internal override Task<IAsyncDisposable?> TryLockAsync(LockScope scope, string key, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(NoLock.Instance);

    internal override void ProtectSecrets()
    {
        // Owner-only, like the secret key files `keypost key generate` writes.
        foreach (var file in new[] { Path, Path + "-wal", Path + "-shm" }.Where(File.Exists))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// A point lookup (is a domain hosted, an account's password hash) on one connection kept open for them, each
    /// statement prepared at its first run and kept. They run for every SMTP recipient and IMAP login; on a pooled
    /// connection with a fresh prepare each, they were about 4% of the CPU of SMTP acceptance (issue #14). The
    /// statements are short and SQLite answers synchronously, so they take turns under a lock. In WAL mode each run
    /// reads the latest commit, as a fresh connection would.
    /// </summary>
    public override Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_pointLock)
        {
            if (!_pointStatements.TryGetValue(sql, out var command) && !_disposed && _pointStatements.Count < MaxPointStatements)
            {
                _pointReader ??= OpenPointReader();
                command = (SqliteCommand)Command(_pointReader, null, sql, args);
                _pointStatements.Add(sql, command);
            }

            if (command is not null)
            {
                for (var i = 0; i < args.Length; i++)
                {
                    command.Parameters[i].Value = args[i] ?? DBNull.Value;
                }

                var value = command.ExecuteScalar();
                return Task.FromResult(value is DBNull ? null : value);
            }
        }

        // Disposed (a late caller during shutdown), or past the bound: as before, on a pooled connection.
        return base.ScalarAsync(sql, cancellationToken, args);
    }

    public override ValueTask DisposeAsync()
    {
        lock (_pointLock)
        {
            _disposed = true;
            foreach (var command in _pointStatements.Values)
            {
                command.Dispose();
            }

            _pointStatements.Clear();
            _pointReader?.Dispose();
            _pointReader = null;
        }

        return base.DisposeAsync();
    }

    private SqliteConnection OpenPointReader()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    protected override void Bind(DbParameter parameter, int position) =>
        parameter.ParameterName = "$" + position.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
