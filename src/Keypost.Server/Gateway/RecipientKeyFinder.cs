using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Storage;

namespace Keypost.Server.Gateway;

/// <summary>
/// Finds a recipient's certificate for the gateway: this server's own domains from the directory store, others by
/// WKD over HTTPS. Any failure is "no key" (the gateway is opportunistic), with the reason kept for the trace, except
/// a key the domain's transparency log does not prove: that is refused (<see cref="RecipientKey.Refused"/>), since
/// a forged key is worse than none. A domain without a log is looked up as before.
/// </summary>
public sealed class RecipientKeyFinder(DirectoryStore store, WkdClient wkd, TimeProvider clock, LogChecker? log = null)
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
            WkdLookupResult lookup;
            try
            {
                lookup = await wkd.LookupAsync(address, cancellationToken);
            }
            catch (Exception e) when (e is WkdException or OpenPgpException or HttpRequestException
                || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return RecipientKey.Missing(address, "WKD lookup failed: " + e.Message);
            }

            certificate = lookup.Certificate;
            if (certificate is null)
            {
                return RecipientKey.Missing(address, "no key in WKD");
            }

            if (log is not null)
            {
                LogCheckResult checkedByLog;
                try
                {
                    checkedByLog = await log.CheckAsync(lookup, cancellationToken);
                }
                catch (Exception e) when (e is WkdException or HttpRequestException
                    || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    checkedByLog = new LogCheckResult(LogOutcome.Failed, $"transparency check failed: the log of {address.Domain} did not answer ({e.Message})");
                }

                if (checkedByLog.Outcome == LogOutcome.Failed)
                {
                    return RecipientKey.Refused(address, checkedByLog.Message);
                }
            }
        }

        var now = clock.GetUtcNow();
        return certificate.IsRevoked || certificate.IsExpired(now) || certificate.EncryptionSubkeys(now).Count == 0
            ? RecipientKey.Missing(address, "the key cannot encrypt (revoked, expired or no encryption subkey)")
            : RecipientKey.Found(address, certificate);
    }
}
