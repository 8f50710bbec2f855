using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Server.Configuration;

namespace Keypost.Server.Gateway;

/// <summary>The gateway and Junk settings of every configured domain, looked up by domain.</summary>
public sealed class DomainMailPolicies
{
    private readonly Dictionary<string, DomainMailPolicy> byDomain;

    public DomainMailPolicies(IEnumerable<DomainMailPolicy> policies)
    {
        byDomain = policies.ToDictionary(p => p.Domain, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The settings of <paramref name="domain"/>, or null when it is not one of ours.</summary>
    public DomainMailPolicy? Find(string domain) => byDomain.GetValueOrDefault(domain);

    /// <summary>Reads the domains' settings and loads their additional decryption keys (failing at start, not at send).</summary>
    /// <exception cref="ConfigException">An additional decryption key cannot be read or cannot be encrypted to.</exception>
    public static async Task<DomainMailPolicies> LoadAsync(IEnumerable<DomainConfig> domains, TimeProvider clock, CancellationToken cancellationToken)
    {
        var policies = new List<DomainMailPolicy>();
        foreach (var domain in domains)
        {
            var adk = domain.AdditionalDecryptionKeyFile is { } file ? await LoadKeyAsync(domain.Name, file, clock, cancellationToken) : null;
            policies.Add(new DomainMailPolicy(
                EmailAddress.NormalizeDomain(domain.Name),
                domain.Gateway,
                string.IsNullOrWhiteSpace(domain.GatewayDisclaimer) ? null : domain.GatewayDisclaimer,
                adk,
                domain.FileUnverifiedEncryptedMailInJunk,
                domain.EncryptAtRest,
                domain.EncryptAppendedMessages));
        }

        return new DomainMailPolicies(policies);
    }

    private static async Task<Certificate> LoadKeyAsync(string domain, string file, TimeProvider clock, CancellationToken cancellationToken)
    {
        Certificate certificate;
        try
        {
            await using var stream = File.OpenRead(file);
            certificate = await Certificate.LoadAsync(stream, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OpenPgpException)
        {
            throw new ConfigException($"{domain}: additionalDecryptionKeyFile {file}: {e.Message}");
        }

        var now = clock.GetUtcNow();
        if (certificate.IsRevoked || certificate.IsExpired(now) || certificate.EncryptionSubkeys(now).Count == 0)
        {
            throw new ConfigException($"{domain}: additionalDecryptionKeyFile {file}: the certificate {certificate.Fingerprint} has no usable encryption key");
        }

        return certificate;
    }
}
