using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Data.Sqlite;

namespace Keypost.Server.Witness;

/// <summary>
/// The witness's SQLite file: its Ed25519 key (generated on first open) and, per origin, the newest checkpoint it
/// cosigned. <c>synchronous=FULL</c>: C2SP tlog-witness requires the state to be persisted before answering.
/// The key is in the file: it is created with mode 0600.
/// </summary>
public sealed class SqliteWitnessStore : IWitnessStore
{
    private readonly string _connectionString;

    private SqliteWitnessStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public static async Task<SqliteWitnessStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
        {
            await using (File.Create(path))
            {
            }

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var store = new SqliteWitnessStore(path);
        await using var connection = await store.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS witness_key (id INTEGER PRIMARY KEY CHECK (id = 1), private_key BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS witness_logs (
                origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);
            """;
        await command.ExecuteNonQueryAsync(cancellationToken);
        return store;
    }

    /// <summary>The witness's private key, generated and stored on first use.</summary>
    public async Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO witness_key (id, private_key) VALUES (1, $key)";
        insert.Parameters.AddWithValue("$key", NoteSigner.GeneratePrivateKey());
        await insert.ExecuteNonQueryAsync(cancellationToken);
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT private_key FROM witness_key WHERE id = 1";
        return (byte[])(await select.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<WitnessRecord?> ReadAsync(string origin, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT size, root, note FROM witness_logs WHERE origin = $origin";
        command.Parameters.AddWithValue("$origin", origin);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new WitnessRecord(origin, reader.GetInt64(0), (byte[])reader[1], reader.GetString(2))
            : null;
    }

    public async Task<bool> TryAdvanceAsync(long expectedSize, WitnessRecord next, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // One statement, so the size check and the write are atomic even across processes sharing the file.
        command.CommandText = expectedSize == 0
            ? """
              INSERT INTO witness_logs (origin, size, root, note) VALUES ($origin, $size, $root, $note)
              ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note
              WHERE witness_logs.size = 0
              """
            : "UPDATE witness_logs SET size = $size, root = $root, note = $note WHERE origin = $origin AND size = $expected";
        command.Parameters.AddWithValue("$origin", next.Origin);
        command.Parameters.AddWithValue("$size", next.Size);
        command.Parameters.AddWithValue("$root", next.RootHash);
        command.Parameters.AddWithValue("$note", next.Note);
        command.Parameters.AddWithValue("$expected", expectedSize);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
