using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Storage;

/// <summary>
/// The directory's one SQLite file: write-ahead logging so the HTTP readers never wait for a publisher,
/// <c>synchronous=FULL</c> so a committed publication survives power loss, and migrations numbered by
/// <c>PRAGMA user_version</c>.
/// </summary>
public sealed class DirectoryDatabase
{
    private readonly string _connectionString;

    private DirectoryDatabase(string path)
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

    /// <summary>Opens (creating if needed) the database file and brings its schema up to date.</summary>
    public static async Task<DirectoryDatabase> OpenAsync(string path, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var database = new DirectoryDatabase(path);
        await using var connection = await database.ConnectAsync(cancellationToken);
        // The journal mode is a property of the file, set once; the rest are per connection.
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await Migrations.ApplyAsync(connection, cancellationToken);
        return database;
    }

    public async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
