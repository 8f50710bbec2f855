using System.Globalization;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Keypost.Store.Maildir;

/// <summary>
/// The per-mailbox index: one SQLite file in the Maildir folder (<see cref="FileName"/>) with a row per message
/// (UID, file name and so flags, size, INTERNALDATE, the searched header fields) and the mailbox's UIDVALIDITY,
/// UIDNEXT and the directory stamps seen at the last change. Each change is one transaction in WAL mode, so a crash
/// leaves the index as it was before or after the change, never between; docs/mail-store-index.md says why SQLite
/// rather than a log of our own. A commit that records new mail is durable (synchronous=FULL: the WAL is fsynced
/// before it returns); one that records only flag changes or expunges is not (synchronous=NORMAL: the WAL reaches the
/// page cache, and disk at the next durable commit or checkpoint), which survives a process kill and, after a power
/// cut, leaves the index at an earlier consistent state that the directory-stamp check repairs.
/// </summary>
internal sealed class MailboxIndex : IDisposable
{
    public const string FileName = "keypost-index.sqlite";

    // 1: the flags column and the message_flags and message_name indexes.
    // 2: message_text, the trigram index of the searched header fields.
    // 3: flag_snapshot, the UIDs and flags a clean shutdown leaves for the next start.
    private const int SchemaVersion = 3;

    // The searched header columns, in message_text's column order.
    private const string TextColumns = "subject, from_field, to_field, cc_field, bcc_field, message_id";

    // A query names at most this many trigrams: any subset of the value's trigrams finds a superset of the rows that
    // contain it, and the exact test (instr) runs on those rows, so the cap bounds the query's cost, not its answer.
    private const int MaxQueryTrigrams = 24;

    // A commit that adds this many rows (a folder's first index build, a rescan) ends by merging message_text's
    // segments into one, as a query visits every segment; FTS5's automerge keeps them few for small commits.
    private const int OptimizeAfterAdding = 1000;

    // From this many new rows in one commit message_text is filled by one INSERT ... SELECT.
    private const int BulkIndexRows = 64;

    private readonly SqliteConnection _connection;
    private readonly Lock _readLock = new();
    private SqliteConnection? _reader;
    private bool _closed;
    private long _dataVersion;
    private bool _synchronousFull = true;

    private MailboxIndex(SqliteConnection connection)
    {
        _connection = connection;
    }

    /// <summary>Opens (or creates) the index of the Maildir folder at <paramref name="maildir"/>.</summary>
    public static MailboxIndex Open(string maildir)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(maildir, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Not pooled: deleting or renaming the folder must be able to close the file for good.
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var index = new MailboxIndex(connection);
        try
        {
            index.Execute("""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS mailbox (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    uid_validity INTEGER NOT NULL,
                    uid_next INTEGER NOT NULL,
                    new_stamp INTEGER NOT NULL,
                    cur_stamp INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS message (
                    uid INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    internal_date INTEGER NOT NULL,
                    subject TEXT, from_field TEXT, to_field TEXT, cc_field TEXT, bcc_field TEXT, message_id TEXT,
                    flags INTEGER NOT NULL DEFAULT 0);
                """);
            index.Upgrade();
            index._dataVersion = index.DataVersion();
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>UIDVALIDITY, UIDNEXT and the stamps last recorded, or null for a new index.</summary>
    public (uint UidValidity, uint UidNext, DirectoryStamp Stamp)? ReadMailbox()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT uid_validity, uid_next, new_stamp, cur_stamp FROM mailbox WHERE id = 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return ((uint)reader.GetInt64(0), (uint)reader.GetInt64(1), new DirectoryStamp(reader.GetInt64(2), reader.GetInt64(3)));
    }

    /// <summary>
    /// The UIDs and flags of every message in UID order: what a restart needs to serve a SELECT, and all it keeps in
    /// memory. From the snapshot the last shutdown left (<see cref="SaveFlagSnapshot"/>) while no change has been
    /// committed since, else from the rows.
    /// </summary>
    public (uint[] Uids, MessageFlags[] Flags, int Count, bool FromSnapshot) LoadFlags()
    {
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT data FROM flag_snapshot WHERE id = 1";
            if (command.ExecuteScalar() is byte[] data && DecodeSnapshot(data) is { } snapshot)
            {
                return (snapshot.Uids, snapshot.Flags, snapshot.Count, true);
            }
        }

        var (uids, flags, count) = LoadFlagsFromRows(_connection, null);
        return (uids, flags, count, false);
    }

