using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Storage;

namespace Keypost.Server.Gateway;

/// <summary>
/// Finds a recipient's certificate for the gateway: this server's own domains from the directory store, others by
/// WKD over HTTPS. Any failure is "no key" (the gateway is opportunistic), with the reason kept for the trace.
/// </summary>
public sealed class RecipientKeyFinder(DirectoryStore store, WkdClient wkd, TimeProvider clock)
{
    public async Task<RecipientKey> FindAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        Certificate? certificate;
        if (await store.IsHostedDomainAsync(address.Domain, cancellationToken))
        {
            var published = await store.FindCurrentAsync(address, cancellationToken);
            if (published is null || published.Revoked)
            {
                return RecipientKey.Missing(address, "no key published here");
            }

            certificate = Certificate.Parse(published.Data);
        }
        else
        {
            try
            {
                certificate = (await wkd.LookupAsync(address, cancellationToken)).Certificate;
            }
            catch (Exception e) when (e is WkdException or OpenPgpException or HttpRequestException
                || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return RecipientKey.Missing(address, "WKD lookup failed: " + e.Message);
            }

            if (certificate is null)
            {
                return RecipientKey.Missing(address, "no key in WKD");
            }
        }

        var now = clock.GetUtcNow();
        return certificate.IsRevoked || certificate.IsExpired(now) || certificate.EncryptionSubkeys(now).Count == 0
            ? RecipientKey.Missing(address, "the key cannot encrypt (revoked, expired or no encryption subkey)")
            : RecipientKey.Found(address, certificate);
    }
}
