using Keypost.Core.Addresses;
using Microsoft.Data.Sqlite;
using Keypost.Store;

namespace Keypost.Mail.Queue;

/// <summary>
/// The queue's SQLite index: one row per message, one per recipient. WAL with synchronous=FULL makes each commit
/// durable before it returns (SQLite docs, "PRAGMA synchronous"); a crash rolls back an uncommitted transaction and
/// the WAL is recovered by the next open. One connection for writes (and listings), used under a lock; a second,
/// read-only one for the inline message bytes, so a delivery reading a message never waits for a commit's fsync
/// (WAL readers see every committed transaction without blocking the writer).
/// </summary>
internal sealed class QueueIndex : IDisposable
{
    private const string ActiveStates = "(0, 2)"; // Pending, Deferred

    private readonly SqliteConnection connection;
    private readonly SqliteConnection dataReader;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Dictionary<string, SqliteCommand> statements = new(StringComparer.Ordinal);
    private readonly Lock dataReaderLock = new();
    private SqliteCommand? inlineRead;

    private QueueIndex(SqliteConnection connection, SqliteConnection dataReader)
    {
        this.connection = connection;
        this.dataReader = dataReader;
    }

    public static QueueIndex Open(string path)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // No pool: closing really closes the file, so a reopen (or another process) finds no lingering handle.
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA busy_timeout = 10000;
            CREATE TABLE IF NOT EXISTS messages (
                id TEXT PRIMARY KEY,
                reverse_path TEXT NULL,
                smtp_utf8 INTEGER NOT NULL,
                eight_bit INTEGER NOT NULL,
                size INTEGER NOT NULL,
                created INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS recipients (
                message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                address TEXT NOT NULL,
                state INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt INTEGER NOT NULL,
                last_error TEXT NULL,
                PRIMARY KEY (message_id, idx));
            CREATE INDEX IF NOT EXISTS recipients_due ON recipients(state, next_attempt);
            CREATE TABLE IF NOT EXISTS message_data (
                message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                data BLOB NOT NULL);
            """);
        // Added after the first release: a queue written before them gains the columns (folder NULL: INBOX;
        // require_tls 0: messages queued before REQUIRETLS existed were not tagged).
        if (!HasColumn(connection, "messages", "require_tls"))
        {
            Execute(connection, "ALTER TABLE messages ADD COLUMN require_tls INTEGER NOT NULL DEFAULT 0;");
        }

        if (!HasColumn(connection, "messages", "folder"))
        {
            Execute(connection, "ALTER TABLE messages ADD COLUMN folder TEXT NULL;");
        }

        var reader = new SqliteConnection(new SqliteConnectionStringBuilder(builder.ToString()) { Mode = SqliteOpenMode.ReadOnly }.ToString());
        try
        {
            reader.Open();
        }
        catch
        {
            reader.Dispose();
            connection.Dispose();
            throw;
        }

        return new QueueIndex(connection, reader);
    }

    /// <summary>
    /// Inserts messages in one transaction: one commit (and one WAL fsync) for the lot. A message whose bytes
    /// <paramref name="inlineData"/> returns is stored with them, in the same commit: small messages then cost
    /// the group's one fsync and nothing of their own.
    /// </summary>
    public async Task InsertAsync(IReadOnlyList<QueuedMessage> messages, Func<string, byte[]?> inlineData, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var tx = connection.BeginTransaction();
            foreach (var message in messages)
            {
                Insert(tx, message);
                if (inlineData(message.Id) is { } data)
                {
                    var cmd = Command(tx, "INSERT INTO message_data (message_id, data) VALUES ($id, $data)");
                    cmd.Parameters.AddWithValue("$id", message.Id);
                    cmd.Parameters.AddWithValue("$data", data);
                    cmd.ExecuteNonQuery();
                }
            }

            tx.Commit();
        }
        finally
        {
            gate.Release();
        }
    }

    private void Insert(SqliteTransaction tx, QueuedMessage message)
    {
        var row = Command(tx, "INSERT INTO messages (id, reverse_path, smtp_utf8, eight_bit, size, created, folder, require_tls) VALUES ($id, $rp, $u8, $8b, $size, $created, $folder, $rt)");
        row.Parameters.AddWithValue("$id", message.Id);
        row.Parameters.AddWithValue("$rp", (object?)message.ReversePath?.ToString() ?? DBNull.Value);
        row.Parameters.AddWithValue("$u8", message.SmtpUtf8);
        row.Parameters.AddWithValue("$8b", message.EightBitMime);
        row.Parameters.AddWithValue("$size", message.Size);
        row.Parameters.AddWithValue("$created", message.Created.ToUnixTimeMilliseconds());
        row.Parameters.AddWithValue("$folder", (object?)message.Folder ?? DBNull.Value);
        row.Parameters.AddWithValue("$rt", message.RequireTls);
        row.ExecuteNonQuery();

        foreach (var r in message.Recipients)
        {
            var cmd = Command(tx, "INSERT INTO recipients VALUES ($id, $idx, $addr, $state, $attempts, $next, $err)");
            cmd.Parameters.AddWithValue("$id", message.Id);
            cmd.Parameters.AddWithValue("$idx", r.Index);
            cmd.Parameters.AddWithValue("$addr", r.Address.ToString());
            cmd.Parameters.AddWithValue("$state", (int)r.State);
            cmd.Parameters.AddWithValue("$attempts", r.Attempts);
            cmd.Parameters.AddWithValue("$next", r.NextAttempt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$err", (object?)r.LastError ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Messages with at least one active recipient due at <paramref name="now"/>, oldest first.</summary>
    public Task<IReadOnlyList<QueuedMessage>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        QueryMessagesAsync(
            $"SELECT id, reverse_path, smtp_utf8, eight_bit, size, created, folder, require_tls FROM messages WHERE id IN (SELECT message_id FROM recipients WHERE state IN {ActiveStates} AND next_attempt <= $now) ORDER BY created LIMIT $limit",
            cmd =>
            {
                cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                cmd.Parameters.AddWithValue("$limit", limit);
            },
            cancellationToken);

    /// <summary>
    /// Every message, oldest first, a page at a time (keyset on created, id): memory stays one page whatever the
    /// queue's length, and the gate is held per page, so a running worker is never blocked for the whole listing.
    /// </summary>
    public async IAsyncEnumerable<QueuedMessage> StreamAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int PageSize = 500;
        var (created, id) = (long.MinValue, "");
        while (true)
        {
            var page = await QueryMessagesAsync(
                "SELECT id, reverse_path, smtp_utf8, eight_bit, size, created, folder, require_tls FROM messages "
                + "WHERE created > $created OR (created = $created AND id > $id) ORDER BY created, id LIMIT $limit",
                cmd =>
                {
                    cmd.Parameters.AddWithValue("$created", created);
                    cmd.Parameters.AddWithValue("$id", id);
                    cmd.Parameters.AddWithValue("$limit", PageSize);
                },
                cancellationToken).ConfigureAwait(false);
            foreach (var message in page)
            {
                yield return message;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            (created, id) = (page[^1].Created.ToUnixTimeMilliseconds(), page[^1].Id);
        }
    }

    public Task<IReadOnlyList<QueuedMessage>> GetAllAsync(CancellationToken cancellationToken) =>
        QueryMessagesAsync("SELECT id, reverse_path, smtp_utf8, eight_bit, size, created, folder, require_tls FROM messages ORDER BY created", _ => { }, cancellationToken);

    public async Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var list = await QueryMessagesAsync("SELECT id, reverse_path, smtp_utf8, eight_bit, size, created, folder, require_tls FROM messages WHERE id = $id", c => c.Parameters.AddWithValue("$id", id), cancellationToken).ConfigureAwait(false);
        return list.Count > 0 ? list[0] : null;
    }

    /// <summary>
    /// A committed message's bytes when they are stored inline, or null (a data file holds them, or there is no
    /// such message). Synchronous, as the queue's OpenData is: one indexed read, never behind a commit.
    /// </summary>
    public byte[]? ReadInlineData(string id)
    {
        lock (dataReaderLock)
        {
            // Prepared once, as the writer's statements are (Command).
            if (inlineRead is null)
            {
                inlineRead = dataReader.CreateCommand();
                inlineRead.CommandText = "SELECT data FROM message_data WHERE message_id = $id";
                inlineRead.Parameters.Add("$id", SqliteType.Text);
            }

            inlineRead.Parameters[0].Value = id;
            return inlineRead.ExecuteScalar() as byte[];
        }
    }

    public async Task<HashSet<string>> GetIdsAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cmd = Command(null, "SELECT id FROM messages");
            using var reader = cmd.ExecuteReader();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cmd = Command(null, $"SELECT MIN(next_attempt) FROM recipients WHERE state IN {ActiveStates}");
            var value = cmd.ExecuteScalar();
            return value is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Records outcomes; when no recipient is left active, deletes the message and returns it as removed (and
    /// whether its bytes were inline, so no data file is left to delete).
    /// </summary>
    public async Task<RemovedRows> RecordAsync(string id, IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var relaxed = RelaxedDurability();
            using var tx = connection.BeginTransaction();
            var removed = Record(tx, id, outcomes);
            tx.Commit();
            return removed;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>As <see cref="RecordAsync"/> for several messages in one transaction; sets each request's Done.</summary>
    public async Task RecordManyAsync(IReadOnlyList<RecordRequest> requests, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var relaxed = RelaxedDurability();
            using var tx = connection.BeginTransaction();
            var removed = requests.Select(r => Record(tx, r.Id, r.Outcomes)).ToList();
            tx.Commit();
            for (var i = 0; i < requests.Count; i++)
            {
                requests[i].Done = removed[i].Message;
                requests[i].InlineData = removed[i].InlineData;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private RemovedRows Record(SqliteTransaction tx, string id, IEnumerable<RecipientOutcome> outcomes)
    {
        foreach (var o in outcomes)
        {
            var cmd = Command(tx, """
                UPDATE recipients SET state = $state, attempts = attempts + 1, last_error = $err,
                    next_attempt = COALESCE($next, next_attempt)
                WHERE message_id = $id AND idx = $idx
                """);
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$idx", o.Index);
            cmd.Parameters.AddWithValue("$state", (int)o.State);
            cmd.Parameters.AddWithValue("$err", (object?)o.Error ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$next", (object?)o.NextAttempt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }

        long active;
        var count = Command(tx, $"SELECT COUNT(*) FROM recipients WHERE message_id = $id AND state IN {ActiveStates}");
        count.Parameters.AddWithValue("$id", id);
        active = (long)count.ExecuteScalar()!;

        return active == 0 ? DeleteRows(tx, id) : default;
    }

    public async Task<RemovedRows> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var relaxed = RelaxedDurability();
            using var tx = connection.BeginTransaction();
            var deleted = DeleteRows(tx, id);
            tx.Commit();
            return deleted;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Makes every active recipient due at <paramref name="now"/>; returns how many.</summary>
    public async Task<int> MakeDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cmd = Command(null, $"UPDATE recipients SET next_attempt = $now WHERE state IN {ActiveStates} AND next_attempt > $now");
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Commits made until the returned scope ends skip the WAL fsync (synchronous=NORMAL): they record outcomes
    /// and removals, whose loss in a power cut means a retry or a second delivery, never a lost message (Postfix
    /// does not fsync the removal of a delivered queue file either). A process crash loses nothing (the WAL is
    /// in the page cache), and the next FULL commit, an insert, syncs these frames with its own: the WAL is
    /// written in order (SQLite docs, "PRAGMA synchronous", WAL mode). Call under the gate, outside a transaction.
    /// </summary>
    private SynchronousScope RelaxedDurability()
    {
        Execute(connection, "PRAGMA synchronous = NORMAL;");
        return new SynchronousScope(connection);
    }

    private readonly struct SynchronousScope(SqliteConnection connection) : IDisposable
    {
        public void Dispose() => Execute(connection, "PRAGMA synchronous = FULL;");
    }

    public void Dispose()
    {
        lock (dataReaderLock)
        {
            inlineRead?.Dispose();
            dataReader.Dispose();
        }

        foreach (var statement in statements.Values)
        {
            statement.Dispose();
        }

        connection.Dispose();
        gate.Dispose();
    }

    private RemovedRows DeleteRows(SqliteTransaction tx, string id)
    {
        var r = Command(tx, "DELETE FROM recipients WHERE message_id = $id");
        r.Parameters.AddWithValue("$id", id);
        r.ExecuteNonQuery();

        var d = Command(tx, "DELETE FROM message_data WHERE message_id = $id");
        d.Parameters.AddWithValue("$id", id);
        var inline = d.ExecuteNonQuery() > 0;

        var m = Command(tx, "DELETE FROM messages WHERE id = $id");
        m.Parameters.AddWithValue("$id", id);
        return new RemovedRows(m.ExecuteNonQuery() > 0, inline);
    }

    private async Task<IReadOnlyList<QueuedMessage>> QueryMessagesAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var rows = new List<(string Id, string? Rp, bool U8, bool B8, long Size, long Created, string? Folder, bool RequireTls)>();
            {
                var cmd = Command(null, sql);
                bind(cmd);
                using var reader = cmd.ExecuteReader();
                while (reader.Read())
                {
                    rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2),
                        reader.GetBoolean(3), reader.GetInt64(4), reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetBoolean(7)));
                }
            }

            return rows.Select(row => new QueuedMessage(
                row.Id,
                row.Rp is null ? null : EmailAddress.Parse(row.Rp),
                row.U8,
                row.B8,
                row.Size,
                DateTimeOffset.FromUnixTimeMilliseconds(row.Created),
                ReadRecipients(row.Id)) { Folder = row.Folder, RequireTls = row.RequireTls }).ToList();
        }
        finally
        {
            gate.Release();
        }
    }

    private List<QueuedRecipient> ReadRecipients(string id)
    {
        var cmd = Command(null, "SELECT idx, address, state, attempts, next_attempt, last_error FROM recipients WHERE message_id = $id ORDER BY idx");
        cmd.Parameters.AddWithValue("$id", id);
        using var reader = cmd.ExecuteReader();
        var list = new List<QueuedRecipient>();
        while (reader.Read())
        {
            list.Add(new QueuedRecipient(
                reader.GetInt32(0),
                EmailAddress.Parse(reader.GetString(1)),
                (RecipientState)reader.GetInt32(2),
                reader.GetInt32(3),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return list;
    }

    // A statement of the writer connection, prepared at its first use and kept: preparing a dozen statements per
    // message (SQLite's parser and planner) was about 5% of the CPU of SMTP acceptance (issue #14). Call under the
    // gate and do not dispose it. Every text is a constant of this class, so the cache stays small. PRAGMAs stay out
    // of it: SQLite applies many of them when it prepares them, not each time they run.
    private SqliteCommand Command(SqliteTransaction? tx, string sql)
    {
        if (!statements.TryGetValue(sql, out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            statements.Add(sql, cmd);
        }

        cmd.Transaction = tx;
        cmd.Parameters.Clear();
        return cmd;
    }

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = $column";
        cmd.Parameters.AddWithValue("$column", column);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
