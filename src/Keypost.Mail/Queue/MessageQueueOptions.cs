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

    /// <summary>Where the one line per queued message goes.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
