using System.Net;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Keypost.Interop.Tests.Reading;

/// <summary>
/// <c>keypost serve</c> in-process for jedi.test with an implicit-TLS IMAP listener on loopback, its certificate from
/// a throw-away CA whose PEM is on disk (for mutt and the CLI), and a way to fill Luke's folders by IMAP APPEND.
/// </summary>
public sealed class ReadingNode : IAsyncDisposable
{
    public const string Luke = "luke@jedi.test";

    public const string LukePassword = "use the force";

    private readonly TempDirectory _directory;
    private readonly LocalCertificateAuthority _ca;
    private readonly LoopbackDnsServer _dns;

    private ReadingNode(TempDirectory directory, LocalCertificateAuthority ca, LoopbackDnsServer dns, KeypostServer server, int imapsPort, int inboundPort)
    {
        InboundPort = inboundPort;
        _directory = directory;
        _ca = ca;
        _dns = dns;
        Server = server;
        ImapsPort = imapsPort;
    }

    public KeypostServer Server { get; }

    public int ImapsPort { get; }

    /// <summary>The inbound SMTP listener (port 25's role), plain or STARTTLS.</summary>
    public int InboundPort { get; }

    /// <summary>The test CA's certificate (PEM), to be trusted by clients.</summary>
    public string CaFile => _directory.Combine("ca.crt");

    public static async Task<ReadingNode> StartAsync()
    {
        var directory = new TempDirectory("keypost-reading");
        var ca = LocalCertificateAuthority.Create("Keypost reading interop CA");
        var dns = new LoopbackDnsServer();
        try
        {
            using (var tls = ca.Issue(["mail.jedi.test", "jedi.test", "localhost"], [IPAddress.Loopback]))
            {
                ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
            }

            ca.WriteCertificatePem(directory.Combine("ca.crt"));
            var imapsPort = FreePort.Get();
            var inboundPort = FreePort.Get();
            var config = new KeypostConfig
            {
                DataDirectory = directory.Combine("data"),
                Hostname = "mail.jedi.test",
                Domains = [new DomainConfig { Name = "jedi.test" }],
                Mail = new MailConfig
                {
                    Inbound = [$"127.0.0.1:{inboundPort}"],
                    ImapTls = [$"127.0.0.1:{imapsPort}"],
                    CertificateFile = directory.Combine("tls.crt"),
                    KeyFile = directory.Combine("tls.key"),
                    DnsServers = [dns.EndPoint.ToString()],
                },
            };
            var server = await KeypostServer.StartAsync(config, CancellationToken.None);
            await server.Store.SetPasswordHashAsync(EmailAddress.Parse(Luke), new PasswordHasher().Hash(LukePassword), CancellationToken.None);
            return new ReadingNode(directory, ca, dns, server, imapsPort, inboundPort);
        }
        catch
        {
            dns.Dispose();
            ca.Dispose();
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Luke's INBOX new/ directory, where delivery puts mail.</summary>
    public string LukeMaildirNew => _directory.Combine("data", "mail", "jedi.test", "luke", "Maildir", "new");

    /// <summary>Appends <paramref name="messages"/> to Luke's <paramref name="folder"/> (created when missing), in order.</summary>
    public async Task AppendAsync(string folder, IEnumerable<MimeMessage> messages)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", ImapsPort, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync(Luke, LukePassword);
        IMailFolder? target;
        if (string.Equals(folder, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            target = imap.Inbox;
        }
        else
        {
            try
            {
                target = await imap.GetFolderAsync(folder);
            }
            catch (FolderNotFoundException)
            {
                target = await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync(folder, isMessageFolder: true)
                    ?? throw new InvalidOperationException($"cannot create {folder}");
            }
        }

        foreach (var message in messages)
        {
            await target!.AppendAsync(new AppendRequest(message));
        }

        await imap.DisconnectAsync(quit: true);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dns.Dispose();
        _ca.Dispose();
        _directory.Dispose();
    }
}
