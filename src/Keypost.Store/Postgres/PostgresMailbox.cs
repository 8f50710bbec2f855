using System.Data;
using System.Globalization;
using Keypost.Store.Maildir;
using Npgsql;
using NpgsqlTypes;

namespace Keypost.Store.Postgres;

/// <summary>
/// One mailbox in PostgreSQL, shared by every session of this node. The database is the truth: UIDs come from the
/// mailbox row (<c>uid_next</c>, locked by the transaction that appends, so two nodes never hand out the same UID),
/// and every change raises the row's <c>modseq</c>, which is <see cref="Version"/>. This object caches the message
/// list at one modseq and brings it forward with the rows changed since (messages and expunged UIDs carry the modseq
/// of their last change), so a command costs the changes, not the mailbox. Changes made by other nodes arrive as
/// notifications (<see cref="PostgresMailStore"/> listens) and wake IDLE.
/// </summary>
internal sealed class PostgresMailbox : IMailbox
{
    private const string Columns = "uid, flags, internal_date, size, added_modseq, modseq";

    private readonly PostgresMailStore _store;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;
    private List<MessageEntry> _messages = [];
    private MessageEntry[]? _snapshot;
    private long _cachedModseq = -1;

    public PostgresMailbox(PostgresMailStore store, long id)
    {
        _store = store;
        Id = id;
    }

    public long Id { get; }

    public long Version => Interlocked.Read(ref _version);

    /// <summary>The mailbox is at <paramref name="modseq"/> or later (a commit here or a notification): waiters wake.</summary>
    public void Observe(long modseq)
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            if (modseq <= _version)
            {
                return;
            }

            Interlocked.Exchange(ref _version, modseq);
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    public async Task WaitForChangeAsync(long seen, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            if (_version != seen)
            {
                return;
            }

            changed = _changed.Task;
        }

        await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<MailboxState> SnapshotAsync(CancellationToken cancellationToken) =>
        (await UpdatesSinceAsync(long.MaxValue, cancellationToken).ConfigureAwait(false)).State;

    public async Task<MailboxUpdate> UpdatesSinceAsync(long since, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            // One snapshot of the database for the row and the messages: the state and its modseq agree.
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            var (validity, uidNext, modseq) = await ReadMailboxAsync(connection, forUpdate: false, cancellationToken).ConfigureAwait(false);
            var cacheValid = _cachedModseq >= 0;
            long? from = null;
            if (cacheValid && _cachedModseq != modseq)
            {
                from = _cachedModseq;
            }

            if (since < modseq)
            {
                from = from is { } f ? Math.Min(f, since) : since;
            }

            var changed = new List<(MessageEntry Entry, long Added, long Modseq)>();
            var expunged = new List<(uint Uid, long Modseq)>();
            if (from is { } after)
            {
                await ReadChangesAsync(connection, after, changed, expunged, cancellationToken).ConfigureAwait(false);
            }

            if (!cacheValid)
            {
                _messages = await ReadAllAsync(connection, cancellationToken).ConfigureAwait(false);
                _snapshot = null;
            }
            else if (_cachedModseq != modseq)
            {
                Apply(changed.Where(c => c.Modseq > _cachedModseq).Select(c => c.Entry), expunged.Where(e => e.Modseq > _cachedModseq).Select(e => e.Uid));
            }

            _cachedModseq = modseq;
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            Observe(modseq);

            var changes = new List<MailboxChange>();
            if (since < modseq)
            {
                foreach (var (entry, added, at) in changed.Where(c => c.Modseq > since))
                {
                    changes.Add(new MailboxChange(at, added > since ? MailboxChangeKind.Added : MailboxChangeKind.FlagsChanged, entry));
                }

                foreach (var (uid, at) in expunged.Where(e => e.Modseq > since))
                {
                    changes.Add(new MailboxChange(at, MailboxChangeKind.Expunged, Removed(uid)));
                }

                changes.Sort((a, b) => a.Version != b.Version ? a.Version.CompareTo(b.Version) : a.Entry.Uid.CompareTo(b.Entry.Uid));
            }

            _snapshot ??= _messages.ToArray();
            return new MailboxUpdate(modseq, new MailboxState(validity, uidNext, _snapshot), changes);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<IReadOnlySet<uint>?> SearchHeaderAsync(string field, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(value);
        if (IndexedHeaders.Column(field) is not { } column)
        {
            return null;
        }

        await using var command = _store.DataSource.CreateCommand(
            $"SELECT uid FROM store_message WHERE mailbox_id = $1 AND strpos({column}, $2) > 0");
        command.Parameters.Add(new NpgsqlParameter { Value = Id });
        command.Parameters.Add(new NpgsqlParameter { Value = IndexedHeaders.Fold(value) });
        var uids = new HashSet<uint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            uids.Add((uint)reader.GetInt64(0));
        }

        return uids;
    }

