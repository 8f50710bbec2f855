using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Policy;
using Keypost.Directory.Accounts;
using Keypost.Directory.Publishing;
using Keypost.LocalServe;
using Keypost.Mail.Queue;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;
using Keypost.Testing.Beds;
using Keypost.Testing.Net;
using Keypost.Testing.Postgres;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MimeKit;
using Npgsql;

namespace Keypost.Interop.Tests.Cli;

/// <summary>
/// Issue #15, point 5: `keypost storage migrate --to postgres` moves a populated single-node installation (SQLite
/// directory and log, DKIM key files, file queue, Maildirs) into PostgreSQL. A node on PostgreSQL then serves every
/// message over IMAP byte for byte with its UID, flags, INTERNALDATE and the mailbox's UIDVALIDITY, serves the key
/// with a valid log proof and the log's history (same checkpoint), and holds the queued message as it was. A run
/// after part of the data went missing copies exactly that part, and a run with everything in place copies nothing.
/// </summary>
public sealed class StorageMigrateTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Password = "use the force";
    private const string CheckpointUrl = "https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log/checkpoint";
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Leia = EmailAddress.Parse("leia@jedi.test");
    private static readonly EmailAddress Han = EmailAddress.Parse("han@jedi.test");

    [PostgresFact]
    public async Task A_single_node_installation_moves_to_PostgreSQL_and_every_message_key_and_log_entry_is_served_as_before()
    {
        using var directory = new TempDirectory("keypost-migrate");
        using var ca = LocalCertificateAuthority.Create("Keypost migration CA");
        using var dns = new LoopbackDnsServer();
        using var tls = ca.Issue(["mail.jedi.test", "localhost", "jedi.test", "openpgpkey.jedi.test"], [IPAddress.Loopback]);
        ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        // The single node: SQLite, Maildir, DKIM key files, the file queue.
        var single = Config(directory, "single", dns, null);
        var singleConfig = directory.Combine("single", "keypost.json");
        System.IO.Directory.CreateDirectory(directory.Combine("single"));
        single.Save(singleConfig);
        IReadOnlyList<string> before;
        string checkpointBefore, dkimTxtBefore;
        string queued;
        byte[] queuedBytes = "From: han@jedi.test\r\nTo: chewie@kashyyyk.test\r\nSubject: Later\r\n\r\nFalcon needs parts.\r\n"u8.ToArray();
        await using (var node = await StartAsync(single))
        {
            await SetAccountsAsync(node.Server);
            var key = new KeyGenerator().Generate(new KeyGenerationRequest(Han));
            await new KeyPublisher(node.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(key.Certificate.ToBinary(), null, guard.Token);
            await PopulateMailAsync(node, guard.Token);
            // The log has the key once an epoch holds its binding (the sequencer runs every second: wait, not a timing).
            while (!(await node.Server.Store.Database.ScalarAsync("SELECT max(epoch) FROM kt_bindings WHERE address = $1", guard.Token, Han.Canonical) is long epoch
                     && node.Server.Transparency.Log("jedi.test")!.Size > epoch))
            {
                await Task.Delay(100, guard.Token);
            }

            using var http = PinnedHttps.Create(node.Server.HttpsEndpoints[0], ca.Certificate);
            checkpointBefore = await http.GetStringAsync(CheckpointUrl, guard.Token);
            before = [.. await ReadMailboxesAsync(node.Imaps, Luke, guard.Token), .. await ReadMailboxesAsync(node.Imaps, Leia, guard.Token)];
            dkimTxtBefore = (await new Mail.Dkim.DkimKeyStore(single.DkimDirectory).GetOrCreateAsync("jedi.test", guard.Token)).Ed25519.TxtRecord;
        }

        // A message waiting for a later attempt, its recipient's state as delivery left it.
        using (var queue = await MessageQueue.OpenAsync(single.QueueDirectory, cancellationToken: guard.Token))
        {
            queued = await queue.EnqueueAsync(new QueueEnvelope(Han, [EmailAddress.Parse("chewie@kashyyyk.test")]), new MemoryStream(queuedBytes), guard.Token);
            await queue.RecordAsync(queued, [RecipientOutcome.Deferred(0, "451 4.4.1 no answer", DateTimeOffset.UtcNow.AddDays(1))], guard.Token);
        }

        Assert.True(before.Count(l => l.StartsWith("message ", StringComparison.Ordinal)) == 5, string.Join("\n", before));
        var migrate = (string[])["storage", "migrate", "--to", "postgres", "--config", singleConfig, "--connection-string", database.ConnectionString];
        var first = await KeypostCli.RunAsync(migrate);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("messages in ", first.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(" 0 copied in all", first.StandardOutput, StringComparison.Ordinal);

        // As if a run had been killed part way: a message and the queued message are missing. The next run copies
        // exactly those; the one after copies nothing. Both verify everything.
        await using (var dataSource = NpgsqlDataSource.Create(database.ConnectionString))
        {
            await using var delete = dataSource.CreateCommand(
                "DELETE FROM store_message WHERE (mailbox_id, uid) IN (SELECT mailbox_id, max(uid) FROM store_message GROUP BY mailbox_id LIMIT 1)");
            Assert.Equal(1, await delete.ExecuteNonQueryAsync(guard.Token));
            await using var dequeue = dataSource.CreateCommand("DELETE FROM queue_message");
            Assert.Equal(1, await dequeue.ExecuteNonQueryAsync(guard.Token));
        }

        var resumed = await KeypostCli.RunAsync(migrate);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("(1 copied); 2 copied in all", resumed.StandardOutput, StringComparison.Ordinal);
        var again = await KeypostCli.RunAsync(migrate);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("; 0 copied in all", again.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(first.StandardOutput.Split(';')[0].Split(" (")[0], again.StandardOutput.Split(';')[0].Split(" (")[0]);

        // The queued message, read through the PostgreSQL queue before any node could deliver it.
        await using (var dataSource = NpgsqlDataSource.Create(database.ConnectionString))
        using (var shared = await MessageQueue.OpenPostgresAsync(dataSource, cancellationToken: guard.Token))
        {
            var message = await shared.GetAsync(queued, guard.Token);
            Assert.NotNull(message);
            var recipient = Assert.Single(message.Recipients);
            Assert.Equal("chewie@kashyyyk.test", recipient.Address.ToString());
            Assert.Equal(RecipientState.Deferred, recipient.State);
            Assert.Equal(1, recipient.Attempts);
            Assert.Equal("451 4.4.1 no answer", recipient.LastError);
            using var data = new MemoryStream();
            await shared.OpenData(queued).CopyToAsync(data, guard.Token);
            Assert.Equal(queuedBytes, data.ToArray());
        }

        // A node on PostgreSQL with a data directory of its own: nothing is read from the single node's disk.
        var pg = Config(directory, "pg", dns, database.ConnectionString);
        await using (var node = await StartAsync(pg))
        {
            IReadOnlyList<string> after = [.. await ReadMailboxesAsync(node.Imaps, Luke, guard.Token), .. await ReadMailboxesAsync(node.Imaps, Leia, guard.Token)];
            Assert.Equal(before, after);

            using var http = PinnedHttps.Create(node.Server.HttpsEndpoints[0], ca.Certificate);
            var checkpointAfter = await http.GetStringAsync(CheckpointUrl, guard.Token);
            // The note's text (origin, size, root hash): the same log, with the same history.
            Assert.Equal(checkpointBefore.Split("\n\n")[0], checkpointAfter.Split("\n\n")[0]);
            var discovery = new KeyDiscovery(
                new WkdClient(http, cacheLifetime: TimeSpan.Zero), new PinStore(directory.Combine("client", "pins.db"), TimeProvider.System), KeyChangePolicy.Refuse,
                new LogChecker(http, new LogStore(directory.Combine("client", "logs.db"), TimeProvider.System), TimeProvider.System), null);
            var found = await discovery.DiscoverAsync(Han, guard.Token);
            Assert.True(found.Usable, found.Explanation);
            Assert.Contains("proved by the log", found.Explanation, StringComparison.Ordinal);

            // The DKIM key published in DNS for the single node is the one the PostgreSQL nodes sign with.
            await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
            var keys = await Mail.Dkim.DkimKeyStore.OpenPostgresAsync(dataSource, null, guard.Token);
            Assert.Equal(dkimTxtBefore, (await keys.GetOrCreateAsync("jedi.test", guard.Token)).Ed25519.TxtRecord);
        }
    }

    [PostgresFact]
    public async Task Migrate_without_an_installation_or_with_a_bad_target_says_so_in_one_line()
    {
        using var directory = new TempDirectory("keypost-migrate-bad");
        new KeypostConfig { DataDirectory = "data", Domains = [new DomainConfig { Name = "jedi.test" }] }.Save(directory.Combine("keypost.json"));
        var nothing = await KeypostCli.RunAsync(["storage", "migrate", "--to", "postgres", "--connection-string", database.ConnectionString], workingDirectory: directory.Path);
        Assert.Equal(1, nothing.ExitCode);
        Assert.Matches("^keypost: no single-node installation to migrate: .*keypost.db does not exist\n$", nothing.StandardError.ReplaceLineEndings("\n"));

        var noTarget = await KeypostCli.RunAsync(["storage", "migrate", "--to", "postgres"], workingDirectory: directory.Path);
        Assert.Equal(2, noTarget.ExitCode);
        Assert.StartsWith("keypost: no PostgreSQL connection string", noTarget.StandardError, StringComparison.Ordinal);

        var mysql = await KeypostCli.RunAsync(["storage", "migrate", "--to", "mysql", "--connection-string", "x"], workingDirectory: directory.Path);
        Assert.Equal(2, mysql.ExitCode);
        Assert.Equal("keypost: --to: only 'postgres' is supported\n", mysql.StandardError.ReplaceLineEndings("\n"));
    }

    /// <summary>Mail in several mailboxes with flags: two delivered, three appended (one then expunged: a UID gap), Leia's Sent.</summary>
    private static async Task PopulateMailAsync(Node node, CancellationToken cancellationToken)
    {
        using (var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false })
        {
            await smtp.ConnectAsync("127.0.0.1", node.Submission, SecureSocketOptions.StartTls, cancellationToken);
            await smtp.AuthenticateAsync(Leia.ToString(), Password, cancellationToken);
            foreach (var subject in new[] { "The plans are in R2", "Meet on Yavin" })
            {
                await smtp.SendAsync(Message(Leia, Luke, subject), cancellationToken);
            }

            await smtp.DisconnectAsync(quit: true, cancellationToken);
        }

        while ((await node.Server.Mail!.MailStore.OpenAccount(Luke).Get("INBOX").SnapshotAsync(cancellationToken)).Messages.Count < 2)
        {
            await Task.Delay(100, cancellationToken);
        }

        using var imap = await LoginAsync(node.Imaps, Luke, cancellationToken);
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        var inbox = await imap.Inbox.SearchAsync(SearchQuery.All, cancellationToken);
        await imap.Inbox.AddFlagsAsync(inbox[0], MessageFlags.Seen | MessageFlags.Answered, silent: true, cancellationToken);
        var root = imap.GetFolder(imap.PersonalNamespaces[0]);
        var archive = await root.CreateAsync("Archive", isMessageFolder: true, cancellationToken) ?? throw new InvalidOperationException("no Archive");
        var dates = new[] { new DateTimeOffset(2024, 5, 4, 12, 0, 1, TimeSpan.FromHours(2)), new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), new DateTimeOffset(2026, 11, 30, 23, 59, 59, TimeSpan.FromHours(-5)) };
        var flags = new[] { MessageFlags.Seen | MessageFlags.Flagged, MessageFlags.None, MessageFlags.Draft | MessageFlags.Seen };
        for (var i = 0; i < 3; i++)
        {
            await archive.AppendAsync(new AppendRequest(Message(Luke, Leia, $"Archived {i}"), flags[i]) { InternalDate = dates[i] }, cancellationToken);
        }

        await archive.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        var archived = await archive.SearchAsync(SearchQuery.All, cancellationToken);
        await archive.AddFlagsAsync(archived[1], MessageFlags.Deleted, silent: true, cancellationToken);
        await archive.ExpungeAsync(cancellationToken);
        await imap.DisconnectAsync(quit: true, cancellationToken);

        using var leia = await LoginAsync(node.Imaps, Leia, cancellationToken);
        var sent = await leia.GetFolder(leia.PersonalNamespaces[0]).CreateAsync("Sent", isMessageFolder: true, cancellationToken) ?? throw new InvalidOperationException("no Sent");
        await sent.AppendAsync(new AppendRequest(Message(Leia, Luke, "Sent by me"), MessageFlags.Seen), cancellationToken);
        await leia.DisconnectAsync(quit: true, cancellationToken);
    }

    /// <summary>Every mailbox of the account as IMAP shows it: UIDVALIDITY, UIDNEXT, and each message's UID, flags, INTERNALDATE and bytes.</summary>
    private static async Task<IReadOnlyList<string>> ReadMailboxesAsync(int port, EmailAddress account, CancellationToken cancellationToken)
    {
        using var imap = await LoginAsync(port, account, cancellationToken);
        var folders = (await imap.GetFoldersAsync(imap.PersonalNamespaces[0], cancellationToken: cancellationToken)).Append(imap.Inbox)
            .DistinctBy(f => f.FullName).OrderBy(f => f.FullName, StringComparer.Ordinal).ToList();
        var lines = new List<string>();
        foreach (var folder in folders)
        {
            await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
            lines.Add($"{account} {folder.FullName} uidvalidity {folder.UidValidity} uidnext {folder.UidNext}");
            foreach (var summary in await folder.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate), cancellationToken))
            {
                await using var stream = await folder.GetStreamAsync(summary.UniqueId, "", cancellationToken);
                using var bytes = new MemoryStream();
                await stream.CopyToAsync(bytes, cancellationToken);
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"message {account} {folder.FullName} {summary.UniqueId.Id} {summary.Flags} {summary.InternalDate:O} {Convert.ToBase64String(bytes.ToArray())}"));
            }

            await folder.CloseAsync(expunge: false, cancellationToken);
        }

        await imap.DisconnectAsync(quit: true, cancellationToken);
        return lines;
    }

    private static async Task<ImapClient> LoginAsync(int port, EmailAddress account, CancellationToken cancellationToken)
    {
        var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false };
        await imap.ConnectAsync("127.0.0.1", port, SecureSocketOptions.SslOnConnect, cancellationToken);
        await imap.AuthenticateAsync(account.ToString(), Password, cancellationToken);
        return imap;
    }

    private static MimeMessage Message(EmailAddress from, EmailAddress to, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(null, from.ToString()));
        message.To.Add(new MailboxAddress(null, to.ToString()));
        message.Subject = subject;
        message.MessageId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + "@jedi.test";
        message.Body = new TextPart("plain") { Text = subject + ": details follow.\r\n" };
        return message;
    }

    private static async Task SetAccountsAsync(KeypostServer server)
    {
        foreach (var account in new[] { Luke, Leia })
        {
            await server.Store.SetPasswordHashAsync(account, new PasswordHasher().Hash(Password), CancellationToken.None);
        }
    }

    private static KeypostConfig Config(TempDirectory directory, string name, LoopbackDnsServer dns, string? connectionString) => new()
    {
        DataDirectory = directory.Combine(name, "data"),
        Hostname = "mail.jedi.test",
        Domains = [new DomainConfig { Name = "jedi.test" }],
        Mail = new MailConfig
        {
            Submission = [$"127.0.0.1:{FreePort.Get()}"],
            ImapTls = [$"127.0.0.1:{FreePort.Get()}"],
            CertificateFile = directory.Combine("tls.crt"),
            KeyFile = directory.Combine("tls.key"),
            DnsServers = [dns.EndPoint.ToString()],
            RetryIntervalSeconds = [86400],
        },
        Http = new HttpConfig { Listen = ["127.0.0.1:0"], CertificateFile = directory.Combine("tls.crt"), KeyFile = directory.Combine("tls.key") },
        RateLimit = new RateLimitConfig { RequestsPerMinute = 0 },
        Storage = connectionString is null ? new StorageConfig() : new StorageConfig { Kind = StorageConfig.Postgres, ConnectionString = connectionString },
    };

    private static async Task<Node> StartAsync(KeypostConfig config)
    {
        var server = await KeypostServer.StartAsync(config, CancellationToken.None);
        return new Node(server, server.Mail!.SmtpEndpoints[0].Port, server.Mail.ImapEndpoints[0].Port);
    }

    private sealed record Node(KeypostServer Server, int Submission, int Imaps) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
