using Keypost.Directory.Storage;
using Keypost.Server.Configuration;

namespace Keypost.Server.Hosting;

/// <summary>Opens the configured directory database and registers the configured domains in it.</summary>
public static class DirectoryOpener
{
    public static async Task<DirectoryStore> OpenAsync(KeypostConfig config, CancellationToken cancellationToken)
    {
        var database = await DirectoryDatabase.OpenAsync(config.DatabasePath, cancellationToken);
        var store = new DirectoryStore(database, TimeProvider.System);
        foreach (var domain in config.Domains)
        {
            await store.EnsureDomainAsync(Core.Addresses.EmailAddress.NormalizeDomain(domain.Name), cancellationToken);
        }

        return store;
    }
}
