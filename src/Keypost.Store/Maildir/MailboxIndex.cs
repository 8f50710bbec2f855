using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Keypost.Store.Maildir;

/// <summary>
/// The per-mailbox index: one SQLite file in the Maildir folder (<see cref="FileName"/>) with a row per message
/// (UID, file name and so flags, size, INTERNALDATE, the searched header fields) and the mailbox's UIDVALIDITY,
/// UIDNEXT and the directory stamps seen at the last change. Each change is one transaction (WAL, synchronous=FULL),
/// so a crash leaves the index as it was before or after the change, never between; docs/mail-store-index.md says
/// why SQLite rather than a log of our own.
/// </summary>
internal sealed class MailboxIndex : IDisposable
{
    public const string FileName = "keypost-index.sqlite";

    private readonly SqliteConnection _connection;
    private long _dataVersion;

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
                    subject TEXT, from_field TEXT, to_field TEXT, cc_field TEXT, bcc_field TEXT, message_id TEXT);
                CREATE INDEX IF NOT EXISTS message_listing ON message (uid, name, size, internal_date);
                """);
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

    /// <summary>Every message in UID order.</summary>
    /// <remarks>
    /// What a restart costs at 100k messages: read from <c>message_listing</c>, an index holding only these four
    /// columns, so the scan touches a quarter of the pages the rows with their header fields fill. Optimised at
    /// once: right after a start the loop would otherwise run its 100k iterations as unoptimised first-tier code.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public List<MessageEntry> LoadMessages()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT uid, name, size, internal_date FROM message INDEXED BY message_listing ORDER BY uid";
        using var reader = command.ExecuteReader();
        var messages = new List<MessageEntry>();
        while (reader.Read())
        {
            var name = reader.GetString(1);
            var (baseName, flags, other) = MaildirInfo.Parse(name);
            messages.Add(new MessageEntry((uint)reader.GetInt64(0), baseName, string.Concat("cur/", name), flags, other, reader.GetInt64(2),
                new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
        }

        return messages;
    }

    /// <summary>True when another process committed to this index since we last read or wrote it.</summary>
    public bool ChangedElsewhere() => DataVersion() != _dataVersion;

    /// <summary>Records one change (messages removed, renamed, added) and the mailbox's counters in one transaction.</summary>
    public void Commit(
        uint uidValidity, uint uidNext, DirectoryStamp stamp, IReadOnlyCollection<uint> removed, IReadOnlyCollection<MessageEntry> renamed,
        IReadOnlyCollection<(MessageEntry Entry, IndexedHeaders? Headers)> added)
    {
        using var transaction = _connection.BeginTransaction();
        if (removed.Count > 0)
        {
            using var delete = Command(transaction, "DELETE FROM message WHERE uid = $uid", "$uid");
            foreach (var uid in removed)
            {
                delete.Parameters[0].Value = (long)uid;
                delete.ExecuteNonQuery();
            }
        }

        if (renamed.Count > 0)
        {
            using var update = Command(transaction, "UPDATE message SET name = $name WHERE uid = $uid", "$name", "$uid");
            foreach (var entry in renamed)
            {
                update.Parameters[0].Value = FileNameOf(entry);
                update.Parameters[1].Value = (long)entry.Uid;
                update.ExecuteNonQuery();
            }
        }

        if (added.Count > 0)
        {
            using var insert = Command(
                transaction,
                "INSERT OR REPLACE INTO message (uid, name, size, internal_date, subject, from_field, to_field, cc_field, bcc_field, message_id) "
                + "VALUES ($uid, $name, $size, $date, $subject, $from, $to, $cc, $bcc, $mid)",
                "$uid", "$name", "$size", "$date", "$subject", "$from", "$to", "$cc", "$bcc", "$mid");
            foreach (var (entry, headers) in added)
            {
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
                insert.ExecuteNonQuery();
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
        command.CommandText = folded.Length == 0
            ? $"SELECT uid FROM message WHERE {column} IS NOT NULL"
            : $"SELECT uid FROM message WHERE instr({column}, $value) > 0";
        command.Parameters.AddWithValue("$value", folded);
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

    public void Dispose() => _connection.Dispose();

    private static string FileNameOf(MessageEntry entry) => Path.GetFileName(entry.RelativePath);

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
