using Keypost.Mail.Dkim;
using Keypost.Server.Configuration;
using Npgsql;

namespace Keypost.Server.Mail;

/// <summary>
/// The DKIM keys the configuration names: files under dataDirectory/dkim on one node, or the shared database with
/// storage.kind "postgres", so that every node and every command (dns-records, quickstart, check-dns) sees the one
/// key published in DNS. Owns the database pool it opened.
/// </summary>
public sealed class ConfiguredDkimKeys : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _dataSource;

    private ConfiguredDkimKeys(DkimKeyStore store, NpgsqlDataSource? dataSource)
    {
        Store = store;
        _dataSource = dataSource;
    }

    public DkimKeyStore Store { get; }

    public static async Task<ConfiguredDkimKeys> OpenAsync(KeypostConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.Storage.IsPostgres)
        {
            return new ConfiguredDkimKeys(new DkimKeyStore(config.DkimDirectory), null);
        }

        var dataSource = NpgsqlDataSource.Create(config.Storage.ConnectionString!);
        try
        {
            return new ConfiguredDkimKeys(await DkimKeyStore.OpenPostgresAsync(dataSource, null, cancellationToken), dataSource);
        }
        catch
        {
            await dataSource.DisposeAsync();
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
