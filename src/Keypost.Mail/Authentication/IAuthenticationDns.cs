using System.Net;
using System.Net.Sockets;

namespace Keypost.Mail.Authentication;

/// <summary>The DNS queries SPF needs on top of TXT (RFC 7208 §5): A/AAAA and MX.</summary>
public interface IAuthenticationDns : ITxtLookup
{
    /// <summary>A records for <see cref="AddressFamily.InterNetwork"/>, AAAA records for <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    Task<DnsLookupResult<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken cancellationToken);

    Task<DnsLookupResult<MxHost>> LookupMxAsync(string name, CancellationToken cancellationToken);
}
