using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Keypost.LocalServe;

/// <summary>
/// For trying Keypost on one machine (the demo, tests): an authoritative-looking DNS server on 127.0.0.1 (UDP and TCP) answering from a zone the test sets up. Records
/// may be added while it runs, from any thread. Unknown names answer NXDOMAIN; a name with records of other types
/// only, or with records below it (an empty non-terminal, RFC 8020 §2), answers NOERROR with no data.
/// </summary>
public sealed class LoopbackDnsServer : IDisposable
{
    /// <summary>RFC 1035 §3.3.14: one character-string holds at most 255 octets; longer TXT data is split.</summary>
    private const int MaxCharacterString = 255;

    private const int Ttl = 60;

    private readonly ConcurrentDictionary<string, ImmutableList<DnsRecordBase>> records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ReturnCode> forcedCodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly DnsServer server;
    private int queryCount;

    public LoopbackDnsServer()
    {
        EndPoint = new IPEndPoint(IPAddress.Loopback, FreeLoopbackPort());
        server = new DnsServer(new UdpServerTransport(EndPoint, 2000), new TcpServerTransport(EndPoint, 2000, 2000));
        server.QueryReceived += OnQueryReceivedAsync;
        server.Start();
    }

    /// <summary>Where to point a resolver (e.g. <c>MailDnsResolverOptions.NameServers</c>).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>How many questions arrived (to prove a path asked no DNS at all).</summary>
    public int QueryCount => Volatile.Read(ref queryCount);

    public LoopbackDnsServer Mx(string domain, int preference, string host) =>
        Add(domain, new MxRecord(DomainName.Parse(domain), Ttl, (ushort)preference, DomainName.Parse(host)));

    /// <summary>RFC 7505 §3: "MX 0 ." — the domain accepts no mail.</summary>
    public LoopbackDnsServer NullMx(string domain) =>
        Add(domain, new MxRecord(DomainName.Parse(domain), Ttl, 0, DomainName.Root));

    public LoopbackDnsServer A(string host, string address) =>
        Add(host, new ARecord(DomainName.Parse(host), Ttl, IPAddress.Parse(address)));

    public LoopbackDnsServer Aaaa(string host, string address) =>
        Add(host, new AaaaRecord(DomainName.Parse(host), Ttl, IPAddress.Parse(address)));

    /// <summary>
    /// One TXT record made of <paramref name="strings"/>; each string longer than 255 characters is cut into several
    /// character-strings, which resolvers join back (RFC 7208 §3.3, RFC 6376 §3.6.2.2). So a whole SPF, DMARC or
    /// DKIM key record can be passed as one string.
    /// </summary>
    public LoopbackDnsServer Txt(string name, params string[] strings) =>
        Add(name, new TxtRecord(DomainName.Parse(name), Ttl, strings.SelectMany(Chunks).ToList()));

    /// <summary>Any other record (TLSA, CNAME ...), answered for its own type at its own name.</summary>
    public LoopbackDnsServer Record(DnsRecordBase record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Add(record.Name.ToString(), record);
    }

    /// <summary>The name exists but has no records (NOERROR, no data for any type).</summary>
    public LoopbackDnsServer Exists(string name)
    {
        records.GetOrAdd(Normalize(name), _ => []);
        return this;
    }

    /// <summary>Every question about <paramref name="name"/> answers SERVFAIL, whatever records it has.</summary>
    public LoopbackDnsServer ServFail(string name)
    {
        forcedCodes[Normalize(name)] = ReturnCode.ServerFailure;
        return this;
    }

    /// <summary>Every question about <paramref name="name"/> answers NXDOMAIN, even when names exist below it.</summary>
    public LoopbackDnsServer NxDomain(string name)
    {
        forcedCodes[Normalize(name)] = ReturnCode.NxDomain;
        return this;
    }

    public void Dispose()
    {
        try
        {
            server.Stop();
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(inner => inner is OperationCanceledException))
        {
            // ARSoft's Stop cancels its own listener tasks and reports that as a failure; the server is stopped.
        }
    }

    private LoopbackDnsServer Add(string name, DnsRecordBase record)
    {
        records.AddOrUpdate(Normalize(name), _ => [record], (_, list) => list.Add(record));
        return this;
    }

    private Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref queryCount);
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return Task.CompletedTask;
        }

        var response = query.CreateResponseInstance();
        var question = query.Questions[0];
        var name = Normalize(question.Name.ToString());
        response.IsAuthoritiveAnswer = true;
        if (forcedCodes.TryGetValue(name, out var code))
        {
            response.ReturnCode = code;
        }
        else if (records.TryGetValue(name, out var list))
        {
            response.ReturnCode = ReturnCode.NoError;
            foreach (var record in list.Where(r => r.RecordType == question.RecordType))
            {
                response.AnswerRecords.Add(record);
            }
        }
        else
        {
            var suffix = "." + name;
            response.ReturnCode = records.Keys.Any(k => k.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                ? ReturnCode.NoError
                : ReturnCode.NxDomain;
        }

        e.Response = response;
        return Task.CompletedTask;
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();

    private static IEnumerable<string> Chunks(string text)
    {
        if (text.Length == 0)
        {
            yield return text;
        }

        for (var i = 0; i < text.Length; i += MaxCharacterString)
        {
            yield return text.Substring(i, Math.Min(MaxCharacterString, text.Length - i));
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
