using System.Globalization;
using Keypost.Mail.Dane;
using Keypost.Mail.Dns;
using Keypost.Mail.MtaSts;

namespace Keypost.Mail.Delivery;

/// <summary>Looks up what a domain asks of our TLS: TLSA records per secure MX host, and its MTA-STS policy.</summary>
internal sealed class TransportPolicyResolver(IMailDnsResolver dns, MtaStsPolicySource? mtaSts, int port, bool useDane)
{
    public async Task<TransportPolicy> ResolveAsync(string domain, DeliveryRoute route, CancellationToken cancellationToken)
    {
        var dane = new Dictionary<string, HostTlsPolicy>(StringComparer.OrdinalIgnoreCase);
        if (useDane)
        {
            foreach (var host in route.Endpoints.Select(e => e.Host).Distinct(StringComparer.OrdinalIgnoreCase).Where(route.SecureHosts.Contains))
            {
                // RFC 7672 §2.2.3: the TLSA base domain is the MX host; the port is the one we connect to.
                var name = string.Create(CultureInfo.InvariantCulture, $"_{port}._tcp.{host}");
                var tlsa = await dns.GetTlsaAsync(name, cancellationToken).ConfigureAwait(false);
                switch (tlsa.Status)
                {
                    case DnsStatus.Ok when tlsa.Authenticated:
                        dane[host] = tlsa.Records.Any(r => r.IsUsable)
                            ? new HostTlsPolicy(HostTlsRequirement.Dane, tlsa.Records)
                            : new HostTlsPolicy(HostTlsRequirement.DaneUnusable, tlsa.Records);
                        break;
                    case DnsStatus.TemporaryFailure:
                        // RFC 7672 §2.1.1: a failed (e.g. bogus) TLSA lookup for a secure host must not fall back to
                        // unauthenticated delivery: the host is skipped, the message waits.
                        dane[host] = new HostTlsPolicy(HostTlsRequirement.DaneLookupFailed, [], $"dnssec-invalid: TLSA lookup {name} failed: {tlsa.Error}");
                        break;
                }
            }
        }

        if (mtaSts is null)
        {
            return new TransportPolicy(domain, null, null, dane);
        }

        var (policy, error) = await mtaSts.GetAsync(domain, cancellationToken).ConfigureAwait(false);
        return new TransportPolicy(domain, policy, error, dane);
    }
}
