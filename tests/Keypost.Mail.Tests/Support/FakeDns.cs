using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Dns;

namespace Keypost.Mail.Tests.Support;

/// <summary>
/// An in-memory zone behind <see cref="IMailDnsResolver"/>. Names are case-insensitive. A name with records of some
/// other type answers NoData, an unknown name NXDOMAIN (the two void-lookup kinds of RFC 7208 §4.6.4), and names
/// in <see cref="Failing"/> answer with a temporary failure. Every question is logged in <see cref="Queries"/>.
/// </summary>
public sealed class FakeDns : IMailDnsResolver
{
    private readonly Dictionary<string, List<string>> txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> addresses = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<MxHost>> mx = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Failing { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>"TYPE name" for each question, in order.</summary>
    public List<string> Queries { get; } = [];

    public FakeDns Txt(string name, string value)
    {
        Add(txt, name, value);
        return this;
    }

    /// <summary>A or AAAA records, by the family of each address.</summary>
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
        Add(mx, name, new MxHost(preference, exchange.TrimEnd('.').ToLowerInvariant()));
        return this;
    }

    public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(txt, "TXT", name, _ => true));

    public Task<DnsResult<MxHost>> GetMxAsync(string domain, CancellationToken cancellationToken)
    {
        var answer = Answer(mx, "MX", domain, _ => true);
        return Task.FromResult(answer with { Records = answer.Records.OrderBy(m => m.Preference).ToList() });
    }

    public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(addresses, family == AddressFamily.InterNetwork ? "A" : "AAAA", host, a => a.AddressFamily == family));

    public async Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var v4 = await GetAddressesAsync(host, AddressFamily.InterNetwork, cancellationToken);
        var v6 = await GetAddressesAsync(host, AddressFamily.InterNetworkV6, cancellationToken);
        var all = v4.Records.Concat(v6.Records).ToList();
        return all.Count > 0 ? new DnsResult<IPAddress>(DnsStatus.Ok, all) : v4;
    }

    private DnsResult<T> Answer<T>(Dictionary<string, List<T>> zone, string type, string name, Func<T, bool> filter)
    {
        Queries.Add($"{type} {name}");
        if (Failing.Contains(name))
        {
            return DnsResult<T>.Failed(DnsStatus.TemporaryFailure, $"{type} {name}: SERVFAIL");
        }

        var records = zone.TryGetValue(name, out var values) ? values.Where(filter).ToList() : [];
        if (records.Count > 0)
        {
            return new DnsResult<T>(DnsStatus.Ok, records);
        }

        return Exists(name) ? new DnsResult<T>(DnsStatus.NoData, []) : DnsResult<T>.Failed(DnsStatus.NxDomain, $"{name}: NXDOMAIN");
    }

    private bool Exists(string name) => txt.ContainsKey(name) || addresses.ContainsKey(name) || mx.ContainsKey(name);

    private static void Add<T>(Dictionary<string, List<T>> zone, string name, T value)
    {
        if (!zone.TryGetValue(name, out var list))
        {
            zone[name] = list = [];
        }

        list.Add(value);
    }
}
