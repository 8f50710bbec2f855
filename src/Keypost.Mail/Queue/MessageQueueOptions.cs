using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Mail.Queue;

public sealed class MessageQueueOptions
{
    /// <summary>
    /// A data file with no queue record is removed at open only when at least this old: another process (the
    /// CLI next to a running server) may be between writing a file and committing its record.
    /// </summary>
    public TimeSpan OrphanAge { get; init; } = TimeSpan.FromMinutes(15);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Group commit: how long the session that leads a commit waits for others to join it, sharing one fsync of
    /// the data directory and one SQLite commit. Only a leader starting from idle waits: messages that queued while
    /// a commit ran go in the next commit at once. Zero (the default) commits what is waiting at once: batches still
    /// form under load, from what arrives while a commit runs, and no session's 250 waits for company that may not
    /// come. With 20 SMTP sessions a 2 ms window cost 10-15% of the messages per second (docs/benchmarks.md, SMTP
    /// fifth round); a disk with a slow fsync may gain from one. At most 100 ms: a lone 250 waits for it.
    /// </summary>
    public TimeSpan GroupCommitWindow { get; init; } = TimeSpan.Zero;

    /// <summary>Group commit: at most this many messages per commit (1 turns grouping off).</summary>
    public int GroupCommitMaxMessages { get; init; } = 64;

    /// <summary>
    /// On one node: a message up to this many bytes is kept in the queue's SQLite database, written with its
    /// record (the group's one commit makes it durable, no file and fsync of its own); a larger one goes to a data
    /// file. 0 keeps every message in a file. At most 1 MiB: an inline message is read into memory whole.
    /// </summary>
    public int InlineMessageMaxBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// On PostgreSQL: how long a node's claim on a message lasts. A node that dies mid-delivery holds the message this
    /// long; one that is slower than this may see another node deliver it too (a duplicate, never a loss). Longer
    /// than one delivery attempt with its SMTP timeouts.
    /// </summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the one line per queued message goes.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Throws when a setting is out of range; called when a queue opens.</summary>
    public void Validate()
    {
        if (GroupCommitWindow < TimeSpan.Zero || GroupCommitWindow > TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(GroupCommitWindow), GroupCommitWindow, "the group commit window must be 0 to 100 ms");
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "a delivery lease lasts at least a second");
        }

        if (InlineMessageMaxBytes is < 0 or > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(InlineMessageMaxBytes), InlineMessageMaxBytes, "inline queue messages are 0 to 1 MiB");
        }

        if (GroupCommitMaxMessages is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(GroupCommitMaxMessages), GroupCommitMaxMessages, "group commit takes 1 to 10,000 messages");
        }
    }
}
