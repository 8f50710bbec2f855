using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Keypost.Imap.Tests;

/// <summary>
/// Issue #20: while 50 sessions of an account holder send hostile commands (the reproducers and random junk), 5
/// well-behaved sessions of the same mailbox keep syncing and see no error. Their worst latency is reported, not
/// asserted: this runs on a loaded 2-core machine beside other builds.
/// </summary>
public sealed class ImapHostileConcurrencyTests(ITestOutputHelper output)
{
    private const int HostileSessions = 50;
    private const int WellBehavedSessions = 5;
    private const int HostileRounds = 6;

    private static readonly string[] Reproducers =
    [
        "SEARCH " + new string('(', 11_400),
        "SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 16_000)) + "ALL",
        "SEARCH " + string.Concat(Enumerable.Repeat("OR ALL ", 9_000)) + "ALL",
        "FETCH 1 (ALL)",
        "FETCH 1 (FAST)",
        "FETCH 1:* (FULL)",
        "FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
        "SEARCH HEADER Subject x",
        "*",
        "FETCH 1 BODY.PEEK[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28.29.30.31.32.33]",
        "FETCH 4294967295:* (UID)",
        "UID FETCH 1:4294967295 (FLAGS)",
        "STORE 1:* +FLAGS (\\Flagged \\Flagged \\Flagged)",
        "SEARCH CHARSET X-UNKNOWN ALL",
        "LIST \"\" \"%%%%%%%%%%%%%%%%%%%%%%%%*\"",
        "SELECT \"\\\\\"",
    ];

    [Fact]
    public async Task Well_behaved_sessions_see_no_error_while_others_attack()
    {
        await using var server = await ImapTestServer.StartAsync(configure: o => new Keypost.Imap.ImapListenerOptions
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            AuthFailureDelay = o.AuthFailureDelay,
            MaxSessionsPerAccount = HostileSessions + WellBehavedSessions + 10,
            // Every session comes from 127.0.0.1 here: this test is about hostile commands, not connection counts.
            MaxSessionsPerAddress = HostileSessions + WellBehavedSessions + 10,
        });
        for (var i = 0; i < 5; i++)
        {
            await server.DeliverAsync(i == 2 ? TestMail.Multipart : TestMail.Simple("Message " + i));
        }

        using var attacking = new CancellationTokenSource();
        var wellBehaved = Enumerable.Range(0, WellBehavedSessions).Select(i => SyncUntilAsync(server, i, attacking.Token)).ToList();
        var hostile = Enumerable.Range(0, HostileSessions).Select(i => AttackAsync(server, i)).ToList();
        var hostileCommands = (await Task.WhenAll(hostile)).Sum();
        await attacking.CancelAsync();
        var results = await Task.WhenAll(wellBehaved);

        var errors = results.SelectMany(r => r.Errors).ToList();
        var worst = results.Max(r => r.Worst);
        var commands = results.Sum(r => r.Commands);
        output.WriteLine($"hostile sessions: {HostileSessions}, hostile commands sent: {hostileCommands}");
        output.WriteLine($"well-behaved sessions: {WellBehavedSessions}, commands: {commands}, worst latency: {worst.TotalMilliseconds:F0} ms");
        Assert.Empty(errors);
        Assert.True(commands >= WellBehavedSessions * 3, "each well-behaved session completed at least one sync");
    }

    private static async Task<(int Commands, TimeSpan Worst, List<string> Errors)> SyncUntilAsync(ImapTestServer server, int index, CancellationToken stop)
    {
        var errors = new List<string>();
        var worst = TimeSpan.Zero;
        var commands = 0;
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();
        await client.LoginAsync();
        var round = 0;
        do
        {
            foreach (var command in new[] { "SELECT INBOX", "FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)", "NOOP" })
            {
                var tag = "w" + index + "x" + round++;
                var clock = Stopwatch.StartNew();
                var lines = await client.CommandAsync(tag, command);
                var elapsed = clock.Elapsed;
                worst = elapsed > worst ? elapsed : worst;
                commands++;
                if (lines.Count == 0 || !lines[^1].StartsWith(tag + " OK", StringComparison.Ordinal))
                {
                    errors.Add($"{command}: {(lines.Count == 0 ? "connection closed" : lines[^1])}");
                }

                errors.AddRange(lines.Where(l => l.StartsWith("* BYE", StringComparison.Ordinal) || l.StartsWith("* BAD", StringComparison.Ordinal)));
            }
        }
        while (!stop.IsCancellationRequested);

        return (commands, worst, errors);
    }

    // Sends the reproducers and seeded random junk; when the server ends the session (too many errors), it
    // connects again, as an attacker would.
    private static async Task<int> AttackAsync(ImapTestServer server, int index)
    {
        var random = new Random(index);
        var sent = 0;
        RawImapClient? client = null;
        try
        {
            for (var round = 0; round < HostileRounds; round++)
            {
                client ??= await ConnectedAsync(server, index == 0 && round == 0);
                var batch = new StringBuilder();
                for (var i = 0; i < 4; i++)
                {
                    var command = random.Next(3) == 0 ? Junk(random) : Reproducers[random.Next(Reproducers.Length)];
                    batch.Append('h').Append(round).Append('x').Append(i).Append(' ').Append(command).Append("\r\n");
                    sent++;
                }

                var last = "z" + round;
                batch.Append(last).Append(" NOOP\r\n");
                bool answered;
                try
                {
                    await client.SendAsync(batch.ToString());
                    answered = await DrainAsync(client, last);
                }
                catch (IOException)
                {
                    // The server ended this hostile session (BYE, then close) before the batch went out: connect again.
                    answered = false;
                }

                if (!answered)
                {
                    await client.DisposeAsync();
                    client = null;
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }

        return sent;
    }

    private static async Task<RawImapClient> ConnectedAsync(ImapTestServer server, bool appendOdd)
    {
        var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();
        await client.LoginAsync();
        await client.CommandAsync("s", "SELECT INBOX");
        if (appendOdd)
        {
            // The stored message that is not RFC 5322: every sync of the mailbox must keep working with it.
            await client.SendAsync("a APPEND INBOX {5+}\r\nabcde\r\n");
            await client.ReadUntilTaggedAsync("a");
        }

        return client;
    }

    /// <summary>Reads up to the tagged answer of <paramref name="tag"/>; false when the server closed the session.</summary>
    private static async Task<bool> DrainAsync(RawImapClient client, string tag)
    {
        while (await client.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // Printable junk mixed with IMAP syntax characters; no '{' (a literal would wait for octets) and no line ends.
    private static string Junk(Random random)
    {
        const string alphabet = "()[]<>\"\\*%:.,0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcxyz+-~\t";
        string[] words = ["FETCH", "SEARCH", "STORE", "UID", "BODY[", "NOT", "OR", "(", ")", "1:*", "HEADER", "FLAGS", "ENVELOPE", "LIST", "SELECT"];
        var sb = new StringBuilder();
        var length = random.Next(1, 200);
        while (sb.Length < length)
        {
            if (random.Next(3) == 0)
            {
                sb.Append(words[random.Next(words.Length)]).Append(' ');
            }
            else
            {
                sb.Append(alphabet[random.Next(alphabet.Length)]);
            }
        }

        return sb.ToString();
    }
}
