using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Keypost.Core.Addresses;
using Keypost.Data.Postgres;
using Keypost.Store.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Keypost.Mail.Queue;

/// <summary>
/// The queue in PostgreSQL, shared by several nodes (docs/postgres.md). A message's bytes and envelope commit in one
/// transaction (with synchronous_commit on, so the commit is on disk before SMTP answers 250). A node takes due
/// messages with <c>SELECT ... FOR UPDATE SKIP LOCKED</c> and marks them leased to itself until a time on the
/// database's clock: other nodes skip them, and a node that dies mid-delivery loses them when the lease runs out.
/// While a delivery lasts, the node renews its claims every third of a lease, so a slow delivery (RFC 5321 §4.5.3.2
/// lets one DATA phase take 10 minutes) is not started a second time by another node.
/// </summary>
internal sealed class PostgresQueueStorage : IQueueStorage
{
    private const string Part = "queue";
    private const string Channel = "keypost_queue";
    private const string ActiveStates = "(0, 2)"; // Pending, Deferred
    private const string MessageColumns = "m.id, m.reverse_path, m.smtp_utf8, m.eight_bit, m.size, m.created, m.folder, m.require_tls";

    private static readonly IReadOnlyList<string> Steps =
    [
        """
        CREATE TABLE queue_message (
            id text PRIMARY KEY,
            reverse_path text,
            smtp_utf8 boolean NOT NULL,
            eight_bit boolean NOT NULL,
            size bigint NOT NULL,
            created bigint NOT NULL,
            folder text,
            lease_owner text,
            lease_until timestamptz,
            data bytea NOT NULL);
        CREATE INDEX queue_message_created ON queue_message (created, id);
        CREATE TABLE queue_recipient (
            message_id text NOT NULL REFERENCES queue_message (id) ON DELETE CASCADE,
            idx integer NOT NULL,
            address text NOT NULL,
            state integer NOT NULL,
            attempts integer NOT NULL,
            next_attempt bigint NOT NULL,
            last_error text,
            PRIMARY KEY (message_id, idx));
        CREATE INDEX queue_recipient_due ON queue_recipient (state, next_attempt);
        """,

        // RFC 8689: a message taken with MAIL FROM ... REQUIRETLS keeps the tag until it is delivered or bounced.
        """
        ALTER TABLE queue_message ADD COLUMN require_tls boolean NOT NULL DEFAULT false;
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _lease;
    private readonly ConcurrentDictionary<string, byte[]> _written = new(StringComparer.Ordinal);
    // The messages this node has claimed and not yet recorded, with when it claimed them (this node's clock).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _held = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private PostgresListener? _listener;
    private Task? _renewal;

    private PostgresQueueStorage(NpgsqlDataSource dataSource, TimeSpan lease, ILogger logger)
    {
        _dataSource = dataSource;
        _lease = lease;
        _logger = logger;
        // Names this node in the lease column: readable in psql, unique per open queue.
        NodeId = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    }

    public string? Directory => null;

    public bool Shared => true;

    /// <summary>What this node writes into <c>lease_owner</c>.</summary>
    public string NodeId { get; }

    /// <param name="enqueued">Called with a message id when another node (or this one) queued a message, to wake delivery.</param>
    public static async Task<PostgresQueueStorage> OpenAsync(
        NpgsqlDataSource dataSource, TimeSpan lease, Action<string> enqueued, ILogger logger, CancellationToken cancellationToken)
    {
        await PostgresMigrations.ApplyAsync(dataSource, Part, Steps, cancellationToken).ConfigureAwait(false);
        var storage = new PostgresQueueStorage(dataSource, lease, logger);
        storage._listener = await PostgresListener.StartAsync(
            dataSource,
            Channel,
            enqueued,
            _ =>
            {
                // Notifications were lost while the listener was away: let the worker look at the queue.
                enqueued("");
                return Task.CompletedTask;
            },
            logger,
            cancellationToken).ConfigureAwait(false);
        storage._renewal = storage.RenewLeasesAsync(storage._stopping.Token);
        return storage;
    }

    /// <summary>
    /// How long a claim is renewed at most: a delivery stuck longer than six leases (an hour by default) is left to
    /// another node rather than held by this one for as long as it lives.
    /// </summary>
    private TimeSpan MaximumHold => _lease * 6;

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT count(*) FROM queue_message");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<long> WriteDataAsync(string id, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        // Held until the group commit writes it with the envelope: one transaction, nothing half-stored.
        using var buffer = new MemoryStream();
        await write(buffer, cancellationToken).ConfigureAwait(false);
        var bytes = buffer.ToArray();
        _written[id] = bytes;
        return bytes.Length;
    }

    public async Task CommitAsync(IReadOnlyList<QueuedMessage> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        // The 250 that follows promises the message is on disk: never let a server-wide setting weaken this commit.
        await ExecuteAsync(connection, "SET LOCAL synchronous_commit = on", CancellationToken.None).ConfigureAwait(false);
        foreach (var message in batch)
        {
            var data = _written.TryGetValue(message.Id, out var bytes) ? bytes : throw new InvalidOperationException("no data written for " + message.Id);
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO queue_message (id, reverse_path, smtp_utf8, eight_bit, size, created, folder, data, require_tls) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", connection))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = message.Id });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)message.ReversePath?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = message.SmtpUtf8 });
                insert.Parameters.Add(new NpgsqlParameter { Value = message.EightBitMime });
                insert.Parameters.Add(new NpgsqlParameter { Value = message.Size });
                insert.Parameters.Add(new NpgsqlParameter { Value = message.Created.ToUnixTimeMilliseconds() });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)message.Folder ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = data });
                insert.Parameters.Add(new NpgsqlParameter { Value = message.RequireTls });
                await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using (var recipients = new NpgsqlCommand(
                """
                INSERT INTO queue_recipient (message_id, idx, address, state, attempts, next_attempt, last_error)
                SELECT $1, r.idx, r.address, r.state, r.attempts, r.next_attempt, NULL
                FROM unnest($2::integer[], $3::text[], $4::integer[], $5::integer[], $6::bigint[]) AS r(idx, address, state, attempts, next_attempt)
                """, connection))
            {
                recipients.Parameters.Add(new NpgsqlParameter { Value = message.Id });
                recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.Index).ToArray() });
                recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.Address.ToString()).ToArray() });
                recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => (int)r.State).ToArray() });
                recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.Attempts).ToArray() });
                recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.NextAttempt.ToUnixTimeMilliseconds()).ToArray() });
                await recipients.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection);
            notify.Parameters.Add(new NpgsqlParameter { Value = Channel });
            notify.Parameters.Add(new NpgsqlParameter { Value = message.Id });
            await notify.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
        foreach (var message in batch)
        {
            _written.TryRemove(message.Id, out _);
        }
    }

    /// <summary>
    /// Stores a message taken from another queue as it was there (id, envelope, each recipient's state, attempts and
    /// next attempt); false when a message with its id is here already (an import run again).
    /// </summary>
    public async Task<bool> ImportAsync(QueuedMessage message, byte[] data, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO queue_message (id, reverse_path, smtp_utf8, eight_bit, size, created, folder, data, require_tls) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = message.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)message.ReversePath?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = message.SmtpUtf8 });
            insert.Parameters.Add(new NpgsqlParameter { Value = message.EightBitMime });
            insert.Parameters.Add(new NpgsqlParameter { Value = (long)data.Length });
            insert.Parameters.Add(new NpgsqlParameter { Value = message.Created.ToUnixTimeMilliseconds() });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)message.Folder ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = data });
            insert.Parameters.Add(new NpgsqlParameter { Value = message.RequireTls });
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await using (var recipients = new NpgsqlCommand(
            """
            INSERT INTO queue_recipient (message_id, idx, address, state, attempts, next_attempt, last_error)
            SELECT $1, r.idx, r.address, r.state, r.attempts, r.next_attempt, r.last_error
            FROM unnest($2::integer[], $3::text[], $4::integer[], $5::integer[], $6::bigint[], $7::text[]) AS r(idx, address, state, attempts, next_attempt, last_error)
            """, connection))
        {
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Id });
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.Index).ToArray() });
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.Address.ToString()).ToArray() });
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => (int)r.State).ToArray() });
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.Attempts).ToArray() });
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.NextAttempt.ToUnixTimeMilliseconds()).ToArray() });
            recipients.Parameters.Add(new NpgsqlParameter { Value = message.Recipients.Select(r => r.LastError).ToArray() });
            await recipients.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public void DiscardData(string id) => _written.TryRemove(id, out _);

    public Stream OpenData(string id)
    {
        // Synchronous, as the file queue's is: one indexed read of the bytes.
        using var command = _dataSource.CreateCommand("SELECT data FROM queue_message WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return command.ExecuteScalar() is byte[] data
            ? new MemoryStream(data, writable: false)
            : throw new FileNotFoundException("no queued message " + id);
    }

    // Each record gives up this node's claim on its own message: one statement each, as before grouping.
    public async Task RecordManyAsync(IReadOnlyList<RecordRequest> requests)
    {
        foreach (var request in requests)
        {
            request.Done = await RecordAsync(request.Id, request.Outcomes, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public Task<IReadOnlyList<QueuedMessage>> GetAllAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {MessageColumns} FROM queue_message m ORDER BY m.created, m.id", [], cancellationToken);

    public async IAsyncEnumerable<QueuedMessage> StreamAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int PageSize = 500;
        var (created, id) = (long.MinValue, "");
        while (true)
        {
            var page = await QueryAsync(
                $"SELECT {MessageColumns} FROM queue_message m WHERE (m.created, m.id) > ($1, $2) ORDER BY m.created, m.id LIMIT {PageSize}",
                [created, id],
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

    public async Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {MessageColumns} FROM queue_message m WHERE m.id = $1", [id], cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    public async Task<IReadOnlyList<QueuedMessage>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var claimed = await ClaimDueAsync(now, limit, cancellationToken).ConfigureAwait(false);
        var since = DateTimeOffset.UtcNow;
        foreach (var message in claimed)
        {
            _held[message.Id] = since;
        }

        return claimed;
    }

    private Task<IReadOnlyList<QueuedMessage>> ClaimDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        // SKIP LOCKED: two nodes claiming at once each take different rows instead of waiting on each other; the lease
        // keeps the claim after this statement's transaction ends, on the database's clock (nodes' clocks may differ).
        QueryAsync(
            $"""
            WITH due AS (
                SELECT m.id FROM queue_message m
                WHERE (m.lease_until IS NULL OR m.lease_until < now())
                  AND EXISTS (SELECT 1 FROM queue_recipient r WHERE r.message_id = m.id AND r.state IN {ActiveStates} AND r.next_attempt <= $1)
                ORDER BY m.created
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            UPDATE queue_message m SET lease_owner = $3, lease_until = now() + $4::interval
            FROM due WHERE m.id = due.id
            RETURNING {MessageColumns}
            """,
            [now.ToUnixTimeMilliseconds(), limit, NodeId, _lease],
            cancellationToken);

    public async Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken)
    {
        // Messages leased to a node count from the lease's end: that is when another node may take them.
        await using var command = _dataSource.CreateCommand(
            $"""
            SELECT min(greatest(r.next_attempt, coalesce((extract(epoch FROM m.lease_until) * 1000)::bigint, 0)))
            FROM queue_recipient r JOIN queue_message m ON m.id = r.message_id
            WHERE r.state IN {ActiveStates}
            """);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public async Task<bool> RecordAsync(string id, IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        var list = outcomes.ToList();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var update = new NpgsqlCommand(
            """
            UPDATE queue_recipient r SET state = o.state, attempts = r.attempts + 1, last_error = o.error,
                next_attempt = coalesce(o.next_attempt, r.next_attempt)
            FROM unnest($2::integer[], $3::integer[], $4::text[], $5::bigint[]) AS o(idx, state, error, next_attempt)
            WHERE r.message_id = $1 AND r.idx = o.idx
            """, connection))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = id });
            update.Parameters.Add(new NpgsqlParameter { Value = list.Select(o => o.Index).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = list.Select(o => (int)o.State).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = list.Select(o => o.Error).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = list.Select(o => o.NextAttempt?.ToUnixTimeMilliseconds()).ToArray() });
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Done when no recipient is left active: the message goes. Otherwise this node's claim ends here.
        await using var finish = new NpgsqlCommand(
            $"""
            WITH active AS (SELECT count(*) AS n FROM queue_recipient WHERE message_id = $1 AND state IN {ActiveStates}),
                 gone AS (DELETE FROM queue_message WHERE id = $1 AND (SELECT n FROM active) = 0 RETURNING id),
                 released AS (UPDATE queue_message SET lease_owner = NULL, lease_until = NULL
                              WHERE id = $1 AND lease_owner = $2 AND (SELECT n FROM active) > 0 RETURNING id)
            SELECT count(*) FROM gone
            """, connection);
        finish.Parameters.Add(new NpgsqlParameter { Value = id });
        finish.Parameters.Add(new NpgsqlParameter { Value = NodeId });
        var done = (long)(await finish.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _held.TryRemove(id, out _);
        return done;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM queue_message WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        _held.TryRemove(id, out _);
        return deleted;
    }

    public async Task<int> MakeDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"UPDATE queue_recipient SET next_attempt = $1 WHERE state IN {ActiveStates} AND next_attempt > $1");
        command.Parameters.Add(new NpgsqlParameter { Value = now.ToUnixTimeMilliseconds() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Bytes and record commit together: there is never an orphan to remove.
    public Task<int> RemoveOrphansAsync(TimeSpan minimumAge, CancellationToken cancellationToken) => Task.FromResult(0);

    public void Dispose()
    {
        // IDisposable, as the file queue is: both stops are short (each cancels one wait). Claims still held run out
        // with their lease, and another node takes those messages.
        _stopping.Cancel();
        _renewal?.GetAwaiter().GetResult();
        _stopping.Dispose();
        _listener?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task RenewLeasesAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await RenewAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: renewal ends with the node.
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var renew = new List<string>();
        foreach (var (id, since) in _held)
        {
            if (now - since <= MaximumHold)
            {
                renew.Add(id);
            }
            else if (_held.TryRemove(id, out _))
            {
                _logger.LogWarning("delivery of queued message {QueueId} has held its claim for {Minutes:N0} minutes; no longer renewed, another node may take it over",
                    id, (now - since).TotalMinutes);
            }
        }

        if (renew.Count == 0)
        {
            return;
        }

        try
        {
            await using var command = _dataSource.CreateCommand(
                "UPDATE queue_message SET lease_until = now() + $3::interval WHERE lease_owner = $1 AND id = ANY($2)");
            command.Parameters.Add(new NpgsqlParameter { Value = NodeId });
            command.Parameters.Add(new NpgsqlParameter { Value = renew.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = _lease });
            var renewed = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (renewed < renew.Count)
            {
                // Recorded meanwhile (normal), or the lease ran out before this renewal and another node took the
                // message: then it may be delivered twice, which the queue's at-least-once promise allows.
                _logger.LogDebug("renewed {Renewed} of {Held} delivery claims", renewed, renew.Count);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            _logger.LogWarning(e, "renewing {Count} delivery claims failed; retrying in {Interval}", renew.Count, _lease / 3);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<QueuedMessage>> QueryAsync(string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(string Id, string? Rp, bool U8, bool B8, long Size, long Created, string? Folder, bool RequireTls)>();
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3),
                    reader.GetInt64(4), reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetBoolean(7)));
            }
        }

        var recipients = new Dictionary<string, List<QueuedRecipient>>(StringComparer.Ordinal);
        if (rows.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                "SELECT message_id, idx, address, state, attempts, next_attempt, last_error FROM queue_recipient WHERE message_id = ANY($1) ORDER BY message_id, idx", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var messageId = reader.GetString(0);
                if (!recipients.TryGetValue(messageId, out var list))
                {
                    recipients[messageId] = list = [];
                }

                list.Add(new QueuedRecipient(
                    reader.GetInt32(1),
                    EmailAddress.Parse(reader.GetString(2)),
                    (RecipientState)reader.GetInt32(3),
                    reader.GetInt32(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                    reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
        }

        return rows
            .OrderBy(r => r.Created).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(row => new QueuedMessage(
                row.Id,
                row.Rp is null ? null : EmailAddress.Parse(row.Rp),
                row.U8,
                row.B8,
                row.Size,
                DateTimeOffset.FromUnixTimeMilliseconds(row.Created),
                recipients.GetValueOrDefault(row.Id) ?? []) { Folder = row.Folder, RequireTls = row.RequireTls })
            .ToList();
    }
}
