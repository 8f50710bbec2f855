using System.Net;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Imap;

/// <summary>
/// <c>keypost serve</c> in-process for jedi.test: an inbound SMTP listener and an implicit-TLS IMAP listener on loopback,
/// a certificate from a throwaway CA, DNS answered by a loopback server (no records, so SPF/DMARC lookups end fast).
/// </summary>
public sealed class ServedImapNode : IAsyncDisposable
{
    public const string Luke = "luke@jedi.test";

    public const string LukePassword = "use the force";

    private readonly TempDirectory _directory;
    private readonly LocalCertificateAuthority _ca;
    private readonly LoopbackDnsServer _dns;

    private ServedImapNode(TempDirectory directory, LocalCertificateAuthority ca, LoopbackDnsServer dns, KeypostServer server, int smtpPort, int imapsPort)
    {
        _directory = directory;
        _ca = ca;
        _dns = dns;
        Server = server;
        Smtp = new IPEndPoint(IPAddress.Loopback, smtpPort);
        ImapsPort = imapsPort;
    }

    public KeypostServer Server { get; }

    public IPEndPoint Smtp { get; }

    public int ImapsPort { get; }

    public static async Task<ServedImapNode> StartAsync()
    {
        var directory = new TempDirectory("keypost-serve-imap");
        var ca = LocalCertificateAuthority.Create("Keypost IMAP interop CA");
        var dns = new LoopbackDnsServer();
        try
        {
            using (var tls = ca.Issue(["mail.jedi.test", "jedi.test"], [IPAddress.Loopback]))
            {
                ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
            }

            var smtpPort = FreePort.Get();
            var imapsPort = FreePort.Get();
            var config = new KeypostConfig
            {
                DataDirectory = directory.Combine("data"),
                Hostname = "mail.jedi.test",
                Domains = [new DomainConfig { Name = "jedi.test" }],
                Mail = new MailConfig
                {
                    Inbound = [$"127.0.0.1:{smtpPort}"],
                    ImapTls = [$"127.0.0.1:{imapsPort}"],
                    CertificateFile = directory.Combine("tls.crt"),
                    KeyFile = directory.Combine("tls.key"),
                    DnsServers = [dns.EndPoint.ToString()],
                },
            };
            var server = await KeypostServer.StartAsync(config, CancellationToken.None);
            await server.Store.SetPasswordHashAsync(EmailAddress.Parse(Luke), new PasswordHasher().Hash(LukePassword), CancellationToken.None);
            return new ServedImapNode(directory, ca, dns, server, smtpPort, imapsPort);
        }
        catch
        {
            dns.Dispose();
            ca.Dispose();
            directory.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dns.Dispose();
        _ca.Dispose();
        _directory.Dispose();
    }
}