    /// <summary>
    /// Keeps the UIDs and flags of a mailbox of at least <paramref name="minimum"/> messages as one blob, read whole
    /// by the next <see cref="LoadFlags"/> instead of a pass over every row: for a clean shutdown, so the first SELECT
    /// after a restart costs about the same at 100k messages as at 1k. Any later commit, by this version or any
    /// other that writes the mailbox row, deletes it (trigger flag_snapshot_stale), so it never outlives the rows it
    /// was read from. Written without a sync of its own: lost, it is only not there.
    /// </summary>
    public void SaveFlagSnapshot(int minimum)
    {
        if (_synchronousFull)
        {
            Execute("PRAGMA synchronous = NORMAL");
            _synchronousFull = false;
        }

        using var transaction = _connection.BeginTransaction();
        var (uids, flags, count) = LoadFlagsFromRows(_connection, transaction);
        if (count < minimum)
        {
            return;
        }

        // [count][count UIDs][count flag bytes], little-endian.
        var data = new byte[4 + (count * 5)];
        BinaryPrimitives.WriteInt32LittleEndian(data, count);
        var uidBytes = MemoryMarshal.AsBytes(uids.AsSpan(0, count));
        if (BitConverter.IsLittleEndian)
        {
            uidBytes.CopyTo(data.AsSpan(4));
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4 + (i * 4)), uids[i]);
            }
        }

        for (var i = 0; i < count; i++)
        {
            data[4 + (count * 4) + i] = (byte)flags[i];
        }

        using var insert = Command(transaction, "INSERT OR REPLACE INTO flag_snapshot (id, data) VALUES (1, $data)", "$data");
        insert.Parameters[0].Value = data;
        insert.ExecuteNonQuery();
        transaction.Commit();
        _dataVersion = DataVersion();
    }

    private static (uint[] Uids, MessageFlags[] Flags, int Count)? DecodeSnapshot(byte[] data)
    {
        if (data.Length < 4)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (count < 0 || data.Length != 4 + ((long)count * 5))
        {
            return null;
        }

        var uids = new uint[Math.Max(count, 16)];
        var flags = new MessageFlags[uids.Length];
        for (var i = 0; i < count; i++)
        {
            uids[i] = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4 + (i * 4)));
            flags[i] = (MessageFlags)data[4 + (count * 4) + i];
            if (i > 0 && uids[i] <= uids[i - 1])
            {
                return null;
            }
        }

        return (uids, flags, count);
    }

    /// <summary>
    /// One aggregate over <c>message_flags</c> (a small index of UID and flags) returns them as one string
    /// ("uid*32+flags,..."): at 100k messages a fifth of the CPU of stepping through 100k rows one call at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (uint[] Uids, MessageFlags[] Flags, int Count) LoadFlagsFromRows(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*), group_concat(uid * 32 + flags) FROM (SELECT uid, flags FROM message INDEXED BY message_flags ORDER BY uid)";
        using var reader = command.ExecuteReader();
        reader.Read();
        var count = (int)reader.GetInt64(0);
        var uids = new uint[Math.Max(count, 16)];
        var flags = new MessageFlags[uids.Length];
        if (count == 0)
        {
            return (uids, flags, 0);
        }

        var text = reader.GetString(1).AsSpan();
        var n = 0;
        long value = 0;
        var sorted = true;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ',')
            {
                uids[n] = (uint)(value >> 5);
                flags[n] = (MessageFlags)(value & 31);
                sorted &= n == 0 || uids[n] > uids[n - 1];
                n++;
                value = 0;
            }
            else
            {
                value = (value * 10) + (text[i] - '0');
            }
        }

        if (n != count)
        {
            throw new InvalidDataException("the mailbox index's listing does not parse");
        }

        if (!sorted)
        {
            // SQLite documents no order for group_concat; it follows the subquery's in practice, which this keeps true.
            Array.Sort(uids, flags, 0, n);
        }

        return (uids, flags, n);
    }

    /// <summary>Every message in UID order, each row whole (for the listing that reconciles the folder, and callers that want all rows).</summary>
    public List<MessageEntry> LoadMessages()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT uid, name, size, internal_date FROM message ORDER BY uid";
        using var reader = command.ExecuteReader();
        var messages = new List<MessageEntry>();
        while (reader.Read())
        {
            messages.Add(Entry(reader));
        }

        return messages;
    }

    /// <summary>The row of one UID, or null.</summary>
    public MessageEntry? Find(uint uid) => Read(Reader, "SELECT uid, name, size, internal_date FROM message WHERE uid = $a", uid, 0).FirstOrDefault();

    /// <summary>The rows with UIDs from <paramref name="first"/> to <paramref name="last"/>, in order (one query).</summary>
    public List<MessageEntry> Range(uint first, uint last) =>
        Read(Reader, "SELECT uid, name, size, internal_date FROM message WHERE uid BETWEEN $a AND $b ORDER BY uid", first, last);

    /// <summary>The row of the file whose base name (the part before ':') is <paramref name="baseName"/>, or null.</summary>
    public MessageEntry? FindByBase(string baseName)
    {
        // A range on message_name: "base", or "base:..." (';' follows ':' in ASCII, and a base name holds no ':').
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT uid, name, size, internal_date FROM message WHERE name = $b OR (name >= $from AND name < $to)";
        command.Parameters.AddWithValue("$b", baseName);
        command.Parameters.AddWithValue("$from", baseName + ":");
        command.Parameters.AddWithValue("$to", baseName + ";");
        using var reader = command.ExecuteReader();
        return reader.Read() ? Entry(reader) : null;
    }

    /// <summary>True when another process committed to this index since we last read or wrote it.</summary>
    public bool ChangedElsewhere() => DataVersion() != _dataVersion;

    /// <summary>
    /// Records one change (messages removed, renamed, added) and the mailbox's counters in one transaction; on disk
    /// before it returns when <paramref name="durable"/>, else atomic and in the page cache only (see the class).
    /// </summary>
    public void Commit(
        uint uidValidity, uint uidNext, DirectoryStamp stamp, IReadOnlyCollection<uint> removed, IReadOnlyCollection<MessageEntry> renamed,
        IReadOnlyCollection<(MessageEntry Entry, IndexedHeaders? Headers)> added, bool durable)
    {
        if (durable != _synchronousFull)
        {
            // SQLite (pragma synchronous, WAL mode): FULL syncs the WAL at every commit; NORMAL only at checkpoints,
            // and a commit under NORMAL is still atomic and survives a crash of the process (not of the machine).
            // A later FULL commit syncs the whole WAL, the NORMAL commits before it included.
            Execute(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            _synchronousFull = durable;
        }

        using var transaction = _connection.BeginTransaction();
        // message_text is an external-content FTS5 table (https://sqlite.org/fts5.html §4.4.3): it keeps no copy of
        // the text, so a row leaves it with the values it was indexed with, read here from message in the same
        // transaction, before the row itself goes or is replaced.
        using var unindex = added.Count + removed.Count > 0
            ? Command(transaction, $"INSERT INTO message_text (message_text, rowid, {TextColumns}) SELECT 'delete', uid, {TextColumns} FROM message WHERE uid = $uid", "$uid")
            : null;
        if (removed.Count > 0)
        {
            using var delete = Command(transaction, "DELETE FROM message WHERE uid = $uid", "$uid");
            foreach (var uid in removed)
            {
                unindex!.Parameters[0].Value = (long)uid;
                unindex.ExecuteNonQuery();
                delete.Parameters[0].Value = (long)uid;
                delete.ExecuteNonQuery();
            }
        }

        if (renamed.Count > 0)
        {
            using var update = Command(transaction, "UPDATE message SET name = $name, flags = $flags WHERE uid = $uid", "$name", "$flags", "$uid");
            foreach (var entry in renamed)
            {
                update.Parameters[0].Value = FileNameOf(entry);
                update.Parameters[1].Value = (long)entry.Flags;
                update.Parameters[2].Value = (long)entry.Uid;
                update.ExecuteNonQuery();
            }
        }

        if (added.Count > 0)
        {
            using var insert = Command(
                transaction,
                "INSERT OR REPLACE INTO message (uid, name, size, internal_date, subject, from_field, to_field, cc_field, bcc_field, message_id, flags) "
                + "VALUES ($uid, $name, $size, $date, $subject, $from, $to, $cc, $bcc, $mid, $flags)",
                "$uid", "$name", "$size", "$date", "$subject", "$from", "$to", "$cc", "$bcc", "$mid", "$flags");
            using var index = Command(
                transaction,
                $"INSERT INTO message_text (rowid, {TextColumns}) VALUES ($uid, $subject, $from, $to, $cc, $bcc, $mid)",
                "$uid", "$subject", "$from", "$to", "$cc", "$bcc", "$mid");
            // New mail takes UIDs past every row's: nothing of it can be in message_text yet. A large batch of them (a
            // first index build, a rescan) is indexed by one statement after its rows are in, a quarter of the time of
            // a statement per row.
            var highest = HighestUid(transaction);
            var bulk = added.Count >= BulkIndexRows && added.All(a => a.Entry.Uid > highest);
            foreach (var (entry, headers) in added)
            {
                if (entry.Uid <= highest)
                {
                    unindex!.Parameters[0].Value = (long)entry.Uid;
                    unindex.ExecuteNonQuery();
                }

                var p = insert.Parameters;
                p[0].Value = (long)entry.Uid;
                p[1].Value = FileNameOf(entry);
                p[2].Value = entry.Size;
                p[3].Value = entry.InternalDate.UtcTicks;
                p[4].Value = (object?)headers?.Subject ?? DBNull.Value;
                p[5].Value = (object?)headers?.From ?? DBNull.Value;
                p[6].Value = (object?)headers?.To ?? DBNull.Value;
                p[7].Value = (object?)headers?.Cc ?? DBNull.Value;
                p[8].Value = (object?)headers?.Bcc ?? DBNull.Value;
                p[9].Value = (object?)headers?.MessageId ?? DBNull.Value;
                p[10].Value = (long)entry.Flags;
                insert.ExecuteNonQuery();
                if (!bulk)
                {
                    index.Parameters[0].Value = p[0].Value;
                    for (var i = 1; i < 7; i++)
                    {
                        index.Parameters[i].Value = p[i + 3].Value;
                    }

                    index.ExecuteNonQuery();
                }
            }

            if (bulk)
            {
                using var indexAll = Command(
                    transaction, $"INSERT INTO message_text (rowid, {TextColumns}) SELECT uid, {TextColumns} FROM message WHERE uid > $highest", "$highest");
                indexAll.Parameters[0].Value = (long)highest;
                indexAll.ExecuteNonQuery();
            }

            if (added.Count >= OptimizeAfterAdding)
            {
                Execute(transaction, "INSERT INTO message_text (message_text) VALUES ('optimize')");
            }
        }

        using (var mailbox = Command(
                   transaction,
                   "INSERT INTO mailbox (id, uid_validity, uid_next, new_stamp, cur_stamp) VALUES (1, $v, $n, $ns, $cs) "
                   + "ON CONFLICT (id) DO UPDATE SET uid_validity = $v, uid_next = $n, new_stamp = $ns, cur_stamp = $cs",
                   "$v", "$n", "$ns", "$cs"))
        {
            mailbox.Parameters[0].Value = (long)uidValidity;
            mailbox.Parameters[1].Value = (long)uidNext;
            mailbox.Parameters[2].Value = stamp.New;
            mailbox.Parameters[3].Value = stamp.Cur;
            mailbox.ExecuteNonQuery();
        }

        transaction.Commit();
        _dataVersion = DataVersion();
    }

    /// <summary>UIDs whose indexed <paramref name="column"/> contains the folded value (any value when empty).</summary>
    public HashSet<uint> SearchHeader(string column, string folded, CancellationToken cancellationToken)
    {
        using var command = _connection.CreateCommand();
        // The column name comes from IndexedHeaders.Column, never from the client.
        var trigrams = TrigramQuery(column, folded);
        command.CommandText = folded.Length == 0
            ? $"SELECT uid FROM message WHERE {column} IS NOT NULL"
            : trigrams is null
                ? $"SELECT uid FROM message WHERE instr({column}, $value) > 0"
                // RFC 9051 §6.4.4 asks for a substring: the trigram index narrows the rows to those holding every
                // trigram of the value, and instr decides on each.
                : $"SELECT uid FROM message WHERE uid IN (SELECT rowid FROM message_text WHERE message_text MATCH $match) AND instr({column}, $value) > 0";
        command.Parameters.AddWithValue("$value", folded);
        if (trigrams is not null)
        {
            command.Parameters.AddWithValue("$match", trigrams);
        }

        using var registration = cancellationToken.Register(() => command.Cancel());
        using var reader = command.ExecuteReader();
        var uids = new HashSet<uint>();
        while (reader.Read())
        {
            uids.Add((uint)reader.GetInt64(0));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return uids;
    }

    /// <summary>
    /// The FTS5 query (https://sqlite.org/fts5.html §3) for rows whose <paramref name="column"/> holds every trigram
    /// of <paramref name="value"/>, or null when the value is shorter than one trigram. The trigram tokenizer counts
    /// characters as code points, so the value is cut by runes, not UTF-16 units; each trigram is a quoted string
    /// (a '"' in it doubled), so nothing in the value is read as query syntax.
    /// </summary>
    internal static string? TrigramQuery(string column, string value)
    {
        var runes = new List<Rune>(value.Length);
        foreach (var rune in value.EnumerateRunes())
        {
            runes.Add(rune);
        }

        if (runes.Count < 3)
        {
            return null;
        }

        var trigrams = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Spread over the whole value: the rare trigrams of a search are as likely at its end as at its start.
        var count = runes.Count - 2;
        var step = Math.Max(1.0, count / (double)MaxQueryTrigrams);
        for (var at = 0.0; (int)at < count && trigrams.Count < MaxQueryTrigrams; at += step)
        {
            var i = (int)at;
            var trigram = string.Concat(runes[i].ToString(), runes[i + 1].ToString(), runes[i + 2].ToString());
            if (seen.Add(trigram))
            {
                trigrams.Add(string.Concat("\"", trigram.Replace("\"", "\"\"", StringComparison.Ordinal), "\""));
            }
        }

        return string.Concat(column, " : (", string.Join(" AND ", trigrams), ")");
    }

    public void Dispose()
    {
        lock (_readLock)
        {
            _reader?.Dispose();
            _reader = null;
            _closed = true;
        }

        _connection.Dispose();
    }

    /// <summary>
    /// Rows for sessions reading outside the mailbox's lock: a second, read-only connection (WAL lets it read the last
    /// committed state while a change is being written), one caller at a time; nothing once the index is closed.
    /// </summary>
    private List<MessageEntry> Read(Func<SqliteConnection?> connection, string sql, uint a, uint b)
    {
        lock (_readLock)
        {
            if (connection() is not { } reader)
            {
                return [];
            }

            using var command = reader.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$a", (long)a);
            command.Parameters.AddWithValue("$b", (long)b);
            using var rows = command.ExecuteReader();
            var entries = new List<MessageEntry>();
            while (rows.Read())
            {
                entries.Add(Entry(rows));
            }

            return entries;
        }
    }

    // Under _readLock.
    private SqliteConnection? Reader()
    {
        if (_closed)
        {
            return null;
        }

        if (_reader is null)
        {
            var builder = new SqliteConnectionStringBuilder(_connection.ConnectionString) { Mode = SqliteOpenMode.ReadWrite };
            _reader = new SqliteConnection(builder.ToString());
            _reader.Open();
        }

        return _reader;
    }

    private static MessageEntry Entry(SqliteDataReader reader)
    {
        var name = reader.GetString(1);
        var (baseName, flags, other) = MaildirInfo.Parse(name);
        return new MessageEntry((uint)reader.GetInt64(0), baseName, string.Concat("cur/", name), flags, other, reader.GetInt64(2),
            new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero));
    }

    // Indexes written by earlier versions (and new ones, which start at version 0): the flags column (filled from
    // the file names) and the two indexes a restart and inotify use instead of the old four-column listing (1); the
    // trigram index of the searched header fields, built from the rows already there (2); the flag snapshot (3).
    private void Upgrade()
    {
        using var version = _connection.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        var current = Convert.ToInt64(version.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (current >= SchemaVersion)
        {
            return;
        }

        using var transaction = _connection.BeginTransaction();
        if (current < 1)
        {
            UpgradeToFlags(transaction);
        }

        if (current < 2)
        {
            // FTS5's trigram tokenizer (SQLite 3.34) indexes every sequence of three characters, so a substring of
            // three or more is found without reading every row. case_sensitive 1: the columns are upper-cased already
            // (IndexedHeaders.Fold), and folding twice by different rules could lose a match. detail=column keeps
            // which column holds a trigram and not where, all a column filter needs, at a third of the full size.
            Execute(transaction, $"""
                CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5 (
                    {TextColumns}, content = 'message', content_rowid = 'uid', tokenize = 'trigram case_sensitive 1', detail = column);
                INSERT INTO message_text (message_text) VALUES ('rebuild');
                INSERT INTO message_text (message_text) VALUES ('optimize');
                """);
        }

        // Every commit writes the mailbox row (UIDNEXT, the stamps): the trigger makes any of them, by any version of
        // Keypost, drop the snapshot.
        Execute(transaction, $"""
            CREATE TABLE IF NOT EXISTS flag_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL);
            CREATE TRIGGER IF NOT EXISTS flag_snapshot_stale AFTER UPDATE ON mailbox BEGIN DELETE FROM flag_snapshot; END;
            PRAGMA user_version = {SchemaVersion};
            """);
        transaction.Commit();
    }

    private void UpgradeToFlags(SqliteTransaction transaction)
    {
        using (var columns = _connection.CreateCommand())
        {
            columns.Transaction = transaction;
            columns.CommandText = "SELECT count(*) FROM pragma_table_info('message') WHERE name = 'flags'";
            if (Convert.ToInt64(columns.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                Execute(transaction, "ALTER TABLE message ADD COLUMN flags INTEGER NOT NULL DEFAULT 0");
            }
        }

        var names = new List<(long Uid, string Name)>();
        using (var select = _connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT uid, name FROM message";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                names.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        using (var update = Command(transaction, "UPDATE message SET flags = $flags WHERE uid = $uid", "$flags", "$uid"))
        {
            foreach (var (uid, name) in names)
            {
                update.Parameters[0].Value = (long)MaildirInfo.Parse(name).Flags;
                update.Parameters[1].Value = uid;
                update.ExecuteNonQuery();
            }
        }

        Execute(transaction, """
            DROP INDEX IF EXISTS message_listing;
            CREATE INDEX IF NOT EXISTS message_flags ON message (uid, flags);
            CREATE INDEX IF NOT EXISTS message_name ON message (name);
            """);
    }

    private void Execute(SqliteTransaction transaction, string sql)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string FileNameOf(MessageEntry entry) => Path.GetFileName(entry.RelativePath);

    private long HighestUid(SqliteTransaction transaction)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT coalesce(max(uid), 0) FROM message";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private SqliteCommand Command(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private long DataVersion()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA data_version";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