    public async Task<MailboxState> ChangeFlagsAsync(IReadOnlySet<uint> uids, Func<MessageFlags, MessageFlags> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uids);
        ArgumentNullException.ThrowIfNull(change);
        if (uids.Count > 0)
        {
            await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ReadMailboxAsync(connection, forUpdate: true, cancellationToken).ConfigureAwait(false);
            var updates = new List<(long Uid, int Flags)>();
            await using (var read = new NpgsqlCommand("SELECT uid, flags FROM store_message WHERE mailbox_id = $1 AND uid = ANY($2)", connection))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = Id });
                read.Parameters.Add(new NpgsqlParameter { Value = uids.Select(u => (long)u).ToArray() });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var flags = (MessageFlags)reader.GetInt32(1);
                    var now = change(flags);
                    if (now != flags)
                    {
                        updates.Add((reader.GetInt64(0), (int)now));
                    }
                }
            }

            if (updates.Count > 0)
            {
                var modseq = await BumpAsync(connection, cancellationToken).ConfigureAwait(false);
                await using (var update = new NpgsqlCommand(
                    "UPDATE store_message m SET flags = d.flags, modseq = $2 FROM unnest($3::bigint[], $4::integer[]) AS d(uid, flags) WHERE m.mailbox_id = $1 AND m.uid = d.uid",
                    connection))
                {
                    update.Parameters.Add(new NpgsqlParameter { Value = Id });
                    update.Parameters.Add(new NpgsqlParameter { Value = modseq });
                    update.Parameters.Add(new NpgsqlParameter { Value = updates.Select(u => u.Uid).ToArray() });
                    update.Parameters.Add(new NpgsqlParameter { Value = updates.Select(u => u.Flags).ToArray() });
                    await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await NotifyAsync(connection, Id, modseq, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                Observe(modseq);
            }
        }

        return await SnapshotAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<uint>> ExpungeAsync(Func<uint, MessageFlags, bool> which, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(which);
        return ExpungeAsync(e => which(e.Uid, e.Flags), cancellationToken);
    }

    public async Task<IReadOnlyList<uint>> ExpungeAsync(Func<MessageEntry, bool> which, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(which);
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The row lock first: the predicate sees the flags as they are, not as another node is changing them.
        await ReadMailboxAsync(connection, forUpdate: true, cancellationToken).ConfigureAwait(false);
        var all = await ReadAllAsync(connection, cancellationToken).ConfigureAwait(false);
        var removed = all.Where(which).Select(e => e.Uid).ToList();
        if (removed.Count == 0)
        {
            return [];
        }

        var modseq = await BumpAsync(connection, cancellationToken).ConfigureAwait(false);
        await DeleteAsync(connection, Id, removed, modseq, cancellationToken).ConfigureAwait(false);
        await NotifyAsync(connection, Id, modseq, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Observe(modseq);
        return removed;
    }

    public async Task<(uint UidValidity, uint Uid)> AppendAsync(Stream message, MessageFlags flags, DateTimeOffset internalDate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = await PostgresMailStore.ReadAllAsync(ReadOnlyMemory<byte>.Empty, message, cancellationToken).ConfigureAwait(false);
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var allocate = new NpgsqlCommand(
            "UPDATE store_mailbox SET uid_next = uid_next + 1, modseq = modseq + 1 WHERE id = $1 RETURNING uid_validity, uid_next - 1, modseq", connection);
        allocate.Parameters.Add(new NpgsqlParameter { Value = Id });
        long validity, uid, modseq;
        await using (var reader = await allocate.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw Gone();
            }

            (validity, uid, modseq) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        await PostgresMailStore.InsertMessageAsync(connection, Id, uid, modseq, flags, internalDate, bytes, cancellationToken).ConfigureAwait(false);
        await NotifyAsync(connection, Id, modseq, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Observe(modseq);
        return ((uint)validity, (uint)uid);
    }

    public async Task<CopyResult> CopyAsync(IReadOnlyList<uint> uids, IMailbox target, bool move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uids);
        if (target is not PostgresMailbox other || !ReferenceEquals(other._store, _store))
        {
            throw new ArgumentException("the target belongs to another store", nameof(target));
        }

        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Both rows locked in id order, so a copy each way between two mailboxes cannot deadlock.
        await using (var lockRows = new NpgsqlCommand("SELECT id FROM store_mailbox WHERE id = ANY($1) ORDER BY id FOR UPDATE", connection))
        {
            lockRows.Parameters.Add(new NpgsqlParameter { Value = new[] { Id, other.Id } });
            var locked = 0;
            await using var reader = await lockRows.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                locked++;
            }

            if (locked < (Id == other.Id ? 1 : 2))
            {
                throw Gone();
            }
        }

        var present = new HashSet<long>();
        await using (var read = new NpgsqlCommand("SELECT uid FROM store_message WHERE mailbox_id = $1 AND uid = ANY($2)", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = Id });
            read.Parameters.Add(new NpgsqlParameter { Value = uids.Select(u => (long)u).ToArray() });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                present.Add(reader.GetInt64(0));
            }
        }

        // In the order asked (RFC 4315 COPYUID pairs them), each once; those expunged meanwhile are left out.
        var sources = uids.Where(u => present.Remove(u)).ToList();
        long validity, first, targetModseq;
        await using (var allocate = new NpgsqlCommand(
            "UPDATE store_mailbox SET uid_next = uid_next + $2, modseq = modseq + 1 WHERE id = $1 RETURNING uid_validity, uid_next - $2, modseq", connection))
        {
            allocate.Parameters.Add(new NpgsqlParameter { Value = other.Id });
            allocate.Parameters.Add(new NpgsqlParameter { Value = (long)sources.Count });
            await using var reader = await allocate.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (validity, first, targetModseq) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        var targets = Enumerable.Range(0, sources.Count).Select(i => (uint)(first + i)).ToList();
        long sourceModseq = 0;
        if (sources.Count > 0)
        {
            // The bytes are copied inside the database: nothing crosses the network twice.
            await using (var copy = new NpgsqlCommand(
                """
                INSERT INTO store_message (mailbox_id, uid, flags, internal_date, size, added_modseq, modseq,
                                           subject, from_field, to_field, cc_field, bcc_field, message_id, body)
                SELECT $2, d.target, m.flags, m.internal_date, m.size, $5, $5,
                       m.subject, m.from_field, m.to_field, m.cc_field, m.bcc_field, m.message_id, m.body
                FROM unnest($3::bigint[], $4::bigint[]) AS d(source, target)
                JOIN store_message m ON m.mailbox_id = $1 AND m.uid = d.source
                """, connection))
            {
                copy.Parameters.Add(new NpgsqlParameter { Value = Id });
                copy.Parameters.Add(new NpgsqlParameter { Value = other.Id });
                copy.Parameters.Add(new NpgsqlParameter { Value = sources.Select(u => (long)u).ToArray() });
                copy.Parameters.Add(new NpgsqlParameter { Value = targets.Select(u => (long)u).ToArray() });
                copy.Parameters.Add(new NpgsqlParameter { Value = targetModseq });
                await copy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await NotifyAsync(connection, other.Id, targetModseq, cancellationToken).ConfigureAwait(false);
            if (move)
            {
                // RFC 6851: the move is one transaction here, so no node ever sees the message in both or neither.
                sourceModseq = Id == other.Id ? targetModseq : await BumpAsync(connection, cancellationToken).ConfigureAwait(false);
                await DeleteAsync(connection, Id, sources, sourceModseq, cancellationToken).ConfigureAwait(false);
                await NotifyAsync(connection, Id, sourceModseq, cancellationToken).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        other.Observe(targetModseq);
        Observe(sourceModseq);
        return new CopyResult((uint)validity, sources, targets);
    }

    public Stream? OpenMessage(MessageEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // The interface is synchronous (Maildir opens a file); here it is one indexed read of the bytes.
        using var command = _store.DataSource.CreateCommand("SELECT body FROM store_message WHERE mailbox_id = $1 AND uid = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = Id });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)entry.Uid });
        return command.ExecuteScalar() is byte[] body ? new MemoryStream(body, writable: false) : null;
    }

    /// <summary>The mailbox was deleted (here or on another node); IMAP ends a session that has it selected.</summary>
    internal DirectoryNotFoundException Gone() =>
        new("the mailbox was deleted: " + Id.ToString(CultureInfo.InvariantCulture));

    internal static async Task NotifyAsync(NpgsqlConnection connection, long id, long modseq, CancellationToken cancellationToken)
    {
        // Delivered at commit to every listening node, and not at all on rollback.
        await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection);
        notify.Parameters.Add(new NpgsqlParameter { Value = MailStoreSchema.Channel });
        notify.Parameters.Add(new NpgsqlParameter { Value = string.Create(CultureInfo.InvariantCulture, $"{id} {modseq}") });
        await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static MessageEntry Removed(uint uid) => new(uid, "", "", MessageFlags.None, "", 0, DateTimeOffset.UnixEpoch);

    private static MessageEntry Entry(NpgsqlDataReader reader) => new(
        (uint)reader.GetInt64(0), "", "", (MessageFlags)reader.GetInt32(1), "", reader.GetInt64(3), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero));

    private static async Task DeleteAsync(NpgsqlConnection connection, long id, IReadOnlyList<uint> uids, long modseq, CancellationToken cancellationToken)
    {
        await using var delete = new NpgsqlCommand(
            """
            WITH gone AS (DELETE FROM store_message WHERE mailbox_id = $1 AND uid = ANY($2) RETURNING uid)
            INSERT INTO store_expunged (mailbox_id, uid, modseq) SELECT $1, uid, $3 FROM gone
            """, connection);
        delete.Parameters.Add(new NpgsqlParameter { Value = id });
        delete.Parameters.Add(new NpgsqlParameter { Value = uids.Select(u => (long)u).ToArray() });
        delete.Parameters.Add(new NpgsqlParameter { Value = modseq });
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(uint Validity, uint UidNext, long Modseq)> ReadMailboxAsync(NpgsqlConnection connection, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT uid_validity, uid_next, modseq FROM store_mailbox WHERE id = $1" + (forUpdate ? " FOR UPDATE" : ""), connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw Gone();
        }

        return ((uint)reader.GetInt64(0), (uint)reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task<long> BumpAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var bump = new NpgsqlCommand("UPDATE store_mailbox SET modseq = modseq + 1 WHERE id = $1 RETURNING modseq", connection);
        bump.Parameters.Add(new NpgsqlParameter { Value = Id });
        return await bump.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long? ?? throw Gone();
    }

    private async Task<List<MessageEntry>> ReadAllAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM store_message WHERE mailbox_id = $1 ORDER BY uid", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Id });
        var messages = new List<MessageEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            messages.Add(Entry(reader));
        }

        return messages;
    }

    private async Task ReadChangesAsync(
        NpgsqlConnection connection, long after, List<(MessageEntry, long, long)> changed, List<(uint, long)> expunged, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand($"SELECT {Columns} FROM store_message WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Id });
            command.Parameters.Add(new NpgsqlParameter { Value = after });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                changed.Add((Entry(reader), reader.GetInt64(4), reader.GetInt64(5)));
            }
        }

        await using (var command = new NpgsqlCommand("SELECT uid, modseq FROM store_expunged WHERE mailbox_id = $1 AND modseq > $2", connection))
        {
            command.Parameters.Add(new NpgsqlParameter(null, NpgsqlDbType.Bigint) { Value = Id });
            command.Parameters.Add(new NpgsqlParameter(null, NpgsqlDbType.Bigint) { Value = after });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                expunged.Add(((uint)reader.GetInt64(0), reader.GetInt64(1)));
            }
        }
    }

    // Brings the cached list forward: expunged UIDs out, changed or new messages in (kept in UID order).
    private void Apply(IEnumerable<MessageEntry> changed, IEnumerable<uint> expunged)
    {
        var gone = expunged.ToHashSet();
        if (gone.Count > 0)
        {
            _messages.RemoveAll(m => gone.Contains(m.Uid));
        }

        foreach (var entry in changed)
        {
            var i = MailboxState.IndexOf(_messages, entry.Uid);
            if (i >= 0)
            {
                _messages[i] = entry;
            }
            else
            {
                _messages.Insert(~i, entry);
            }
        }

        _snapshot = null;
    }
}
