using System.Collections.Concurrent;
using Keypost.Store;

namespace Keypost.Mail.Queue;

/// <summary>
/// The single-node queue: <c>queue.db</c> (SQLite index) and <c>data/&lt;id&gt;.eml</c> (the message exactly as
/// received) under one directory. A message up to the inline limit is kept in <c>queue.db</c> itself, written with
/// its record in the group's one commit (no data file, no fsync of its own: at 4 KB the per-file fsync was most of
/// a message's cost). A larger one goes to a data file, written and fsynced before its record commits, so a crash
/// leaves at most an orphan file, which a later open removes.
/// </summary>
internal sealed class FileQueueStorage : IQueueStorage
{
    private const string DataExtension = ".eml";

    private readonly QueueIndex _index;
    private readonly string _dataDirectory;
    private readonly int _inlineLimit;

    // Bytes of small messages written but not yet committed: their group commit stores them with the record.
    private readonly ConcurrentDictionary<string, byte[]> _pendingInline = new(StringComparer.Ordinal);

    private FileQueueStorage(string directory, QueueIndex index, int inlineLimit)
    {
        Directory = directory;
        _index = index;
        _inlineLimit = inlineLimit;
        _dataDirectory = Path.Combine(directory, "data");
    }

    public string Directory { get; }

    public bool Shared => false;

    /// <param name="directory">The queue's directory (created when missing).</param>
    /// <param name="inlineLimit">Messages up to this many bytes are stored in the database; 0 puts every one in a file.</param>
    public static FileQueueStorage Open(string directory, int inlineLimit)
    {
        var full = Path.GetFullPath(directory);
        DurableFiles.CreateDirectoryDurably(Path.Combine(full, "data"));
        var storage = new FileQueueStorage(full, QueueIndex.Open(Path.Combine(full, "queue.db")), inlineLimit);
        // The database and its WAL may have just been created: make their names durable too.
        DurableFiles.SyncDirectory(full);
        return storage;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken) =>
        (await _index.GetIdsAsync(cancellationToken).ConfigureAwait(false)).Count;

    public async Task<long> WriteDataAsync(string id, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await using var target = new SpillingWriteStream(_inlineLimit, () => DurableFiles.CreateNew(DataPath(id)));
        await write(target, cancellationToken).ConfigureAwait(false);
        if (target.File is { } file)
        {
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        else
        {
            _pendingInline[id] = target.InlineBytes()!;
        }

        return target.Length;
    }

    // One batch of the group commit: the data files' new names made durable by one directory fsync (none when every
    // message of the batch is inline), then one transaction with the inline messages' bytes.
    public async Task CommitAsync(IReadOnlyList<QueuedMessage> batch)
    {
        if (batch.Any(m => !_pendingInline.ContainsKey(m.Id)))
        {
            DurableFiles.SyncDirectory(_dataDirectory);
        }

        await _index.InsertAsync(batch, id => _pendingInline.TryGetValue(id, out var data) ? data : null, CancellationToken.None).ConfigureAwait(false);
        foreach (var message in batch)
        {
            _pendingInline.TryRemove(message.Id, out _);
        }
    }

    public void DiscardData(string id)
    {
        if (!_pendingInline.TryRemove(id, out _))
        {
            TryDelete(DataPath(id));
        }
    }

    // A removed message's data file, if it had one: an inline message's bytes left with its rows, and a failed
    // unlink per delivered message was a needless path lookup (docs/benchmarks.md, "SMTP").
    private void DiscardData(string id, bool inline)
    {
        if (!inline)
        {
            DiscardData(id);
        }
    }

    public Stream OpenData(string id) =>
        _index.ReadInlineData(id) is { } inline
            // Publicly visible: the Maildir writes it with the Return-Path line in one pwritev (DurableFiles).
            ? new MemoryStream(inline, 0, inline.Length, writable: false, publiclyVisible: true)
            : new FileStream(DataPath(id), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);

    public Task<IReadOnlyList<QueuedMessage>> GetAllAsync(CancellationToken cancellationToken) => _index.GetAllAsync(cancellationToken);

    public IAsyncEnumerable<QueuedMessage> StreamAllAsync(CancellationToken cancellationToken) => _index.StreamAllAsync(cancellationToken);

    public Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken) => _index.GetAsync(id, cancellationToken);

    public Task<IReadOnlyList<QueuedMessage>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        _index.GetDueAsync(now, limit, cancellationToken);

    public Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken) => _index.GetNextDueAsync(cancellationToken);

    public async Task<bool> RecordAsync(string id, IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        var removed = await _index.RecordAsync(id, outcomes, cancellationToken).ConfigureAwait(false);
        if (removed.Message)
        {
            DiscardData(id, removed.InlineData);
        }

        return removed.Message;
    }

    // Outcomes of parallel deliveries in one transaction: the pages they share (the recipients table and its
    // indexes, the messages table) are written to the WAL once per batch, not once per message.
    public async Task RecordManyAsync(IReadOnlyList<RecordRequest> requests)
    {
        await _index.RecordManyAsync(requests, CancellationToken.None).ConfigureAwait(false);
        foreach (var request in requests.Where(r => r.Done))
        {
            DiscardData(request.Id, request.InlineData);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var removed = await _index.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
        if (!removed.Message)
        {
            return false;
        }

        DiscardData(id, removed.InlineData);
        return true;
    }

    public Task<int> MakeDueAsync(DateTimeOffset now, CancellationToken cancellationToken) => _index.MakeDueAsync(now, cancellationToken);

    public async Task<int> RemoveOrphansAsync(TimeSpan minimumAge, CancellationToken cancellationToken)
    {
        var ids = await _index.GetIdsAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = DateTime.UtcNow - minimumAge;
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(_dataDirectory))
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
            DurableFiles.SyncDirectory(_dataDirectory);
        }

        return removed;
    }

    public void Dispose() => _index.Dispose();

    private string DataPath(string id) => Path.Combine(_dataDirectory, id + DataExtension);

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
