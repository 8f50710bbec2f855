using System.Globalization;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Witness;
using Microsoft.Data.Sqlite;

namespace Keypost.Client.Contacts;

/// <summary>
/// Per transparency log (by origin), on the user's machine: the log key pinned at first contact and the newest
/// checkpoint verified. A checkpoint is only ever replaced by a larger one, so a rollback cannot be stored.
/// </summary>
public sealed class LogStore(string path, TimeProvider clock)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();

    /// <summary>The pinned verifier key and the checkpoint held, or nulls for a log never seen.</summary>
    public async Task<(string? VerifierKey, TrustedCheckpoint? Checkpoint)> FindAsync(string origin, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT vkey, size, root FROM logs WHERE origin = $o";
        command.Parameters.AddWithValue("$o", origin);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (null, null);
        }

        var checkpoint = reader.IsDBNull(1) ? null : new TrustedCheckpoint(reader.GetInt64(1), (byte[])reader[2]);
        return (reader.GetString(0), checkpoint);
    }

    /// <summary>Stores the key on first contact and the verified checkpoint, never over a larger one.</summary>
    public async Task SaveAsync(string origin, string verifierKey, TrustedCheckpoint checkpoint, string note, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO logs(origin, vkey, size, root, checkpoint, first_seen, updated) VALUES ($o, $k, $s, $r, $c, $now, $now)
            ON CONFLICT(origin) DO UPDATE SET size = $s, root = $r, checkpoint = $c, updated = $now
                WHERE logs.vkey = $k AND (logs.size IS NULL OR logs.size <= $s)
            """;
        command.Parameters.AddWithValue("$o", origin);
        command.Parameters.AddWithValue("$k", verifierKey);
        command.Parameters.AddWithValue("$s", checkpoint.Size);
        command.Parameters.AddWithValue("$r", checkpoint.RootHash);
        command.Parameters.AddWithValue("$c", note);
        command.Parameters.AddWithValue("$now", clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Trusts a witness (its C2SP cosignature vkey) for every log; replaces an earlier key of the same name.</summary>
    public async Task AddWitnessAsync(CosignatureVerifier witness, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO witnesses(name, vkey) VALUES ($n, $k) ON CONFLICT(name) DO UPDATE SET vkey = $k";
        command.Parameters.AddWithValue("$n", witness.Name);
        command.Parameters.AddWithValue("$k", witness.VerifierKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The binding version of the owner's address at the last clean monitor check (0 = never checked).</summary>
    public async Task<long> MonitoredVersionAsync(string address, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM monitored WHERE address = $a";
        command.Parameters.AddWithValue("$a", address);
        return await command.ExecuteScalarAsync(cancellationToken) is long version ? version : 0;
    }

    public async Task SaveMonitoredVersionAsync(string address, long version, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO monitored(address, version) VALUES ($a, $v) ON CONFLICT(address) DO UPDATE SET version = $v";
        command.Parameters.AddWithValue("$a", address);
        command.Parameters.AddWithValue("$v", version);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The owner's address's history as the last clean monitor check verified it: the version judged and the history
    /// chain through the version before it (so the next check re-proves that version too); null when never checked
    /// against a log with history chains.
    /// </summary>
    public async Task<(long Version, byte[] ChainBefore)?> MonitoredHistoryAsync(string address, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, chain FROM monitored_history WHERE address = $a";
        command.Parameters.AddWithValue("$a", address);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), (byte[])reader[1]) : null;
    }

    public async Task SaveMonitoredHistoryAsync(string address, long version, byte[] chainBefore, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO monitored_history(address, version, chain) VALUES ($a, $v, $c) ON CONFLICT(address) DO UPDATE SET version = $v, chain = $c";
        command.Parameters.AddWithValue("$a", address);
        command.Parameters.AddWithValue("$v", version);
        command.Parameters.AddWithValue("$c", chainBefore);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records that the owner revoked his key <paramref name="fingerprint"/> himself (`keypost key revoke`).</summary>
    public async Task RecordOwnRevocationAsync(string address, string fingerprint, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO own_revocations(address, fingerprint, revoked_at) VALUES ($a, $f, $t)";
        command.Parameters.AddWithValue("$a", address);
        command.Parameters.AddWithValue("$f", fingerprint.ToUpperInvariant());
        command.Parameters.AddWithValue("$t", clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The fingerprints (upper-case hex) of the keys the owner revoked himself.</summary>
    public async Task<IReadOnlySet<string>> OwnRevocationsAsync(string address, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT fingerprint FROM own_revocations WHERE address = $a";
        command.Parameters.AddWithValue("$a", address);
        var result = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    /// <summary>The witnesses this client trusts, in name order.</summary>
    public async Task<IReadOnlyList<CosignatureVerifier>> WitnessesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT vkey FROM witnesses ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var witnesses = new List<CosignatureVerifier>();
        while (await reader.ReadAsync(cancellationToken))
        {
            witnesses.Add(CosignatureVerifier.Parse(reader.GetString(0)));
        }

        return witnesses;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var schema = connection.CreateCommand();
        schema.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS logs (
                origin TEXT PRIMARY KEY, vkey TEXT NOT NULL, size INTEGER, root BLOB, checkpoint TEXT,
                first_seen TEXT NOT NULL, updated TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS witnesses (name TEXT PRIMARY KEY, vkey TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS monitored (address TEXT PRIMARY KEY, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS monitored_history (address TEXT PRIMARY KEY, version INTEGER NOT NULL, chain BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS own_revocations (
                address TEXT NOT NULL, fingerprint TEXT NOT NULL, revoked_at TEXT NOT NULL, PRIMARY KEY (address, fingerprint));
            """;
        await schema.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
