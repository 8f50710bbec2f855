using Keypost.Mail.Diagnostics;
using Microsoft.Extensions.Logging;
using Keypost.Store;
using Npgsql;

namespace Keypost.Mail.Queue;

/// <summary>
/// In charge of the durable queue: a message is on disk (or in PostgreSQL) before its 250.
/// The durable outbound queue: on one node a directory with <c>queue.db</c> (SQLite index, and small messages
/// themselves) and <c>data/&lt;id&gt;.eml</c> (larger messages exactly as received); on several nodes a PostgreSQL database they share, where a node claims a message
/// for delivery with a lease (docs/postgres.md). EnqueueAsync returns only once the message would survive a crash;
/// nothing acknowledged is lost.
/// </summary>
public sealed class MessageQueue : IDisposable
{
    private readonly IQueueStorage storage;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly GroupCommitter<QueuedMessage> committer;
    private readonly GroupCommitter<RecordRequest> recorder;
    private long depth;

    private MessageQueue(IQueueStorage storage, MessageQueueOptions options)
    {
        this.storage = storage;
        time = options.TimeProvider;
        logger = options.LoggerFactory.CreateLogger("Keypost.Mail.Queue");
        committer = new GroupCommitter<QueuedMessage>(storage.CommitAsync, options.GroupCommitWindow, options.GroupCommitMaxMessages);
        // Outcomes wait for no window: what arrives while a record commits goes with the next one.
        recorder = new GroupCommitter<RecordRequest>(storage.RecordManyAsync, TimeSpan.Zero, options.GroupCommitMaxMessages);
    }

    /// <summary>Raised after a message is durably queued (here, or on another node sharing the queue), so a delivery worker can wake up.</summary>
    public event EventHandler<string>? MessageEnqueued;

    /// <summary>The queue's directory; null when the queue is in PostgreSQL.</summary>
    public string? Directory => storage.Directory;

    /// <summary>
    /// Messages in the queue now, read without touching the index (for metrics): kept in step by this node, and on
    /// PostgreSQL read again from the database at each <see cref="GetNextDueAsync"/>, as other nodes change it too.
    /// </summary>
    public long Depth => Interlocked.Read(ref depth);

    public static async Task<MessageQueue> OpenAsync(string directory, MessageQueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MessageQueueOptions();
        options.Validate();
        var queue = new MessageQueue(FileQueueStorage.Open(directory, options.InlineMessageMaxBytes), options);
        try
        {
            await queue.RemoveOrphansAsync(options.OrphanAge, cancellationToken).ConfigureAwait(false);
            queue.depth = await queue.storage.CountAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            queue.Dispose();
            throw;
        }

        return queue;
    }

    /// <summary>
    /// The queue in a PostgreSQL database shared by several nodes (schema created or migrated here). A message is
    /// delivered by the node that claims it; a node that dies mid-delivery loses its claim after
    /// <see cref="MessageQueueOptions.LeaseDuration"/> and another node takes the message.
    /// </summary>
    public static async Task<MessageQueue> OpenPostgresAsync(NpgsqlDataSource dataSource, MessageQueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new MessageQueueOptions();
        options.Validate();
        MessageQueue? queue = null;
        var storage = await PostgresQueueStorage.OpenAsync(
            dataSource, options.LeaseDuration, id => queue?.MessageEnqueued?.Invoke(queue, id), options.LoggerFactory.CreateLogger("Keypost.Mail.Queue"), cancellationToken).ConfigureAwait(false);
        queue = new MessageQueue(storage, options);
        try
        {
            queue.depth = await storage.CountAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            queue.Dispose();
            throw;
        }

        return queue;
    }

    /// <summary>
    /// Writes the message and its envelope durably and returns its id. Order: data written durably, then the record
    /// committed; a crash before the commit leaves nothing acknowledged. The commits are grouped: one for every
    /// message accepted at the same moment (see GroupCommitter).
    /// </summary>
    public Task<string> EnqueueAsync(QueueEnvelope envelope, Stream data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        return EnqueueAsync(envelope, (file, ct) => data.CopyToAsync(file, ct), cancellationToken);
    }

