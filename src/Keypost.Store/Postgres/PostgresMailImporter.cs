using Keypost.Data.Postgres;
using Npgsql;

namespace Keypost.Store.Postgres;

/// <summary>
/// Writes another store's mailboxes into PostgreSQL as they were (<c>keypost storage migrate</c>, docs/postgres.md):
/// a mailbox keeps its UIDVALIDITY and UIDNEXT and a message its UID, flags and INTERNALDATE, so an IMAP client's
/// cache stays valid across the move (RFC 9051 §2.3.1.1). Keyed by (account, mailbox, UID): importing a message that
/// is there already does nothing, so an interrupted import can simply be run again.
/// </summary>
public sealed class PostgresMailImporter
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresMailImporter(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Applies the store's schema migrations first, as the store does.</summary>
    public static async Task<PostgresMailImporter> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await PostgresMigrations.ApplyAsync(dataSource, MailStoreSchema.Part, MailStoreSchema.Steps, cancellationToken).ConfigureAwait(false);
        return new PostgresMailImporter(dataSource);
    }

    /// <summary>
    /// The id of the mailbox, made with <paramref name="uidValidity"/> when missing. A mailbox already there with
    /// another UIDVALIDITY is taken over when it holds no message (a node opened the account before the migration)
    /// and refused otherwise: its UIDs would clash with the imported ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">The mailbox holds other messages under another UIDVALIDITY.</exception>
    public async Task<long> MailboxAsync(string account, string name, uint uidValidity, uint uidNext, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO store_mailbox (account, name, uid_validity, uid_next) VALUES ($1, $2, $3, $4) ON CONFLICT (account, name) DO NOTHING", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = account });
            insert.Parameters.Add(new NpgsqlParameter { Value = name });
            insert.Parameters.Add(new NpgsqlParameter { Value = (long)uidValidity });
            insert.Parameters.Add(new NpgsqlParameter { Value = (long)uidNext });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long id, storedValidity, messages;
        await using (var read = new NpgsqlCommand(
            "SELECT id, uid_validity, (SELECT count(*) FROM store_message m WHERE m.mailbox_id = b.id) FROM store_mailbox b WHERE account = $1 AND name = $2 FOR UPDATE", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = account });
            read.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (id, storedValidity, messages) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        if (storedValidity != uidValidity && messages > 0)
        {
            throw new InvalidOperationException(
                $"mailbox {name} of {account} is in PostgreSQL already with UIDVALIDITY {storedValidity} and {messages} message(s) of its own, not the {uidValidity} being imported");
        }

        // RFC 9051 §2.3.1.1: UIDNEXT never goes down; a mailbox made again later must get a UIDVALIDITY never used, so
        // the sequence moves past every imported value.
        await using (var update = new NpgsqlCommand(
            "UPDATE store_mailbox SET uid_validity = $2, uid_next = greatest(uid_next, $3), modseq = modseq + 1 WHERE id = $1", connection))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = id });
            update.Parameters.Add(new NpgsqlParameter { Value = (long)uidValidity });
            update.Parameters.Add(new NpgsqlParameter { Value = (long)uidNext });
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var sequence = new NpgsqlCommand(
            "SELECT setval('store_uid_validity', greatest((SELECT last_value FROM store_uid_validity), $1))", connection))
        {
            sequence.Parameters.Add(new NpgsqlParameter { Value = (long)uidValidity });
            await sequence.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>The mailbox's messages now, each with the SHA-256 of its bytes (computed by the database).</summary>
    public async Task<IReadOnlyDictionary<uint, ImportedMessage>> MessagesAsync(long mailbox, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT uid, flags, internal_date, size, sha256(body) FROM store_message WHERE mailbox_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = mailbox });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var messages = new Dictionary<uint, ImportedMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var uid = (uint)reader.GetInt64(0);
            messages[uid] = new ImportedMessage(
                uid, (MessageFlags)reader.GetInt32(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), reader.GetInt64(3),
                Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(4)));
        }

        return messages;
    }

    /// <summary>
    /// Inserts the messages not yet in the mailbox, in one transaction (one modseq for the batch); returns how many
    /// it inserted. Waking a node's IDLE sessions is not needed: no node serves the mailbox during a migration.
    /// </summary>
    public async Task<int> ImportAsync(long mailbox, IReadOnlyList<MessageImport> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return 0;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long modseq;
        await using (var bump = new NpgsqlCommand(
            "UPDATE store_mailbox SET modseq = modseq + 1, uid_next = greatest(uid_next, $2) WHERE id = $1 RETURNING modseq", connection))
        {
            bump.Parameters.Add(new NpgsqlParameter { Value = mailbox });
            bump.Parameters.Add(new NpgsqlParameter { Value = messages.Max(m => (long)m.Uid) + 1 });
            modseq = (long)(await bump.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var inserted = 0;
        foreach (var message in messages)
        {
            inserted += await PostgresMailStore.InsertMessageAsync(
                connection, mailbox, message.Uid, modseq, message.Flags, message.InternalDate, message.Bytes, cancellationToken, onConflictDoNothing: true).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted;
    }
}
