using System.Net;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Server.Tests.AtRest;

/// <summary>
/// <c>keypost serve</c> in-process for jedi.test with inbound SMTP, submission and IMAPS on loopback; Luke, Han
/// and Leia have mailboxes. Messages go in over real SMTP and are read back from the Maildir files.
/// </summary>
public sealed class AtRestNode : IAsyncDisposable
{
    public const string Password = "use the force";

    private readonly TempDirectory _directory;
    private readonly LocalCertificateAuthority _ca;
    private readonly LoopbackDnsServer _dns;

    private AtRestNode(TempDirectory directory, LocalCertificateAuthority ca, LoopbackDnsServer dns, KeypostServer server, int inbound, int submission, int imaps)
    {
        _directory = directory;
        _ca = ca;
        _dns = dns;
        Server = server;
        InboundPort = inbound;
        SubmissionPort = submission;
        ImapsPort = imaps;
    }

    public KeypostServer Server { get; }

    public int InboundPort { get; }

    public int SubmissionPort { get; }

    public int ImapsPort { get; }

    public string DataDirectory => _directory.Combine("data");

    public static EmailAddress Luke { get; } = EmailAddress.Parse("luke@jedi.test");

    public static EmailAddress Han { get; } = EmailAddress.Parse("han@jedi.test");

    public static EmailAddress Leia { get; } = EmailAddress.Parse("leia@jedi.test");

    public static async Task<AtRestNode> StartAsync(Action<DomainConfig>? configure = null)
    {
        var directory = new TempDirectory("keypost-atrest");
        var ca = LocalCertificateAuthority.Create("Keypost at-rest CA");
        var dns = new LoopbackDnsServer();
        try
        {
            using (var tls = ca.Issue(["mail.jedi.test", "localhost"], [IPAddress.Loopback]))
            {
                ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
            }

            int inbound = FreePort.Get(), submission = FreePort.Get(), imaps = FreePort.Get();
            var domain = new DomainConfig { Name = "jedi.test" };
            configure?.Invoke(domain);
            var config = new KeypostConfig
            {
                DataDirectory = directory.Combine("data"),
                Hostname = "mail.jedi.test",
                Domains = [domain],
                Mail = new MailConfig
                {
                    Inbound = [$"127.0.0.1:{inbound}"],
                    Submission = [$"127.0.0.1:{submission}"],
                    ImapTls = [$"127.0.0.1:{imaps}"],
                    CertificateFile = directory.Combine("tls.crt"),
                    KeyFile = directory.Combine("tls.key"),
                    DnsServers = [dns.EndPoint.ToString()],
                    RetryIntervalSeconds = [1],
                },
            };
            var server = await KeypostServer.StartAsync(config, CancellationToken.None);
            foreach (var account in new[] { Luke, Han, Leia })
            {
                await server.Store.SetPasswordHashAsync(account, new PasswordHasher().Hash(Password), CancellationToken.None);
            }

            return new AtRestNode(directory, ca, dns, server, inbound, submission, imaps);
        }
        catch
        {
            dns.Dispose();
            ca.Dispose();
            directory.Dispose();
            throw;
        }
    }

    public Task PublishAsync(EmailAddress address, SecretKey key) =>
        Server.Store.PublishAsync(address, key.Fingerprint, key.Certificate.ToBinary(), revoked: false, CancellationToken.None);

    /// <summary>
    /// Sends <paramref name="data"/> byte for byte to the inbound listener (port 25's role) in a plain SMTP session
    /// (RFC 5321: EHLO, MAIL, RCPT, DATA with dot-stuffing); returns the reply to the end of data.
    /// </summary>
    public async Task<string> SendInboundAsync(string from, IEnumerable<EmailAddress> to, byte[] data)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, InboundPort);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        async Task<string> ReplyAsync()
        {
            string? line;
            var all = "";
            do
            {
                line = await reader.ReadLineAsync() ?? throw new IOException("connection closed");
                all += line + "\n";
            }
            while (line.Length > 3 && line[3] == '-');
            return all;
        }

        async Task<string> CommandAsync(string command)
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(command + "\r\n"));
            return await ReplyAsync();
        }

        await ReplyAsync();
        await CommandAsync("EHLO client.test");
        await CommandAsync($"MAIL FROM:<{from}>");
        foreach (var recipient in to)
        {
            var reply = await CommandAsync($"RCPT TO:<{recipient}>");
            Assert.StartsWith("250", reply, StringComparison.Ordinal);
        }

        Assert.StartsWith("354", await CommandAsync("DATA"), StringComparison.Ordinal);
        // RFC 5321 §4.5.2: a line starting with "." gets one more.
        var text = System.Text.Encoding.Latin1.GetString(data);
        var stuffed = (text.StartsWith('.') ? "." : "") + text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        await stream.WriteAsync(System.Text.Encoding.Latin1.GetBytes(stuffed + (stuffed.EndsWith("\r\n", StringComparison.Ordinal) ? "" : "\r\n") + ".\r\n"));
        var end = await ReplyAsync();
        await CommandAsync("QUIT");
        return end;
    }

    public async Task SubmitAsync(EmailAddress account, MimeMessage message)
    {
        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false };
        await client.ConnectAsync("127.0.0.1", SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(account.ToString(), Password);
        await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
    }

    public string MaildirOf(EmailAddress account) => _directory.Combine("data", "mail", account.Domain, account.LocalPart, "Maildir");

    /// <summary>Waits (generously: the machine is shared) for <paramref name="count"/> messages in the account's new/ and returns them.</summary>
    public async Task<IReadOnlyList<byte[]>> WaitForNewAsync(EmailAddress account, int count = 1, string? mailbox = null)
    {
        var folder = Path.Combine(MaildirOf(account), mailbox is null ? "" : "." + mailbox, "new");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (System.IO.Directory.Exists(folder) && System.IO.Directory.GetFiles(folder) is { } files && files.Length >= count)
            {
                return files.OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
            }

            await Task.Delay(100);
        }

        var queue = await Server.Mail!.Queue.ListAsync(CancellationToken.None);
        var present = System.IO.Directory.Exists(MaildirOf(account)) ? string.Join(", ", System.IO.Directory.GetFiles(MaildirOf(account), "*", SearchOption.AllDirectories)) : "(no Maildir)";
        throw new TimeoutException($"{account}: fewer than {count} messages delivered; files: {present}; queue: " + string.Join("; ", queue.SelectMany(m => m.Recipients.Select(r => $"{m.Id} {r.Address} {r.State} {r.LastError}"))));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dns.Dispose();
        _ca.Dispose();
        _directory.Dispose();
    }
}
