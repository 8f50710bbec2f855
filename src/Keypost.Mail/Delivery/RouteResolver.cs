using System.Net;
using System.Security.Cryptography;
using Keypost.Mail.Dns;

namespace Keypost.Mail.Delivery;

/// <summary>RFC 5321 §5.1: from a domain to the addresses of its mail exchangers.</summary>
internal sealed class RouteResolver
{
    private readonly IMailDnsResolver dns;

    public RouteResolver(IMailDnsResolver dns)
    {
        this.dns = dns;
    }

    public async Task<DeliveryRoute> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        var mx = await dns.GetMxAsync(domain, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> hosts;
        switch (mx.Status)
        {
            case DnsStatus.NxDomain:
                return DeliveryRoute.Permanent("5.1.2", $"domain {domain} does not exist (NXDOMAIN)");
            case DnsStatus.TemporaryFailure:
                return DeliveryRoute.Temporary("4.4.3", $"MX lookup for {domain} failed: {mx.Error}");
            case DnsStatus.NoData:
                // RFC 5321 §5.1: no MX records, so the domain itself is the implicit MX (its A/AAAA).
                hosts = [domain];
                break;
            default:
                // RFC 7505 §3 and §4.2: a null MX means the domain accepts no mail; fail at once with 5.1.10.
                if (mx.Records.Any(r => r.IsNullMx))
                {
                    return DeliveryRoute.Permanent("5.1.10", $"domain {domain} does not accept mail (null MX, RFC 7505)");
                }

                hosts = ShuffleEqualPreferences(mx.Records);
                break;
        }

        var endpoints = new List<(string, IPAddress)>();
        var secureHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string? temporary = null;
        foreach (var host in hosts)
        {
            var addresses = await dns.GetAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            if (addresses.Status == DnsStatus.TemporaryFailure)
            {
                temporary ??= addresses.Error;
            }

            endpoints.AddRange(addresses.Records.Select(a => (host, a)));
            // RFC 7672 §2.2.1, §2.2.2: DANE applies only when both the MX RRset (or the domain's own denial of one)
            // and the host's address records are DNSSEC-secure.
            if (mx.Authenticated && addresses.Authenticated)
            {
                secureHosts.Add(host);
            }
        }

        if (endpoints.Count > 0)
        {
            return DeliveryRoute.To(endpoints, secureHosts);
        }

        return temporary is not null
            ? DeliveryRoute.Temporary("4.4.3", $"address lookup for {domain}'s mail exchangers failed: {temporary}")
            : DeliveryRoute.Permanent("5.4.4", $"no address found for {domain}'s mail exchangers ({string.Join(", ", hosts)})");
    }

    // RFC 5321 §5.1: among MX records of equal preference the order should be random, to spread the load.
    private static List<string> ShuffleEqualPreferences(IReadOnlyList<MxHost> records) =>
        records
            .GroupBy(r => r.Preference)
            .OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)))
            .Select(r => r.Host)
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
