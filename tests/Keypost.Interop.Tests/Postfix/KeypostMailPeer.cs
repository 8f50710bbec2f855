using System.Net;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Postfix;

/// <summary>
/// An in-process Keypost for jedi.test (host name mail.jedi.test) with inbound and submission listeners on loopback,
/// resolving through a test DNS server, and delivering outbound mail to <c>deliveryPort</c> of whatever the MX
/// records name. luke@jedi.test has a mailbox.
/// </summary>
public sealed class KeypostMailPeer : IAsyncDisposable
{
    public const string HostName = "mail.jedi.test";

    public const string Password = "use the force, luke";

    private readonly TempDirectory _directory;

    private KeypostMailPeer(TempDirectory directory, KeypostServer server, LocalCertificateAuthority ca, int inboundPort, int submissionPort)
    {
        _directory = directory;
        Server = server;
        CertificateAuthority = ca;
        Inbound = new IPEndPoint(IPAddress.Loopback, inboundPort);
        Submission = new IPEndPoint(IPAddress.Loopback, submissionPort);
    }

    public KeypostServer Server { get; }

    /// <summary>The CA that issued Keypost's certificate; it can issue the peer's too.</summary>
    public LocalCertificateAuthority CertificateAuthority { get; }

    public IPEndPoint Inbound { get; }

    public IPEndPoint Submission { get; }

    public static EmailAddress Luke { get; } = EmailAddress.Parse("luke@jedi.test");

    public static async Task<KeypostMailPeer> StartAsync(LoopbackDnsServer dns, int inboundPort, int deliveryPort)
    {
        var directory = new TempDirectory("keypost-peer");
        var ca = LocalCertificateAuthority.Create("Keypost Postfix interop CA");
        try
        {
            using (var tls = ca.Issue([HostName, "jedi.test"]))
            {
                ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
            }

            var submissionPort = FreePort.Get();
            var config = new KeypostConfig
            {
                DataDirectory = directory.Combine("data"),
                Hostname = HostName,
                Domains = [new DomainConfig { Name = "jedi.test" }],
                Mail = new MailConfig
                {
                    Inbound = [$"127.0.0.1:{inboundPort}"],
                    Submission = [$"127.0.0.1:{submissionPort}"],
                    CertificateFile = directory.Combine("tls.crt"),
                    KeyFile = directory.Combine("tls.key"),
                    DnsServers = [dns.EndPoint.ToString()],
                    DeliveryPort = deliveryPort,
                    RetryIntervalSeconds = [1],
                },
            };
            var server = await KeypostServer.StartAsync(config, CancellationToken.None);
            await server.Store.SetPasswordHashAsync(Luke, new PasswordHasher().Hash(Password), CancellationToken.None);
            return new KeypostMailPeer(directory, server, ca, inboundPort, submissionPort);
        }
        catch
        {
            ca.Dispose();
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Where Keypost keeps its DKIM keys (created on the first signature for a domain).</summary>
    public string DkimDirectory => _directory.Combine("data", "dkim");

    public string MaildirNew(EmailAddress account) => _directory.Combine("data", "mail", account.Domain, account.LocalPart, "Maildir", "new");

    /// <summary>Every queued recipient's state and last error (for assertion messages).</summary>
    public async Task<string> DescribeQueueAsync()
    {
        var messages = await Server.Mail!.Queue.ListAsync(CancellationToken.None);
        return messages.Count == 0
            ? "(keypost queue empty)"
            : string.Join('\n', messages.SelectMany(m => m.Recipients.Select(r => $"{m.Id} {r.Address} {r.State} attempts={r.Attempts} {r.LastError}")));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        CertificateAuthority.Dispose();
        _directory.Dispose();
    }
}
