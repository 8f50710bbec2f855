using System.Net;
using System.Net.Sockets;
using Keypost.LocalServe;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// jedi.test on 127.0.0.10 and rebel.test on 127.0.0.11, both in this process, both receiving on the same port
/// (which is also their delivery port), sharing one loopback DNS server that publishes MX, A, SPF, DKIM and a
/// DMARC reject policy for each. rebel.test also listens for submission (STARTTLS, then AUTH).
/// </summary>
public sealed class TwoDomains : IAsyncDisposable
{
    public const string LeiaPassword = "help-me-obi-wan";
    public const string LukePassword = "use-the-force";

    public const string JediIp = "127.0.0.10";
    public const string RebelIp = "127.0.0.11";

    private readonly TempDirectory _directory;
    private readonly LocalCertificateAuthority _ca;

    private TwoDomains(TempDirectory directory, LocalCertificateAuthority ca, LoopbackDnsServer dns, MailNode jedi, MailNode rebel, int port, int submissionPort)
    {
        _directory = directory;
        _ca = ca;
        Dns = dns;
        Jedi = jedi;
        Rebel = rebel;
        InboundPort = port;
        RebelSubmissionPort = submissionPort;
    }

    public LoopbackDnsServer Dns { get; }

    public MailNode Jedi { get; }

    public MailNode Rebel { get; }

    public int InboundPort { get; }

    public int RebelSubmissionPort { get; }

    public string Directory => _directory.Path;

    public static async Task<TwoDomains> StartAsync()
    {
        var directory = new TempDirectory("keypost-transport");
        var ca = LocalCertificateAuthority.Create("Keypost transport CA");
        var dns = new LoopbackDnsServer();
        var port = PortFreeOnBoth(IPAddress.Parse(JediIp), IPAddress.Parse(RebelIp));
        var submissionPort = FreePort.Get(IPAddress.Parse(RebelIp));

        foreach (var (domain, address) in (ReadOnlySpan<(string, string)>)[("jedi.test", JediIp), ("rebel.test", RebelIp)])
        {
            dns.Mx(domain, 10, "mx." + domain)
                .A("mx." + domain, address)
                .Txt(domain, "v=spf1 ip4:127.0.0.0/8 -all")
                .Txt("_dmarc." + domain, "v=DMARC1; p=reject");
        }

        var jediConfig = NodeConfig.Create(directory.Combine("jedi"), "jedi.test", ca, dns.EndPoint);
        jediConfig.Mail.Inbound = [$"{JediIp}:{port}"];
        jediConfig.Mail.DeliveryPort = port;
        var rebelConfig = NodeConfig.Create(directory.Combine("rebel"), "rebel.test", ca, dns.EndPoint);
        rebelConfig.Mail.Inbound = [$"{RebelIp}:{port}"];
        rebelConfig.Mail.Submission = [$"{RebelIp}:{submissionPort}"];
        rebelConfig.Mail.DeliveryPort = port;
        rebelConfig.Mail.RetryIntervalSeconds = [1];
        await NodeConfig.PublishDkimAsync(jediConfig, "jedi.test", dns);
        await NodeConfig.PublishDkimAsync(rebelConfig, "rebel.test", dns);

        var jedi = await MailNode.StartAsync(jediConfig);
        var rebel = await MailNode.StartAsync(rebelConfig);
        await jedi.AddAccountAsync("luke@jedi.test", LukePassword);
        await rebel.AddAccountAsync("leia@rebel.test", LeiaPassword);
        return new TwoDomains(directory, ca, dns, jedi, rebel, port, submissionPort);
    }

    public async ValueTask DisposeAsync()
    {
        await Rebel.DisposeAsync();
        await Jedi.DisposeAsync();
        Dns.Dispose();
        _ca.Dispose();
        _directory.Dispose();
    }

    // The same port number, free on both addresses: each domain's MX is reached on the one delivery port.
    private static int PortFreeOnBoth(IPAddress first, IPAddress second)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = FreePort.Get(first);
            try
            {
                using var probe = new Socket(second.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(second, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken on the second address; try another.
            }
        }

        throw new InvalidOperationException($"no port free on both {first} and {second}");
    }
}
