using System.Net;
using System.Net.Sockets;

namespace Keypost.Mail.Dns;

/// <summary>
/// The DNS questions mail asks: MX for routing and SPF, A/AAAA for connecting and SPF, TXT for SPF, DMARC, DKIM
/// and MTA-STS. Errors are statuses, never exceptions: SPF tells NXDOMAIN from NoData (RFC 7208 §4.6.4) and every
/// protocol maps <see cref="DnsStatus.TemporaryFailure"/> to its temperror.
/// </summary>
public interface IMailDnsResolver
{
    /// <summary>MX records sorted by preference (RFC 5321 §5.1); a null MX (RFC 7505) is returned as a record with <see cref="MxHost.IsNullMx"/>.</summary>
    Task<DnsResult<MxHost>> GetMxAsync(string domain, CancellationToken cancellationToken);

    /// <summary>IPv4 then IPv6 addresses of a host. Ok when either family has records.</summary>
    Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken);

    /// <summary>
    /// One family only: A records for <see cref="AddressFamily.InterNetwork"/>, AAAA for
    /// <see cref="AddressFamily.InterNetworkV6"/> (RFC 7208 §5.3: <c>a</c> asks for the client IP's family).
    /// </summary>
    Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken);

    /// <summary>Each TXT record's character-strings joined without separators (RFC 7208 §3.3, RFC 6376 §3.6.2.2).</summary>
    Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// TLSA records at <paramref name="name"/> (e.g. <c>_25._tcp.mx.example</c>, RFC 6698 §3). A resolver that cannot
    /// tell secure answers from insecure ones answers NoData unauthenticated: DANE then never applies.
    /// </summary>
    Task<DnsResult<Keypost.Mail.Dane.TlsaAssociation>> GetTlsaAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<Keypost.Mail.Dane.TlsaAssociation>(DnsStatus.NoData, []));
}
