using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Storage;

namespace Keypost.Directory.Publishing;

/// <summary>
/// In charge of publishing a certificate: checking it, storing it and logging it.
/// Turns a certificate someone hands in into the directory's entries: one minimised certificate per hosted
/// address it carries, after the policy has accepted it. Everything is checked before anything is written.
/// </summary>
public sealed class KeyPublisher(DirectoryStore store, CertificatePolicy policy, TimeProvider clock)
{
    /// <summary>
    /// Largest input accepted. A certificate flooded with certifications (a few MB) is still taken and served
    /// minimised; beyond this it is refused before parsing.
    /// </summary>
    public const int MaxInputBytes = 8 * 1024 * 1024;

    /// <summary>Publishes as the operator (<see cref="PublicationChannel.Operator"/>).</summary>
    public Task<IReadOnlyList<Publication>> PublishAsync(byte[] data, EmailAddress? onlyAddress, CancellationToken cancellationToken) =>
        PublishAsync(data, onlyAddress, PublicationChannel.Operator, cancellationToken);

    /// <summary>Publishes, recording the <paramref name="channel"/> the certificate came through with each row.</summary>
    public async Task<IReadOnlyList<Publication>> PublishAsync(byte[] data, EmailAddress? onlyAddress, PublicationChannel channel, CancellationToken cancellationToken)
    {
        var certificate = Certificate.Parse(data, MaxInputBytes);
        if (KeyLifecycle.HasForeignRevocation(certificate))
        {
            // RFC 4880 §5.2.1 (0x20): only the key itself (or a designated revoker, which Keypost does not take) may
            // revoke it; a revocation anyone else signed is refused, not silently dropped.
            throw new OpenPgpException(OpenPgpError.Revoked, $"the revocation on key {certificate.Fingerprint} is not signed by the key itself and is refused");
        }

        var hosted = (await store.ListDomainsAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var addresses = onlyAddress is not null
            ? [onlyAddress]
            : certificate.UserIds
                .Where(u => u.IsUsable && u.Address is not null && hosted.Contains(u.Address.Domain))
                .Select(u => u.Address!)
                .Distinct()
                .ToList();
        if (addresses.Count == 0)
        {
            throw new DirectoryException(
                $"key {certificate.Fingerprint} has no user ID for a domain this server hosts ({string.Join(", ", hosted)})");
        }

        var now = clock.GetUtcNow();
        var prepared = new List<Publication>();
        foreach (var address in addresses)
        {
            if (!hosted.Contains(address.Domain))
            {
                throw new DirectoryException($"{address.Domain} is not a domain this server hosts");
            }

            var current = await store.FindCurrentAsync(address, cancellationToken);
            if (certificate.IsRevoked)
            {
                // A revocation is published only to tell holders of the key it is dead; a revoked key never
                // becomes an address's key.
                if (current is null || !string.Equals(current.Fingerprint, certificate.Fingerprint, StringComparison.Ordinal))
                {
                    throw new OpenPgpException(OpenPgpError.Revoked, $"key {certificate.Fingerprint} is revoked; publish a new key for {address}");
                }
            }
            else
            {
                policy.EnsureAcceptable(certificate, address, now);
            }

            // A rotation keeps the old key's transition signature, so senders pinned to the old key can check it.
            Certificate? predecessor = null;
            if (current is not null && current.Fingerprint != certificate.Fingerprint)
            {
                predecessor = Certificate.Parse(current.Data);
            }

            var minimized = CertificateMinimizer.Minimize(certificate, address, predecessor);
            prepared.Add(new Publication(address, certificate.Fingerprint, certificate.IsRevoked, minimized.ToBinary()));
        }

        foreach (var publication in prepared)
        {
            await store.PublishAsync(publication.Address, publication.Fingerprint, publication.Data, publication.Revoked, channel, cancellationToken);
        }

        return prepared;
    }
}
