using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;
using Keypost.Testing.Postgres;
using MailKit.Net.Imap;
using MailKit.Security;
using Npgsql;

namespace Keypost.Server.Tests.Postgres;

/// <summary>
/// Issue #15: with storage.kind "postgres" a client's connection budget and its failed-login count are shared by the
/// nodes (fixed windows counted in the database), so spreading over two nodes gets a client no more than one node
/// would allow: the connection over the limit, on either node, is refused with 421 (SMTP) or BYE (IMAP), and an
/// address that failed to log in too often across both nodes is refused by both.
/// </summary>
public sealed class SharedRateLimitTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const int PerMinute = 3;
    private const string Password = "use the force";
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [PostgresFact]
    public async Task The_connection_over_a_clients_per_minute_budget_is_refused_whichever_node_it_reaches()
    {
        using var directory = new TempDirectory("keypost-shared-limits");
        using var ca = LocalCertificateAuthority.Create("Keypost shared limits CA");
        WriteTls(ca, directory);
        await using var nodeA = await StartNodeAsync(directory, "a");
        await using var nodeB = await StartNodeAsync(directory, "b");
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // The windows are whole minutes on the database's clock: a run that straddles two is run again (the counts
        // of the new minute start afresh, so its greetings would prove nothing).
        for (var attempt = 0; ; attempt++)
        {
            var minute = await MinuteAsync(guard.Token);
            // 127.0.0.x: a client address of this attempt's own, so earlier attempts' counts do not carry over.
            var client = IPAddress.Parse($"127.0.0.{10 + attempt}");
            var smtp = new List<string>();
            var imap = new List<string>();
            foreach (var port in new[] { nodeA.Smtp, nodeB.Smtp, nodeA.Smtp, nodeB.Smtp })
            {
                smtp.Add(await GreetingAsync(client, port, tls: false, guard.Token));
            }

            foreach (var port in new[] { nodeB.Imap, nodeA.Imap, nodeB.Imap, nodeA.Imap })
            {
                imap.Add(await GreetingAsync(client, port, tls: false, guard.Token));
            }

            if (await MinuteAsync(guard.Token) != minute && attempt < 3)
            {
                continue;
            }

            Assert.All(smtp.Take(PerMinute), g => Assert.StartsWith("220 ", g, StringComparison.Ordinal));
            Assert.StartsWith("421 4.7.0 ", smtp[PerMinute], StringComparison.Ordinal);
            Assert.All(imap.Take(PerMinute), g => Assert.StartsWith("* OK", g, StringComparison.Ordinal));
            Assert.StartsWith("* BYE Too many connections from your address", imap[PerMinute], StringComparison.Ordinal);
            break;
        }
    }

    [PostgresFact]
    public async Task An_address_whose_failed_logins_on_both_nodes_reach_the_limit_is_refused_by_both()
    {
        using var directory = new TempDirectory("keypost-shared-logins");
        using var ca = LocalCertificateAuthority.Create("Keypost shared limits CA");
        WriteTls(ca, directory);
        // Connection rates out of the way: this is about failed logins only.
        await using var nodeA = await StartNodeAsync(directory, "a", perMinute: 120);
        await using var nodeB = await StartNodeAsync(directory, "b", perMinute: 120);
        await nodeA.Server.Store.SetPasswordHashAsync(Luke, new PasswordHasher().Hash(Password), CancellationToken.None);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // Three failures, the block threshold: two on node A, one on node B. Neither node alone saw three; the
        // third (on node A) is answered with BYE, as the address is blocked from then on.
        var ports = new[] { nodeA.Imaps, nodeB.Imaps, nodeA.Imaps };
        for (var i = 0; i < ports.Length; i++)
        {
            using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false, LocalEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.9"), 0) };
            await imap.ConnectAsync("127.0.0.1", ports[i], SecureSocketOptions.SslOnConnect, guard.Token);
            // LOGIN only: one attempt, one failure (MailKit would otherwise try each SASL mechanism in turn).
            imap.AuthenticationMechanisms.Clear();
            var failed = await Assert.ThrowsAnyAsync<Exception>(() => imap.AuthenticateAsync(Luke.ToString(), "wrong password", guard.Token));
            if (i < ports.Length - 1)
            {
                Assert.IsType<AuthenticationException>(failed);
            }
            else
            {
                Assert.Contains("Too many failed logins", Assert.IsType<ImapProtocolException>(failed).Message, StringComparison.Ordinal);
            }
        }

        // Node B (the one that saw a single failure) refuses the address, on IMAP and on submission.
        Assert.StartsWith("* BYE Too many failed logins", await GreetingAsync(IPAddress.Parse("127.0.0.9"), nodeB.Imap, tls: false, guard.Token), StringComparison.Ordinal);
        Assert.StartsWith("421 4.7.0 ", await GreetingAsync(IPAddress.Parse("127.0.0.9"), nodeB.Smtp, tls: false, guard.Token), StringComparison.Ordinal);
        // Another address is not affected.
        Assert.StartsWith("* OK", await GreetingAsync(IPAddress.Parse("127.0.0.8"), nodeB.Imap, tls: false, guard.Token), StringComparison.Ordinal);
    }

    private async Task<long> MinuteAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT floor(extract(epoch FROM now()) / 60)::bigint");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The first line the server sends to a client connecting from <paramref name="from"/>.</summary>
    private static async Task<string> GreetingAsync(IPAddress from, int port, bool tls, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (tls)
        {
            var secure = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
            await secure.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken);
            stream = secure;
        }

        await using (stream)
        {
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return await reader.ReadLineAsync(cancellationToken) ?? "";
        }
    }

    private static void WriteTls(LocalCertificateAuthority ca, TempDirectory directory)
    {
        using var tls = ca.Issue(["mail.jedi.test", "localhost"], [IPAddress.Loopback]);
        ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
    }

    private async Task<Node> StartNodeAsync(TempDirectory directory, string name, int perMinute = PerMinute)
    {
        var config = new KeypostConfig
        {
            DataDirectory = directory.Combine(name, "data"),
            Hostname = $"{name}.mail.jedi.test",
            Domains = [new DomainConfig { Name = "jedi.test" }],
            Mail = new MailConfig
            {
                Submission = [$"127.0.0.1:{FreePort.Get()}"],
                Imap = [$"127.0.0.1:{FreePort.Get()}"],
                ImapTls = [$"127.0.0.1:{FreePort.Get()}"],
                CertificateFile = directory.Combine("tls.crt"),
                KeyFile = directory.Combine("tls.key"),
                SmtpConnectionsPerMinutePerAddress = perMinute,
                ImapConnectionsPerMinutePerAddress = perMinute,
                LoginFailuresBeforeBlock = 3,
            },
            Storage = new StorageConfig { Kind = StorageConfig.Postgres, ConnectionString = database.ConnectionString },
        };
        var server = await KeypostServer.StartAsync(config, CancellationToken.None);
        return new Node(server, server.Mail!.SmtpEndpoints[0].Port, server.Mail.ImapEndpoints[0].Port, server.Mail.ImapEndpoints[1].Port);
    }

    private sealed record Node(KeypostServer Server, int Smtp, int Imap, int Imaps) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
