using System.Net;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;
using Keypost.Testing.Postgres;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Server.Tests.Postgres;

/// <summary>
/// Issue #15: two `keypost serve` nodes (in-process hosts, each with its own data directory and listeners) on one
/// PostgreSQL database. Mail submitted to node A is delivered by whichever node claims it, and Luke, in IDLE on node
/// B, sees it at once and reads it there. The directory is not on PostgreSQL yet, so each node is told the accounts.
/// </summary>
public sealed class TwoNodeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Password = "use the force";
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Leia = EmailAddress.Parse("leia@jedi.test");

    [PostgresFact]
    public async Task Mail_submitted_to_node_A_is_delivered_once_and_wakes_Luke_in_IDLE_on_node_B_who_reads_it_there()
    {
        using var directory = new TempDirectory("keypost-two-nodes");
        using var ca = LocalCertificateAuthority.Create("Keypost two-node CA");
        using var dns = new LoopbackDnsServer();
        using (var tls = ca.Issue(["mail.jedi.test", "localhost"], [IPAddress.Loopback]))
        {
            ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
        }

        await using var nodeA = await StartNodeAsync(directory, "a", dns);
        await using var nodeB = await StartNodeAsync(directory, "b", dns);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false };
        await imap.ConnectAsync("127.0.0.1", nodeB.Imaps, SecureSocketOptions.SslOnConnect, guard.Token);
        await imap.AuthenticateAsync(Luke.ToString(), Password, guard.Token);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, guard.Token);
        Assert.Equal(0, imap.Inbox.Count);
        using var arrived = CancellationTokenSource.CreateLinkedTokenSource(guard.Token);
        imap.Inbox.CountChanged += (_, _) => arrived.Cancel();
        var idle = imap.IdleAsync(arrived.Token, guard.Token);

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Leia", Leia.ToString()));
        message.To.Add(new MailboxAddress("Luke", Luke.ToString()));
        message.Subject = "The plans are in R2";
        message.Body = new TextPart("plain") { Text = "Help me, Obi-Wan.\r\n" };
        using (var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false })
        {
            await smtp.ConnectAsync("127.0.0.1", nodeA.Submission, SecureSocketOptions.StartTls, guard.Token);
            await smtp.AuthenticateAsync(Leia.ToString(), Password, guard.Token);
            await smtp.SendAsync(message, guard.Token);
            await smtp.DisconnectAsync(quit: true, guard.Token);
        }

        // IDLE ends when node B's session reports EXISTS: woken by node A's (or B's) commit through LISTEN/NOTIFY.
        await idle;
        Assert.False(guard.IsCancellationRequested, "no EXISTS reached the IDLE session on node B");
        Assert.Equal(1, imap.Inbox.Count);
        var read = await imap.Inbox.GetMessageAsync(0, guard.Token);
        Assert.Equal("The plans are in R2", read.Subject);
        Assert.Contains("Help me, Obi-Wan.", read.TextBody, StringComparison.Ordinal);
        await imap.DisconnectAsync(quit: true, guard.Token);

        // Delivered exactly once: nothing left in the queue either node sees, and one copy in the mailbox.
        Assert.Empty(await nodeA.Server.Mail!.Queue.ListAsync(guard.Token));
        var inbox = await nodeA.Server.Mail.MailStore.OpenAccount(Luke).Get("INBOX").SnapshotAsync(guard.Token);
        Assert.Single(inbox.Messages);
    }

    private async Task<Node> StartNodeAsync(TempDirectory directory, string name, LoopbackDnsServer dns)
    {
        int submission = FreePort.Get(), imaps = FreePort.Get();
        var config = new KeypostConfig
        {
            DataDirectory = directory.Combine(name, "data"),
            Hostname = $"{name}.mail.jedi.test",
            Domains = [new DomainConfig { Name = "jedi.test" }],
            Mail = new MailConfig
            {
                Submission = [$"127.0.0.1:{submission}"],
                ImapTls = [$"127.0.0.1:{imaps}"],
                CertificateFile = directory.Combine("tls.crt"),
                KeyFile = directory.Combine("tls.key"),
                DnsServers = [dns.EndPoint.ToString()],
                RetryIntervalSeconds = [1],
            },
            Storage = new StorageConfig { Kind = StorageConfig.Postgres, ConnectionString = database.ConnectionString },
        };
        var server = await KeypostServer.StartAsync(config, CancellationToken.None);
        // The directory (accounts, keys) is still one SQLite file per node: each node is told the same accounts.
        foreach (var account in new[] { Luke, Leia })
        {
            await server.Store.SetPasswordHashAsync(account, new PasswordHasher().Hash(Password), CancellationToken.None);
        }

        return new Node(server, submission, imaps);
    }

    private sealed record Node(KeypostServer Server, int Submission, int Imaps) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
