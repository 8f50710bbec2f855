using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Dns;

namespace Keypost.Fuzz.Support;

/// <summary>
/// DNS answered from memory: every TXT question is answered by <see cref="Txt"/> (a harness may put its input
/// there), every address question with loopback, MX with the domain itself. No packet leaves the process.
/// </summary>
internal sealed class FixedDns : IMailDnsResolver
{
    public Func<string, IReadOnlyList<string>> Txt { get; set; } = _ => [];

    public Task<DnsResult<MxHost>> GetMxAsync(string domain, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<MxHost>(DnsStatus.Ok, [new MxHost(10, domain)]));

    public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<IPAddress>(DnsStatus.Ok, [IPAddress.Loopback, IPAddress.IPv6Loopback]));

    public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<IPAddress>(DnsStatus.Ok, [family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback]));

    public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken)
    {
        var records = Txt(name);
        return Task.FromResult(records.Count == 0
            ? new DnsResult<string>(DnsStatus.NxDomain, [])
            : new DnsResult<string>(DnsStatus.Ok, records));
    }
}
