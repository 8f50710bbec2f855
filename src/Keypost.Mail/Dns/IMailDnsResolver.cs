using System.Net;

namespace Keypost.Mail.Dns;

/// <summary>The DNS questions mail asks: MX for routing, A/AAAA for connecting, TXT for SPF, DMARC, DKIM and MTA-STS.</summary>
public interface IMailDnsResolver
{
    /// <summary>MX records sorted by preference (RFC 5321 §5.1); a null MX (RFC 7505) is returned as a record with <see cref="MxHost.IsNullMx"/>.</summary>
    Task<DnsResult<MxHost>> GetMxAsync(string domain, CancellationToken cancellationToken);

    /// <summary>IPv4 then IPv6 addresses of a host. Ok when either family has records.</summary>
    Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken);

    /// <summary>Each TXT record's character-strings joined without separators (RFC 7208 §3.3, RFC 6376 §3.6.2.2).</summary>
    Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken);
}
