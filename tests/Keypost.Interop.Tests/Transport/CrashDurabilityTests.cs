using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Keypost.Mail.Smtp;
using Keypost.Testing.Beds;
using Keypost.Testing.Mail;
using Xunit.Abstractions;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// The queue's promise (nothing acknowledged is lost) checked the hard way: `keypost serve` in a child process is
/// SIGKILLed several times while parallel senders push messages at it; every message that got a 250 must end up
/// in the Maildir. Duplicates (a message stored but its 250 lost with the connection, then sent again) are allowed
/// by RFC 5321 §6.1 and only reported.
/// </summary>
public sealed partial class CrashDurabilityTests(ITestOutputHelper output)
{
    private const int MessageCount = 1000;
    private const int Senders = 4;
    private const int Kills = 4;
    private const int MaxAttemptsPerMessage = 400; // ~20 s of retries: a restart on a loaded 2-core machine can take seconds

    private static readonly TimeSpan SendingBudget = TimeSpan.FromSeconds(150); // generous: restarts are slow on a loaded machine; losses, not speed, are under test
    private static readonly TimeSpan DrainBudget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Every_acknowledged_message_is_delivered_despite_repeated_SIGKILL()
    {
        await using var bed = TestBed.Create("keypost-served");
        var served = await bed.ServeAsync(TestBed.Jedi with { InboundPort = 0, PublishDns = false });
        var tokens = Enumerable.Range(0, MessageCount).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var failedAttempts = 0;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();

        using var sending = new CancellationTokenSource(SendingBudget);
        var senders = Enumerable.Range(0, Senders)
            .Select(i => Task.Run(() => SendAllAsync([served.Inbound], tokens.Where((_, n) => n % Senders == i).ToList(), acknowledged, () => Interlocked.Increment(ref failedAttempts), sending.Token)))
            .ToArray();

        // Kill at acknowledged counts spread over the run (so every kill lands mid-traffic), at a random moment near each.
        var acknowledgedAtKills = new List<int>();
        for (var k = 1; k <= Kills; k++)
        {
            var threshold = (k * MessageCount / (Kills + 1)) + random.Next(-MessageCount / 20, MessageCount / 20);
            while (acknowledged.Count < threshold && !sending.IsCancellationRequested && !senders.All(s => s.IsCompleted))
            {
                await Task.Delay(10);
            }

            await Task.Delay(random.Next(0, 100));
            served.Server.Kill();
            acknowledgedAtKills.Add(acknowledged.Count);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: SIGKILL #{k} at {acknowledgedAtKills[^1]} acknowledged");
            await served.Server.StartAsync(TimeSpan.FromSeconds(30));
        }

        await Task.WhenAll(senders);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: senders done; {acknowledged.Count} acknowledged, {failedAttempts} failed attempts, seed {seed}, {served.Server.Starts} starts");

        var found = await DrainAsync(served.MaildirOf("luke@jedi.test"), acknowledged.Keys.ToHashSet());
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: Maildir holds {found.Values.Sum()} messages");
        var duplicates = found.Where(f => f.Value > 1).ToList();
        output.WriteLine($"duplicates: {duplicates.Count} tokens delivered more than once ({duplicates.Sum(d => d.Value - 1)} extra copies)");
        foreach (var (token, copies) in duplicates.Take(20))
        {
            output.WriteLine($"  {token} x{copies}");
        }

        // Every kill hit a server with traffic still to come, or the test proved less than it claims.
        Assert.All(acknowledgedAtKills, count => Assert.True(count < MessageCount, $"a kill came after all {MessageCount} were acknowledged"));
        Assert.Equal(MessageCount, acknowledged.Count);
        var lost = acknowledged.Keys.Where(t => !found.ContainsKey(t)).ToList();
        if (lost.Count > 0)
        {
            // Still queued (deferred, with the reason) or gone altogether: the queue says which.
            var queue = await KeypostCli.RunAsync(["queue", "list", "--config", served.ConfigPath]);
            Assert.Fail($"{lost.Count} acknowledged messages never reached the Maildir, e.g. {string.Join(", ", lost.Take(5))}\nqueue:\n{Head(queue.ToString())}\nserver:\n{served.Server.RecentOutput}");
        }
    }

    /// <summary>
    /// One sender: its share of the tokens in order, each retried (new connection) until a server says 250. With
    /// several servers (MX hosts of equal preference), a failed attempt moves on to the next, as RFC 5321 §5.1 has a
    /// client do.
    /// </summary>
    internal static async Task SendAllAsync(IReadOnlyList<IPEndPoint> servers, List<string> tokens, ConcurrentDictionary<string, byte> acknowledged, Action failed, CancellationToken cancellationToken)
    {
        SmtpWire? wire = null;
        var next = 0;
        try
        {
            foreach (var token in tokens)
            {
                for (var attempt = 0; attempt < MaxAttemptsPerMessage && !cancellationToken.IsCancellationRequested; attempt++)
                {
                    try
                    {
                        if (wire is null)
                        {
                            wire = await SmtpWire.ConnectAsync(servers[next++ % servers.Count], cancellationToken);
                            await wire.CommandAsync("EHLO sender.rebel.test", cancellationToken);
                        }

                        var reply = await wire.SendAsync("leia@rebel.test", "luke@jedi.test", Message(token), cancellationToken);
                        if (reply.StartsWith("250", StringComparison.Ordinal))
                        {
                            acknowledged[token] = 0;
                            break;
                        }
                    }
                    catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                    {
                        // No 250: the server promised nothing. Reconnect and send this one again.
                    }

                    failed();
                    if (wire is not null)
                    {
                        await wire.DisposeAsync();
                        wire = null;
                    }

                    await Task.Delay(50, CancellationToken.None);
                }
            }

            if (wire is not null)
            {
                await wire.CommandAsync("QUIT", cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // Out of time, or QUIT met a dead server: what was acknowledged is recorded.
        }
        finally
        {
            if (wire is not null)
            {
                await wire.DisposeAsync();
            }
        }
    }

    internal static string Head(string text) => text.Length <= 4000 ? text : text[..4000] + "...";

    internal static string Message(string token) =>
        $"From: Leia Organa <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: crash test\r\nMessage-ID: <{token}@rebel.test>\r\n\r\ntoken {token}\r\n";

    // Waits (bounded) until every expected token is in the Maildir; returns how many copies of each token arrived.
    private static async Task<Dictionary<string, int>> DrainAsync(string maildir, HashSet<string> expected)
    {
        var copies = new Dictionary<string, int>(StringComparer.Ordinal);
        var read = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + DrainBudget;
        while (true)
        {
            foreach (var file in Maildirs.Files(maildir).Where(f => !read.Contains(Path.GetFileName(f))))
            {
                read.Add(Path.GetFileName(file));
                var match = Token().Match(await File.ReadAllTextAsync(file));
                if (match.Success)
                {
                    copies[match.Groups[1].Value] = copies.GetValueOrDefault(match.Groups[1].Value) + 1;
                }
            }

            if (expected.All(copies.ContainsKey) || DateTime.UtcNow >= deadline)
            {
                return copies;
            }

            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"^token ([0-9a-f]{32})\r?$", RegexOptions.Multiline)]
    internal static partial Regex Token();
}
