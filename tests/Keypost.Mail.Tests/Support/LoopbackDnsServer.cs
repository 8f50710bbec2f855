using System.Collections.Concurrent;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Support;

/// <summary>An authoritative-looking DNS server on 127.0.0.1 (UDP and TCP) answering from a zone the test sets up.</summary>
public sealed class LoopbackDnsServer : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<DnsRecordBase>> records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> serverFailures = new(StringComparer.OrdinalIgnoreCase);
    private readonly DnsServer server;

    public LoopbackDnsServer()
    {
        var port = FreePort.Get();
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        server = new DnsServer(new UdpServerTransport(EndPoint, 2000), new TcpServerTransport(EndPoint, 2000, 2000));
        server.QueryReceived += OnQueryReceivedAsync;
        server.Start();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>How many questions arrived (to prove a path asked no DNS at all).</summary>
    public int QueryCount => queryCount;

    private int queryCount;

    public LoopbackDnsServer Mx(string domain, int preference, string host) =>
        Add(domain, new MxRecord(DomainName.Parse(domain), 60, (ushort)preference, DomainName.Parse(host)));

    public LoopbackDnsServer NullMx(string domain) =>
        Add(domain, new MxRecord(DomainName.Parse(domain), 60, 0, DomainName.Root));

    public LoopbackDnsServer A(string host, string address) =>
        Add(host, new ARecord(DomainName.Parse(host), 60, IPAddress.Parse(address)));

    public LoopbackDnsServer Aaaa(string host, string address) =>
        Add(host, new AaaaRecord(DomainName.Parse(host), 60, IPAddress.Parse(address)));

    public LoopbackDnsServer Txt(string name, params string[] strings) =>
        Add(name, new TxtRecord(DomainName.Parse(name), 60, strings));

    /// <summary>The name exists but has no records (NOERROR, no data for any type).</summary>
    public LoopbackDnsServer Exists(string name)
    {
        records.GetOrAdd(name, _ => []);
        return this;
    }

    public LoopbackDnsServer ServFail(string name)
    {
        serverFailures[name] = 0;
        return this;
    }

    public void Dispose() => server.Stop();

    private LoopbackDnsServer Add(string name, DnsRecordBase record)
    {
        records.GetOrAdd(name, _ => []).Add(record);
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
        var name = question.Name.ToString().TrimEnd('.');
        if (serverFailures.ContainsKey(name))
        {
            response.ReturnCode = ReturnCode.ServerFailure;
        }
        else if (records.TryGetValue(name, out var bag))
        {
            response.ReturnCode = ReturnCode.NoError;
            response.IsAuthoritiveAnswer = true;
            foreach (var record in bag.Where(r => r.RecordType == question.RecordType))
            {
                response.AnswerRecords.Add(record);
            }
        }
        else
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }

        e.Response = response;
        return Task.CompletedTask;
    }
}