    /// <summary>
    /// As the stream overload, with <paramref name="write"/> streaming the message into the data file: intake writes
    /// its parsed message there directly, so the message is never held whole in memory on its way to disk.
    /// </summary>
    public async Task<string> EnqueueAsync(QueueEnvelope envelope, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(write);
        if (envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("a message needs at least one recipient", nameof(envelope));
        }

        var id = Guid.CreateVersion7().ToString("N");
        long size;
        try
        {
            size = await storage.WriteDataAsync(id, write, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var recipients = envelope.Recipients
                .Select((r, i) => new QueuedRecipient(i, r, RecipientState.Pending, 0, now, null))
                .ToList();
            if (envelope.Folder is not null && !MailboxNames.IsDeliveryFolder(envelope.Folder))
            {
                throw new ArgumentException("a delivery folder is ASCII letters and digits only", nameof(envelope));
            }

            var message = new QueuedMessage(id, envelope.ReversePath, envelope.SmtpUtf8, envelope.EightBitMime, size, now, recipients) { Folder = envelope.Folder, RequireTls = envelope.RequireTls };
            // Not cancellable past this point: a half-finished commit is rolled back by the database anyway.
            await committer.CommitAsync(message).ConfigureAwait(false);
        }
        catch
        {
            storage.DiscardData(id);
            throw;
        }

        Interlocked.Increment(ref depth);
        // Debug: the SMTP transaction's line (1001) already names the queue id, recipients and size, and a DSN has
        // its own (2004); with this one too, a message made three Information lines (docs/operations.md, Logging).
        logger.LogDebug(MailLogEvents.Queued, "Queued {QueueId}: {Recipients} recipients, {Size} bytes, bounce {IsBounce}", id, envelope.Recipients.Count, size, envelope.ReversePath is null);
        MessageEnqueued?.Invoke(this, id);
        return id;
    }

    public Task<IReadOnlyList<QueuedMessage>> ListAsync(CancellationToken cancellationToken) => storage.GetAllAsync(cancellationToken);

    /// <summary>Every queued message, oldest first, read a page at a time (<c>keypost queue list</c> on a long queue).</summary>
    public IAsyncEnumerable<QueuedMessage> StreamAsync(CancellationToken cancellationToken) => storage.StreamAllAsync(cancellationToken);

    public Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken) =>
        IsValidId(id) ? storage.GetAsync(id, cancellationToken) : Task.FromResult<QueuedMessage?>(null);

    /// <summary>
    /// Messages with a recipient due now (pending, or deferred whose next attempt has come). On PostgreSQL they are
    /// claimed for this node until <see cref="RecordAsync"/> or the lease runs out: other nodes do not get them.
    /// </summary>
    public Task<IReadOnlyList<QueuedMessage>> GetDueAsync(int limit, CancellationToken cancellationToken) =>
        storage.GetDueAsync(time.GetUtcNow(), limit, cancellationToken);

    /// <summary>When the next active recipient is due, or null when nothing is waiting.</summary>
    public async Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken)
    {
        if (storage.Shared)
        {
            // Other nodes queue and deliver too: the depth gauge is read again at each pause of the delivery worker.
            Interlocked.Exchange(ref depth, await storage.CountAsync(cancellationToken).ConfigureAwait(false));
        }

        return await storage.GetNextDueAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes a message from another queue as it was there (<c>keypost storage migrate</c>): same id, envelope and
    /// recipients' states; false when the message is here already. Only a queue in PostgreSQL imports.
    /// </summary>
    public async Task<bool> ImportAsync(QueuedMessage message, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(data);
        if (storage is not PostgresQueueStorage shared)
        {
            throw new NotSupportedException("only a queue in PostgreSQL imports messages");
        }

        if (!await shared.ImportAsync(message, data, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        Interlocked.Increment(ref depth);
        return true;
    }

    /// <summary>Opens the stored message for reading.</summary>
    public Stream OpenData(string id)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException($"'{id}' is not a queue id", nameof(id));
        }

        return storage.OpenData(id);
    }

    /// <summary>Records an attempt's outcomes. When every recipient is final the message leaves the queue; returns true then.</summary>
    public async Task<bool> RecordAsync(string id, IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        // Grouped with the records of parallel deliveries (one transaction for the lot). Not cancellable once
        // handed over: the record is committed or fails with its batch.
        cancellationToken.ThrowIfCancellationRequested();
        var request = new RecordRequest(id, outcomes.ToList());
        await recorder.CommitAsync(request).ConfigureAwait(false);
        var done = request.Done;
        if (done)
        {
            Interlocked.Decrement(ref depth);
        }

        return done;
    }

    /// <summary>Removes a message whatever its state (<c>keypost queue remove</c>); false when there is no such id.</summary>
    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsValidId(id) || !await storage.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        Interlocked.Decrement(ref depth);
        return true;
    }

    /// <summary>Makes every deferred recipient due now (<c>keypost queue flush</c>); returns how many were waiting.</summary>
    public Task<int> FlushAsync(CancellationToken cancellationToken) => storage.MakeDueAsync(time.GetUtcNow(), cancellationToken);

    /// <summary>Deletes data files that have no record and are older than <paramref name="minimumAge"/>; returns how many.</summary>
    public Task<int> RemoveOrphansAsync(TimeSpan minimumAge, CancellationToken cancellationToken) => storage.RemoveOrphansAsync(minimumAge, cancellationToken);

    public void Dispose()
    {
        committer.Dispose();
        recorder.Dispose();
        storage.Dispose();
    }

    // Ids are ours (32 hex digits); checking keeps a CLI argument from naming a path outside the queue.
    private static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
