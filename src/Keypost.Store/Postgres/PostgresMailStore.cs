using System.Collections.Concurrent;
using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Data.Postgres;
using Keypost.Store.Maildir;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Keypost.Store.Postgres;

/// <summary>
/// In charge of the PostgreSQL store, for several nodes sharing mailboxes.
/// Every account's mailboxes in one PostgreSQL database shared by several nodes (docs/postgres.md): the messages'
/// bytes (bytea, so nodes share no disk), flags, and UIDs allocated by the database in the transaction that stores
/// the message. A change commits with a NOTIFY on <c>keypost_store</c>; each node LISTENs on one connection, so an
/// IMAP session in IDLE on node B wakes for a delivery made by node A. One instance per node.
/// </summary>
public sealed class PostgresMailStore : IMailStore, IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, PostgresMailbox> _mailboxes = new();
    private PostgresListener? _listener;

    private PostgresMailStore(NpgsqlDataSource dataSource)
    {
        DataSource = dataSource;
    }

    internal NpgsqlDataSource DataSource { get; }

    /// <summary>Applies the schema's migrations, then starts listening for other nodes' changes before it returns.</summary>
    public static async Task<PostgresMailStore> OpenAsync(NpgsqlDataSource dataSource, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await PostgresMigrations.ApplyAsync(dataSource, MailStoreSchema.Part, MailStoreSchema.Steps, cancellationToken).ConfigureAwait(false);
        var store = new PostgresMailStore(dataSource);
        // Listening before the first read: a change committed after a session's read is then never missed.
        store._listener = await PostgresListener.StartAsync(
            dataSource, MailStoreSchema.Channel, store.OnNotification, store.CatchUpAsync, logger ?? NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        return store;
    }

    public IAccountMailboxes OpenAccount(EmailAddress account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var mailboxes = new PostgresAccountMailboxes(this, account.Canonical);
        mailboxes.Create("INBOX");
        return mailboxes;
    }

    public async Task DeliverAsync(EmailAddress recipient, string? folder, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(message);
        if (folder is not null && !MailboxNames.IsDeliveryFolder(folder))
        {
            throw new ArgumentException("a delivery folder is ASCII letters and digits only", nameof(folder));
        }

        var bytes = await ReadAllAsync(prefix, message, cancellationToken).ConfigureAwait(false);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // One statement makes the folder when missing and takes the next UID under the row's lock: a fresh row starts
        // at uid_next 2 having handed out 1.
        await using var allocate = new NpgsqlCommand(
            """
            INSERT INTO store_mailbox AS b (account, name, uid_next, modseq) VALUES ($1, $2, 2, 2)
            ON CONFLICT (account, name) DO UPDATE SET uid_next = b.uid_next + 1, modseq = b.modseq + 1
            RETURNING id, uid_next - 1, modseq
            """, connection);
        allocate.Parameters.Add(new NpgsqlParameter { Value = recipient.Canonical });
        allocate.Parameters.Add(new NpgsqlParameter { Value = folder ?? "INBOX" });
        long id, uid, modseq;
        await using (var reader = await allocate.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (id, uid, modseq) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        await InsertMessageAsync(connection, id, uid, modseq, MessageFlags.None, DateTimeOffset.UtcNow, bytes, cancellationToken).ConfigureAwait(false);
        await PostgresMailbox.NotifyAsync(connection, id, modseq, cancellationToken).ConfigureAwait(false);
        // Durable once the commit returns (synchronous_commit on, PostgreSQL's default): only then may SMTP say 250.
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Find(id)?.Observe(modseq);
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal PostgresMailbox Get(long id) => _mailboxes.GetOrAdd(id, i => new PostgresMailbox(this, i));

    internal PostgresMailbox? Find(long id) => _mailboxes.GetValueOrDefault(id);

    internal void Forget(long id) => _mailboxes.TryRemove(id, out _);

    internal static async Task<byte[]> ReadAllAsync(ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await buffer.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        await message.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    internal static async Task<int> InsertMessageAsync(
        NpgsqlConnection connection, long mailbox, long uid, long modseq, MessageFlags flags, DateTimeOffset internalDate, byte[] bytes, CancellationToken cancellationToken,
        bool onConflictDoNothing = false)
    {
        IndexedHeaders headers;
        using (var read = new MemoryStream(bytes, writable: false))
        {
            headers = IndexedHeaders.Read(read);
        }

        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO store_message (mailbox_id, uid, flags, internal_date, size, added_modseq, modseq,
                                       subject, from_field, to_field, cc_field, bcc_field, message_id, body)
            VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13)
            """ + (onConflictDoNothing ? " ON CONFLICT DO NOTHING" : ""), connection);
        object?[] values =
        [
            mailbox, uid, (int)flags, internalDate.UtcTicks, (long)bytes.Length, modseq,
            headers.Subject, headers.From, headers.To, headers.Cc, headers.Bcc, headers.MessageId, bytes,
        ];
        foreach (var value in values)
        {
            insert.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
        }

        return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // After a reconnect of the listener: notifications sent meanwhile are lost, so read where each open mailbox is.
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var ids = _mailboxes.Keys.ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        await using var command = DataSource.CreateCommand("SELECT id, modseq FROM store_mailbox WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            Find(reader.GetInt64(0))?.Observe(reader.GetInt64(1));
        }
    }

    private void OnNotification(string payload)
    {
        var space = payload.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0
            && long.TryParse(payload.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && long.TryParse(payload.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var modseq))
        {
            Find(id)?.Observe(modseq);
        }
    }
}
