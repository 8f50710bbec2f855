namespace Keypost.Mail.Queue;

/// <summary>
/// Where <see cref="MessageQueue"/> keeps messages: files and a SQLite index on one node (<see cref="FileQueueStorage"/>),
/// or PostgreSQL shared by several (<see cref="PostgresQueueStorage"/>). The queue adds ids, validation, logging,
/// the depth gauge and group commit on top.
/// </summary>
internal interface IQueueStorage : IDisposable
{
    /// <summary>The queue's directory on one node; null when the queue is in a database.</summary>
    string? Directory { get; }

    /// <summary>True when other nodes change the queue too, so a count kept by this node alone would drift.</summary>
    bool Shared { get; }

    /// <summary>Messages in the queue now (at open, for the depth gauge).</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>Stores the message's bytes under <paramref name="id"/> (not yet visible); returns their length.</summary>
    Task<long> WriteDataAsync(string id, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Makes a batch of written messages durable and visible at once (one group commit).</summary>
    Task CommitAsync(IReadOnlyList<QueuedMessage> batch);

    /// <summary>Drops bytes written for a message whose commit failed or never came.</summary>
    void DiscardData(string id);

    Stream OpenData(string id);

    Task<IReadOnlyList<QueuedMessage>> GetAllAsync(CancellationToken cancellationToken);

    IAsyncEnumerable<QueuedMessage> StreamAllAsync(CancellationToken cancellationToken);

    Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Messages with a recipient due at <paramref name="now"/>, oldest first. Where several nodes share the queue,
    /// the messages returned are claimed (leased) for this node until recorded or the lease runs out.
    /// </summary>
    Task<IReadOnlyList<QueuedMessage>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken);

    /// <summary>Records outcomes (and gives up this node's claim); true when the message left the queue.</summary>
    Task<bool> RecordAsync(string id, IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>
    /// Records several attempts' outcomes together (one transaction where the storage allows it), setting each
    /// request's <see cref="RecordRequest.Done"/>; all fail together.
    /// </summary>
    Task RecordManyAsync(IReadOnlyList<RecordRequest> requests);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);

    Task<int> MakeDueAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Removes stored bytes that have no committed record and are older than <paramref name="minimumAge"/>.</summary>
    Task<int> RemoveOrphansAsync(TimeSpan minimumAge, CancellationToken cancellationToken);
}
