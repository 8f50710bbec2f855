using Keypost.Directory.Storage;
using Keypost.Server.Configuration;
using Npgsql;

namespace Keypost.Server.Hosting;

/// <summary>
/// Opens the configured directory database (the SQLite file under dataDirectory, or PostgreSQL with storage.kind
/// "postgres") and registers the configured domains in it.
/// </summary>
public static class DirectoryOpener
{
    public static async Task<DirectoryStore> OpenAsync(KeypostConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var database = config.Storage.IsPostgres
            ? await OpenPostgresAsync(config.Storage.ConnectionString!, cancellationToken)
            : await DirectoryDatabase.OpenAsync(config.DatabasePath, cancellationToken);
        try
        {
            var store = new DirectoryStore(database, TimeProvider.System);
            foreach (var domain in config.Domains)
            {
                await store.EnsureDomainAsync(Core.Addresses.EmailAddress.NormalizeDomain(domain.Name), cancellationToken);
            }

            return store;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    // A pool of its own, owned by the directory: a `keypost user` command opens nothing else, and the server's mail
    // part keeps its pool for the queue and the mailboxes.
    private static async Task<DirectoryDatabase> OpenPostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            return await DirectoryDatabase.OpenPostgresAsync(dataSource, ownsDataSource: true, cancellationToken);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }
}
