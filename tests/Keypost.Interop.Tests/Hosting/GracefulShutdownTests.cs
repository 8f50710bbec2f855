using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Keypost.Interop.Tests.Transport;
using Keypost.Testing.Beds;
using Keypost.Testing.Mail;
using Xunit.Abstractions;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>
/// SIGTERM is how systemd and container runtimes stop a service. `keypost serve` then drains (RFC 5321 §3.8):
/// it stops accepting, answers 421 to sessions between transactions, lets transactions under way finish within
/// drainSeconds and answers 421 to what is left; the queue stays on disk. Checked under a load of 200 messages:
/// every 250 is delivered after the restart, a client stalled mid-transaction gets 421, one that finishes within
/// the drain time gets 250, no client loses its connection without a reply, and the log shows the drain.
/// </summary>
public sealed partial class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int MessageCount = 200;
    private const int Senders = 8;

    private static readonly TimeSpan DeliveryBudget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SIGTERM_under_load_drains_every_acknowledged_message_is_delivered_after_restart()
    {
        await using var bed = TestBed.Create("keypost-service");
        var node = await bed.ServeAsync(TestBed.Operated);
        var tokens = Enumerable.Range(0, MessageCount).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var refused = new ConcurrentDictionary<string, string>();
        var dropped = new ConcurrentQueue<string>();
        using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        // Two clients inside a transaction (MAIL and RCPT accepted) when the signal comes.
        await using var stalled = await OpenTransactionAsync(node.Inbound, sending.Token);
        await using var finishing = await OpenTransactionAsync(node.Inbound, sending.Token);

        var senders = Enumerable.Range(0, Senders)
            .Select(i => Task.Run(() => SendAsync(node.Inbound, tokens.Where((_, n) => n % Senders == i).ToList(), acknowledged, refused, dropped, sending.Token)))
            .ToArray();
        while (acknowledged.Count < MessageCount / 4 && !senders.All(s => s.IsCompleted))
        {
            await Task.Delay(10);
        }

        var terminating = node.Server.TerminateAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"SIGTERM at {acknowledged.Count} acknowledged");

        // Within the drain time (3 s) a transaction under way may still finish, and its message is kept.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var finishingToken = Guid.NewGuid().ToString("N");
        var finished = await finishing.DataAsync(Message(finishingToken), sending.Token);
        Assert.StartsWith("250 ", finished);
        Assert.StartsWith("421 ", await finishing.CommandAsync("MAIL FROM:<leia@rebel.test>", sending.Token));

        // One that never finishes gets 421 when the drain time is over, and nothing it sent is claimed.
        Assert.StartsWith("421 ", await stalled.ReadReplyAsync(sending.Token));

        var exitCode = await terminating;
        await Task.WhenAll(senders);
        output.WriteLine($"exit {exitCode}; {acknowledged.Count} acknowledged, {refused.Count} refused with 421, {dropped.Count} dropped");
        Assert.Equal(0, exitCode);
        Assert.True(acknowledged.Count < MessageCount, "the signal came after the whole load");
        Assert.NotEmpty(refused);
        Assert.All(refused.Values, reply => Assert.StartsWith("421 4.3.2 ", reply));
        Assert.True(dropped.IsEmpty, "connections closed without a reply: " + string.Join("; ", dropped.Take(5)));

        var log = node.LogEntries();
        Assert.Contains(log, e => LogEntry.EventId(e) == 1010 && LogEntry.Message(e).Contains("SMTP draining", StringComparison.Ordinal));
        var drained = Assert.Single(log, e => LogEntry.EventId(e) == 1011);
        Assert.True(int.Parse(LogEntry.State(drained, "Sessions")!, System.Globalization.CultureInfo.InvariantCulture) >= 1, "the stalled session was not counted at the deadline");
        Assert.Contains(log, e => LogEntry.EventId(e) == 1012 && LogEntry.State(e, "InTransaction") == "true");

        // The queue survived on disk: after a restart everything answered 250 reaches the Maildir.
        await node.Server.StartAsync(TimeSpan.FromSeconds(30));
        var expected = acknowledged.Keys.Append(finishingToken).ToHashSet();
        var found = await WaitForTokensAsync(node.MaildirOf("luke@jedi.test"), expected);
        var lost = expected.Where(t => !found.Contains(t)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged messages never reached the Maildir, e.g. {string.Join(", ", lost.Take(5))}\n{node.Server.RecentOutput}");
    }

    private static async Task<SmtpWire> OpenTransactionAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var wire = await SmtpWire.ConnectAsync(server, cancellationToken);
        Assert.StartsWith("250", await wire.CommandAsync("EHLO slow.rebel.test", cancellationToken));
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<leia@rebel.test>", cancellationToken));
        Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<luke@jedi.test>", cancellationToken));
        return wire;
    }

    // One sender: its share in order over one connection, until the server says 421 or stops answering.
    private static async Task SendAsync(IPEndPoint server, List<string> tokens, ConcurrentDictionary<string, byte> acknowledged, ConcurrentDictionary<string, string> refused, ConcurrentQueue<string> dropped, CancellationToken cancellationToken)
    {
        SmtpWire wire;
        try
        {
            wire = await SmtpWire.ConnectAsync(server, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return; // Never connected: nothing was promised, nothing was under way.
        }

        await using (wire)
        {
            var ehlo = await wire.CommandAsync("EHLO sender.rebel.test", cancellationToken);
            if (!ehlo.StartsWith("250", StringComparison.Ordinal))
            {
                refused["ehlo-" + Guid.NewGuid().ToString("N")] = ehlo;
                return;
            }

            foreach (var token in tokens)
            {
                string reply;
                try
                {
                    reply = await wire.SendAsync("leia@rebel.test", "luke@jedi.test", Message(token), cancellationToken);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    dropped.Enqueue($"{token}: {e.Message}");
                    return;
                }

                if (reply.StartsWith("250", StringComparison.Ordinal))
                {
                    acknowledged[token] = 0;
                    continue;
                }

                refused[token] = reply;
                return;
            }
        }
    }

    private static string Message(string token) =>
        $"From: Leia Organa <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: drain test\r\nMessage-ID: <{token}@rebel.test>\r\n\r\ntoken {token}\r\n";

    private static async Task<HashSet<string>> WaitForTokensAsync(string maildir, HashSet<string> expected)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var read = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + DeliveryBudget;
        while (true)
        {
            foreach (var file in Maildirs.Files(maildir).Where(f => read.Add(Path.GetFileName(f))))
            {
                var match = Token().Match(await File.ReadAllTextAsync(file));
                if (match.Success)
                {
                    found.Add(match.Groups[1].Value);
                }
            }

            if (expected.IsSubsetOf(found) || DateTime.UtcNow >= deadline)
            {
                return found;
            }

            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"^token ([0-9a-f]{32})\r?$", RegexOptions.Multiline)]
    private static partial Regex Token();
}
