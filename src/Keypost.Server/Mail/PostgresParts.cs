using Keypost.Mail.Dkim;
using Keypost.Mail.Queue;
using Keypost.Server.Abuse;
using Keypost.Server.Configuration;
using Keypost.Store;
using Keypost.Store.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Keypost.Server.Mail;

/// <summary>
/// The mail parts of storage.kind "postgres", opened on one pool. A type of its own so that only a server on
/// PostgreSQL loads Npgsql: the JIT loads every assembly a method names when it compiles it, and
/// <see cref="MailHost"/>'s start, which every server runs, names none of Npgsql's types (docs/benchmarks.md, "Memory").
/// Disposing it closes the pool; the parts are the mail host's to dispose.
/// </summary>
internal sealed class PostgresParts : IAsyncDisposable
{
    private NpgsqlDataSource? _dataSource;

    public MessageQueue Queue { get; private set; } = null!;

    public IMailStore MailStore { get; private set; } = null!;

    public DkimKeyStore DkimKeys { get; private set; } = null!;

    public PostgresAbuseCounters Counters { get; private set; } = null!;

    public async Task OpenAsync(KeypostConfig config, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Several nodes share this database: the queue (claims with a lease) and the mailboxes (docs/postgres.md).
        var dataSource = new NpgsqlDataSourceBuilder(config.Storage.ConnectionString).UseLoggerFactory(loggers).Build();
        _dataSource = dataSource;
        MessageQueue? queue = null;
        IMailStore? mailStore = null;
        try
        {
            queue = await MessageQueue.OpenPostgresAsync(
                dataSource,
                new MessageQueueOptions { LoggerFactory = loggers, LeaseDuration = TimeSpan.FromSeconds(config.Storage.QueueLeaseSeconds) },
                cancellationToken);
            mailStore = await PostgresMailStore.OpenAsync(dataSource, loggers.CreateLogger("Keypost.Store"), cancellationToken);
            // Every node signs with the one key in DNS: generated once in the database, read back by all.
            DkimKeys = await DkimKeyStore.OpenPostgresAsync(dataSource, null, cancellationToken);
            // A client spread over the nodes gets one budget of connections per minute, not one per node.
            Counters = await PostgresAbuseCounters.OpenAsync(dataSource, loggers.CreateLogger("Keypost.Server.Abuse"), cancellationToken);
            (Queue, MailStore) = (queue, mailStore);
        }
        catch
        {
            // The caller disposes this object (the pool) but never saw the parts opened so far.
            queue?.Dispose();
            await MailHost.DisposeStoreAsync(mailStore);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
