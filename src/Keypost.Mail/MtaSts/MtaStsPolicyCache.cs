using Microsoft.Data.Sqlite;

namespace Keypost.Mail.MtaSts;

/// <summary>
/// In charge of MTA-STS: fetching, caching and applying receiving domains' policies, and publishing ours.
/// The MTA-STS policies fetched so far, kept in one SQLite file (RFC 8461 §5.1: a sender keeps a policy until its
/// max_age ends, so a restart must not forget it and let an attacker who blocks the TXT record or the HTTPS fetch
/// turn enforcement off). Each row is the policy text as fetched, its id and when it expires; it is parsed again when
/// read, so a later parser sees the same input. Rows past their expiry are ignored and removed.
/// </summary>
public sealed class MtaStsPolicyCache : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private MtaStsPolicyCache(SqliteConnection connection) => _connection = connection;

    public static async Task<MtaStsPolicyCache> OpenAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            System.IO.Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var create = connection.CreateCommand();
            create.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS policies (
                    domain TEXT PRIMARY KEY NOT NULL,
                    id TEXT NOT NULL,
                    text TEXT NOT NULL,
                    expires INTEGER NOT NULL
                );
                """;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new MtaStsPolicyCache(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Every policy still in force at <paramref name="now"/>, by domain (lower case); expired rows are deleted.</summary>
    public async Task<IReadOnlyDictionary<string, (MtaStsPolicy Policy, DateTimeOffset Expires)>> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var delete = _connection.CreateCommand())
            {
                delete.CommandText = "DELETE FROM policies WHERE expires <= $now";
                delete.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var policies = new Dictionary<string, (MtaStsPolicy, DateTimeOffset)>(StringComparer.OrdinalIgnoreCase);
            await using var select = _connection.CreateCommand();
            select.CommandText = "SELECT domain, id, text, expires FROM policies";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // A row that no longer parses (edited by hand, or a stricter parser) is as good as absent.
                if (MtaStsPolicy.Parse(reader.GetString(2), reader.GetString(1)) is { } policy)
                {
                    policies[reader.GetString(0)] = (policy, DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(3)));
                }
            }

            return policies;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Keeps <paramref name="policy"/> for <paramref name="domain"/> until <paramref name="expires"/>, replacing the one before.</summary>
    public async Task SaveAsync(string domain, MtaStsPolicy policy, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(policy);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var upsert = _connection.CreateCommand();
            upsert.CommandText = """
                INSERT INTO policies (domain, id, text, expires) VALUES ($domain, $id, $text, $expires)
                ON CONFLICT(domain) DO UPDATE SET id = excluded.id, text = excluded.text, expires = excluded.expires
                """;
            upsert.Parameters.AddWithValue("$domain", domain.ToLowerInvariant());
            upsert.Parameters.AddWithValue("$id", policy.Id);
            upsert.Parameters.AddWithValue("$text", policy.Text);
            upsert.Parameters.AddWithValue("$expires", expires.ToUnixTimeSeconds());
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
