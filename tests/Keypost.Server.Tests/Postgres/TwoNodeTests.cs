using System.Net;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Policy;
using Keypost.Directory.Accounts;
using Keypost.Directory.Publishing;
using Keypost.LocalServe;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;
using Keypost.Testing.Net;
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
/// B, sees it at once and reads it there; a key published on node A is served by WKD and proved by node B, and both
/// serve one log history. The accounts are set once, through node A: the directory is in the shared database.
/// </summary>
public sealed class TwoNodeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Password = "use the force";
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Leia = EmailAddress.Parse("leia@jedi.test");

    // The key test's own address: a key published for Luke would have his mail in the other test stored encrypted.
    private static readonly EmailAddress Han = EmailAddress.Parse("han@jedi.test");

    [PostgresFact]
    public async Task Mail_submitted_to_node_A_is_delivered_once_and_wakes_Luke_in_IDLE_on_node_B_who_reads_it_there()
    {
        using var directory = new TempDirectory("keypost-two-nodes");
        using var ca = LocalCertificateAuthority.Create("Keypost two-node CA");
        using var dns = new LoopbackDnsServer();
        WriteTls(ca, directory);
        await using var nodeA = await StartNodeAsync(directory, "a", dns);
        await using var nodeB = await StartNodeAsync(directory, "b", dns);
        await SetAccountsAsync(nodeA);
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

        // Signed with the domain's one DKIM key, kept in the database (no node wrote a key file): the signature
        // verifies against the record the database's key gives, published once in DNS.
        await using (var pool = Npgsql.NpgsqlDataSource.Create(database.ConnectionString))
        {
            var keys = await (await DkimKeyStore.OpenPostgresAsync(pool, null, guard.Token)).GetOrCreateAsync("jedi.test", guard.Token);
            dns.Txt(keys.Ed25519.DnsName, keys.Ed25519.TxtRecord).Txt(keys.Rsa.DnsName, keys.Rsa.TxtRecord);
        }

        var verifier = new DkimMessageVerifier(new MailDnsResolver(new MailDnsResolverOptions { NameServers = [dns.EndPoint], UseCache = false }));
        var signatures = await verifier.VerifyAsync(read, guard.Token);
        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, r => Assert.Equal(DkimResult.Pass, r.Result));
        Assert.False(System.IO.Directory.Exists(directory.Combine("a", "data", "dkim")));
        Assert.False(System.IO.Directory.Exists(directory.Combine("b", "data", "dkim")));
    }

    [PostgresFact]
    public async Task A_key_published_on_node_A_is_served_by_WKD_and_proved_by_node_B_and_both_serve_one_history()
    {
        using var directory = new TempDirectory("keypost-two-nodes-kt");
        using var ca = LocalCertificateAuthority.Create("Keypost two-node CA");
        using var dns = new LoopbackDnsServer();
        WriteTls(ca, directory);
        await using var nodeA = await StartNodeAsync(directory, "a", dns);
        await using var nodeB = await StartNodeAsync(directory, "b", dns);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var httpA = PinnedHttps.Create(nodeA.Server.HttpsEndpoints[0], ca.Certificate);
        using var httpB = PinnedHttps.Create(nodeB.Server.HttpsEndpoints[0], ca.Certificate);

        var key = new KeyGenerator().Generate(new KeyGenerationRequest(Han));
        await new KeyPublisher(nodeA.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(key.Certificate.ToBinary(), null, guard.Token);

        // Each node's sequencer runs every second; whichever holds the lock logs the key, and node B replays the epoch
        // from the database. Wait (not a timed assertion) until node B's log reaches the epoch that logged it.
        while (true)
        {
            var logged = await nodeA.Server.Store.Database.ScalarAsync("SELECT max(epoch) FROM kt_bindings WHERE address = $1", guard.Token, Han.Canonical);
            if (logged is long epoch && nodeB.Server.Transparency.Log("jedi.test")!.Size > epoch)
            {
                break;
            }

            await Task.Delay(100, guard.Token);
        }

        // Leia's client, against node B only: WKD serves the key and the log proves it (checked by the client's code).
        var logs = new LogStore(directory.Combine("client", "logs.db"), TimeProvider.System);
        var viaB = await Discovery(httpB, logs, directory.Combine("client", "pins-b.db")).DiscoverAsync(Han, guard.Token);
        Assert.True(viaB.Usable, viaB.Explanation);
        Assert.Equal(key.Certificate.Fingerprint, viaB.Certificate!.Fingerprint);
        Assert.NotNull(viaB.Log);
        Assert.Contains("proved by the log", viaB.Explanation, StringComparison.Ordinal);

        // One history: both nodes serve the same checkpoint, once node A has replayed whatever node B sealed.
        string checkpointA, checkpointB;
        while (true)
        {
            checkpointA = await httpA.GetStringAsync(CheckpointUrl, guard.Token);
            checkpointB = await httpB.GetStringAsync(CheckpointUrl, guard.Token);
            if (checkpointA == checkpointB)
            {
                break;
            }

            await Task.Delay(100, guard.Token);
        }

        Assert.Equal(checkpointA, checkpointB);
        var epochs = await nodeA.Server.Store.Database.ScalarAsync("SELECT count(*) FROM kt_epochs WHERE domain = 'jedi.test'", guard.Token);
        Assert.Equal(epochs, nodeA.Server.Transparency.Log("jedi.test")!.Size);
        Assert.Equal(epochs, nodeB.Server.Transparency.Log("jedi.test")!.Size);
        // The client, holding node B's checkpoint, accepts node A's: the same log (its consistency proof checks out).
        var viaA = await Discovery(httpA, logs, directory.Combine("client", "pins-a.db")).DiscoverAsync(Han, guard.Token);
        Assert.True(viaA.Usable, viaA.Explanation);
        Assert.Equal(viaB.Log!.Checkpoint.Size, viaA.Log!.Checkpoint.Size);
    }

    private const string CheckpointUrl = "https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log/checkpoint";

    private static KeyDiscovery Discovery(HttpClient http, LogStore logs, string pins) =>
        new(new WkdClient(http, cacheLifetime: TimeSpan.Zero), new PinStore(pins, TimeProvider.System), KeyChangePolicy.Refuse,
            new LogChecker(http, logs, TimeProvider.System), null);

    private static void WriteTls(LocalCertificateAuthority ca, TempDirectory directory)
    {
        using var tls = ca.Issue(["mail.jedi.test", "localhost", "jedi.test", "openpgpkey.jedi.test"], [IPAddress.Loopback]);
        ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
    }

    /// <summary>Luke's and Leia's passwords, set through one node: the other reads them from the shared directory.</summary>
    private static async Task SetAccountsAsync(Node node)
    {
        foreach (var account in new[] { Luke, Leia })
        {
            await node.Server.Store.SetPasswordHashAsync(account, new PasswordHasher().Hash(Password), CancellationToken.None);
        }
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
            Http = new HttpConfig { Listen = ["127.0.0.1:0"], CertificateFile = directory.Combine("tls.crt"), KeyFile = directory.Combine("tls.key") },
            RateLimit = new RateLimitConfig { RequestsPerMinute = 0 },
            Storage = new StorageConfig { Kind = StorageConfig.Postgres, ConnectionString = database.ConnectionString },
        };
        var server = await KeypostServer.StartAsync(config, CancellationToken.None);
        return new Node(server, submission, imaps);
    }

    private sealed record Node(KeypostServer Server, int Submission, int Imaps) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
