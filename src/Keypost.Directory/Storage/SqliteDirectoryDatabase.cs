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

    protected override void Bind(DbParameter parameter, int position) =>
        parameter.ParameterName = "$" + position.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
