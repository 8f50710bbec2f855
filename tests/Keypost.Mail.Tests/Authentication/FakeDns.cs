using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Authentication;

namespace Keypost.Mail.Tests.Authentication;

/// <summary>An in-memory zone: names are case-insensitive; names in <see cref="Failing"/> answer with a temporary error.</summary>
public sealed class FakeDns : IAuthenticationDns
{
    private readonly Dictionary<string, List<string>> txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> addresses = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<MxHost>> mx = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Failing { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Queries { get; } = [];

    public FakeDns Txt(string name, string value)
    {
        Add(txt, name, value);
        return this;
    }

    public FakeDns A(string name, params string[] ips)
    {
        foreach (var ip in ips)
        {
            Add(addresses, name, IPAddress.Parse(ip));
        }

        return this;
    }

    public FakeDns Mx(string name, int preference, string exchange)
    {
        Add(mx, name, new MxHost(preference, exchange));
        return this;
    }

    public Task<DnsLookupResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(txt, "TXT", name, _ => true));

    public Task<DnsLookupResult<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(addresses, family == AddressFamily.InterNetwork ? "A" : "AAAA", name, a => a.AddressFamily == family));

    public Task<DnsLookupResult<MxHost>> LookupMxAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(mx, "MX", name, _ => true));

    private DnsLookupResult<T> Answer<T>(Dictionary<string, List<T>> zone, string type, string name, Func<T, bool> filter)
    {
        Queries.Add($"{type} {name}");
        if (Failing.Contains(name))
        {
            return DnsLookupResult<T>.TemporaryError();
        }

        return zone.TryGetValue(name, out var values) ? DnsLookupResult<T>.Found(values.Where(filter).ToList()) : DnsLookupResult<T>.NotFound();
    }

    private static void Add<T>(Dictionary<string, List<T>> zone, string name, T value)
    {
        if (!zone.TryGetValue(name, out var list))
        {
            zone[name] = list = [];
        }

        list.Add(value);
    }
}
