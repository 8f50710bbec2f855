using Keypost.Mail.Diagnostics;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Mail.Queue;

/// <summary>
/// The durable outbound queue under one directory: <c>queue.db</c> (SQLite index) and <c>data/&lt;id&gt;.eml</c>
/// (the message exactly as received). EnqueueAsync returns only once the message would survive a
/// crash; nothing acknowledged is lost, and a data file whose record never committed is removed on a later open.
/// </summary>
public sealed class MessageQueue : IDisposable
{
    private const string DataExtension = ".eml";

    private readonly QueueIndex index;
    private readonly string dataDirectory;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly GroupCommitter committer;
    private long depth;

    private MessageQueue(string directory, QueueIndex index, MessageQueueOptions options)
    {
        Directory = directory;
        this.index = index;
        time = options.TimeProvider;
        logger = options.LoggerFactory.CreateLogger("Keypost.Mail.Queue");
        dataDirectory = Path.Combine(directory, "data");
        committer = new GroupCommitter(CommitBatchAsync, options.GroupCommitWindow, options.GroupCommitMaxMessages);
    }

    /// <summary>Raised after a message is durably queued, so a delivery worker can wake up.</summary>
    public event EventHandler<string>? MessageEnqueued;

    public string Directory { get; }

    /// <summary>Messages in the queue now (kept in step with the index, read without touching it: for metrics).</summary>
    public long Depth => Interlocked.Read(ref depth);

    public static async Task<MessageQueue> OpenAsync(string directory, MessageQueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MessageQueueOptions();
        options.Validate();
        var full = Path.GetFullPath(directory);
        DurableFiles.CreateDirectoryDurably(Path.Combine(full, "data"));
        var index = QueueIndex.Open(Path.Combine(full, "queue.db"));
        var queue = new MessageQueue(full, index, options);
        try
        {
            // The database and its WAL may have just been created: make their names durable too.
            DurableFiles.SyncDirectory(full);
            await queue.RemoveOrphansAsync(options.OrphanAge, cancellationToken).ConfigureAwait(false);
            queue.depth = (await index.GetIdsAsync(cancellationToken).ConfigureAwait(false)).Count;
        }
        catch
        {
            queue.Dispose();
            throw;
        }

        return queue;
    }

    /// <summary>
    /// Writes the message and its envelope durably and returns its id. Order: data file written and fsync'ed,
    /// data directory fsync'ed (the name is durable), then the record committed. A crash before the commit leaves
    /// only an orphan file; after it, everything needed to deliver. The last two steps are group-committed: one
    /// directory fsync and one transaction for every message accepted at the same moment (see GroupCommitter).
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
        var path = DataPath(id);
        long size;
        try
        {
            size = await DurableFiles.WriteNewFileAsync(path, write, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var recipients = envelope.Recipients
                .Select((r, i) => new QueuedRecipient(i, r, RecipientState.Pending, 0, now, null))
                .ToList();
            if (envelope.Folder is not null && !MailboxNames.IsDeliveryFolder(envelope.Folder))
            {
                throw new ArgumentException("a delivery folder is ASCII letters and digits only", nameof(envelope));
            }

            var message = new QueuedMessage(id, envelope.ReversePath, envelope.SmtpUtf8, envelope.EightBitMime, size, now, recipients) { Folder = envelope.Folder, RequireTls = envelope.RequireTls };
            // Not cancellable past this point: a half-finished commit is rolled back by SQLite anyway.
            await committer.CommitAsync(message).ConfigureAwait(false);
        }
        catch
        {
            TryDelete(path);
            throw;
        }

        Interlocked.Increment(ref depth);
        logger.LogInformation(MailLogEvents.Queued, "Queued {QueueId}: {Recipients} recipients, {Size} bytes, bounce {IsBounce}", id, envelope.Recipients.Count, size, envelope.ReversePath is null);
        MessageEnqueued?.Invoke(this, id);
        return id;
    }

    public Task<IReadOnlyList<QueuedMessage>> ListAsync(CancellationToken cancellationToken) => index.GetAllAsync(cancellationToken);

    /// <summary>Every queued message, oldest first, read a page at a time (<c>keypost queue list</c> on a long queue).</summary>
    public IAsyncEnumerable<QueuedMessage> StreamAsync(CancellationToken cancellationToken) => index.StreamAllAsync(cancellationToken);

    public Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken) =>
        IsValidId(id) ? index.GetAsync(id, cancellationToken) : Task.FromResult<QueuedMessage?>(null);

    /// <summary>Messages with a recipient due now (pending, or deferred whose next attempt has come).</summary>
    public Task<IReadOnlyList<QueuedMessage>> GetDueAsync(int limit, CancellationToken cancellationToken) =>
        index.GetDueAsync(time.GetUtcNow(), limit, cancellationToken);

    /// <summary>When the next active recipient is due, or null when nothing is waiting.</summary>
    public Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken) => index.GetNextDueAsync(cancellationToken);

    /// <summary>Opens the stored message for reading.</summary>
    public Stream OpenData(string id)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException($"'{id}' is not a queue id", nameof(id));
        }

        return new FileStream(DataPath(id), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);
    }

    /// <summary>Records an attempt's outcomes. When every recipient is final the message leaves the queue; returns true then.</summary>
    public async Task<bool> RecordAsync(string id, IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        var done = await index.RecordAsync(id, outcomes, cancellationToken).ConfigureAwait(false);
        if (done)
        {
            Interlocked.Decrement(ref depth);
            DeleteData(id);
        }

        return done;
    }

    /// <summary>Removes a message whatever its state (<c>keypost queue remove</c>); false when there is no such id.</summary>
    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsValidId(id) || !await index.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        Interlocked.Decrement(ref depth);
        DeleteData(id);
        return true;
    }

    /// <summary>Makes every deferred recipient due now (<c>keypost queue flush</c>); returns how many were waiting.</summary>
    public Task<int> FlushAsync(CancellationToken cancellationToken) => index.MakeDueAsync(time.GetUtcNow(), cancellationToken);

    /// <summary>Deletes data files that have no record and are older than <paramref name="minimumAge"/>; returns how many.</summary>
    public async Task<int> RemoveOrphansAsync(TimeSpan minimumAge, CancellationToken cancellationToken)
    {
        var ids = await index.GetIdsAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = DateTime.UtcNow - minimumAge;
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(dataDirectory))
        {
            var id = Path.GetFileNameWithoutExtension(file);
            if (ids.Contains(id) || File.GetLastWriteTimeUtc(file) > cutoff)
            {
                continue;
            }

            TryDelete(file);
            removed++;
        }

        if (removed > 0)
        {
            DurableFiles.SyncDirectory(dataDirectory);
        }

        return removed;
    }

    public void Dispose()
    {
        committer.Dispose();
        index.Dispose();
    }

    // One batch of the group commit: the new names made durable by one directory fsync, then one transaction.
    private async Task CommitBatchAsync(IReadOnlyList<QueuedMessage> batch)
    {
        DurableFiles.SyncDirectory(dataDirectory);
        await index.InsertAsync(batch, CancellationToken.None).ConfigureAwait(false);
    }

    private void DeleteData(string id)
    {
        TryDelete(DataPath(id));
    }

    private string DataPath(string id) => Path.Combine(dataDirectory, id + DataExtension);

    // Ids are ours (32 hex digits); checking keeps a CLI argument from naming a path outside the queue.
    private static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Removed again by the next orphan sweep.
        }
    }
}
