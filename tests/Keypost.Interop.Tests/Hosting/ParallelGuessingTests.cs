using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Keypost.Testing.Beds;
using Keypost.Testing;
using Keypost.Testing.Net;
using Xunit.Abstractions;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>
/// Issue #13, "must show": 50 parallel sessions (half SMTP AUTH on submission, half IMAP LOGIN) from five client
/// addresses guess luke's password against `keypost serve` for a while. Each address is slowed from its first
/// failure and then blocked, across both protocols (one throttle); the number of password checks it gets is bounded
/// whatever the duration; the server's resident memory (VmRSS from /proc, sampled all along) stays within 50 MiB of
/// idle; the right password from another address works during and after the attack, on SMTP and on IMAP.
/// </summary>
/// <remarks>
/// The duration is KEYPOST_GUESSING_SECONDS (default 20; the issue's minute is 60). 20 s shows the same thing: with
/// the default limits every address reaches its block (10 failures) within its first round of guesses, a few
/// seconds in, and is then refused at the greeting without a password check until the block ends (15 min); the
/// rest of a minute repeats that steady state, so only the memory samples grow in number.
/// </remarks>
public sealed partial class ParallelGuessingTests(ITestOutputHelper output)
{
    private const int Sessions = 50;
    private const int Addresses = 5;
    private const int FailuresBeforeBlock = 10;
    private const int MaxConcurrentHashes = 2;
    private const long MemoryBudget = 50L * 1024 * 1024;
    private static readonly IPAddress Owner = IPAddress.Parse("127.0.0.40");

    private readonly ConcurrentBag<(IPAddress From, string Protocol, string Outcome)> _outcomes = [];

    [Fact]
    public async Task Fifty_parallel_guessing_sessions_are_slowed_then_blocked_memory_stays_flat_and_the_owner_still_logs_in()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("KEYPOST_GUESSING_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 20;
        var submission = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        var imap = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        await using var bed = TestBed.Create("keypost-service");
        var node = await bed.ServeAsync(TestBed.Operated.Then(c =>
        {
            c.Mail.Submission = [submission.ToString()];
            c.Mail.Imap = [imap.ToString()];
            c.Mail.LoginFailuresBeforeBlock = FailuresBeforeBlock;
            // The bound that keeps memory flat: at most this many Argon2id hashes (19 MiB each) at once, whatever
            // the number of processors of the machine the test runs on.
            c.Mail.MaxConcurrentPasswordHashes = MaxConcurrentHashes;
        }));
        var pid = node.Server.ProcessId ?? throw new InvalidOperationException("keypost serve is not running");

        // Idle: started, one successful login on each protocol done (so code paths are loaded), then left alone.
        Assert.True(await SmtpOwnerLogsInAsync(submission), "the owner could not log in by SMTP before the attack");
        Assert.True(await ImapOwnerLogsInAsync(imap), "the owner could not log in by IMAP before the attack");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idle = Rss(pid);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var peak = idle;
        var samples = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(pid));
                samples++;
                await Task.Delay(50, CancellationToken.None);
            }
        });
        var guessers = Enumerable.Range(0, Sessions).Select(i =>
        {
            var from = IPAddress.Parse($"127.0.0.{21 + (i % Addresses)}");
            return i % 2 == 0 ? Task.Run(() => SmtpGuesserAsync(submission, from, i, stop.Token)) : Task.Run(() => ImapGuesserAsync(imap, from, i, stop.Token));
        }).ToList();

        // Halfway through the attack the owner, from another address, logs in on both protocols.
        await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
        var smtpDuring = await SmtpOwnerLogsInAsync(submission);
        var imapDuring = await ImapOwnerLogsInAsync(imap);
        await Task.WhenAll(guessers);
        await sampler;
        peak = Math.Max(peak, Rss(pid));

        var metrics = await ScrapeAsync(node.Metrics);
        var log = node.LogEntries();
        output.WriteLine($"{seconds} s, {Sessions} sessions from {Addresses} addresses: idle RSS {idle / 1048576.0:F1} MiB, peak {peak / 1048576.0:F1} MiB (+{(peak - idle) / 1048576.0:F1} MiB) over {samples} samples");
        foreach (var group in _outcomes.GroupBy(o => (o.From, o.Protocol, o.Outcome)).OrderBy(g => g.Key.From.ToString()).ThenBy(g => g.Key.Protocol).ThenBy(g => g.Key.Outcome))
        {
            output.WriteLine($"{group.Key.From} {group.Key.Protocol} {group.Key.Outcome}: {group.Count()}");
        }

        Assert.True(smtpDuring, "the owner's SMTP AUTH from another address failed during the attack");
        Assert.True(imapDuring, "the owner's IMAP LOGIN from another address failed during the attack");
        Assert.True(await SmtpOwnerLogsInAsync(submission), "the owner's SMTP AUTH failed after the attack");
        Assert.True(await ImapOwnerLogsInAsync(imap), "the owner's IMAP LOGIN failed after the attack");

        for (var a = 0; a < Addresses; a++)
        {
            var from = IPAddress.Parse($"127.0.0.{21 + a}");
            // Slowed: every failure the server counted for this address was answered after a pause (2 s doubling
            // with the address's or the account's count), and one of them blocked the address.
            var counted = log.Where(e => LogEntry.EventId(e) is 1021 or 3021 && LogEntry.State(e, "Peer") == from.ToString()).ToList();
            Assert.NotEmpty(counted);
            Assert.All(counted, e => Assert.True(long.Parse(LogEntry.State(e, "DelayMs")!, CultureInfo.InvariantCulture) >= 2000, LogEntry.Message(e)));
            Assert.Contains(counted, e => LogEntry.State(e, "Blocked")!.Contains("blocked", StringComparison.Ordinal));
            // Password checks per address are bounded whatever the duration: the threshold, plus at most one guess
            // per session of that address already past the block check when the block began.
            Assert.InRange(counted.Count, FailuresBeforeBlock, FailuresBeforeBlock + (Sessions / Addresses));

            // Blocked on both protocols: guessing over one shuts the other too (one LoginThrottle for the host). An
            // address that also opened more than its connections per minute may meet that limit first: also a BYE.
            Assert.StartsWith("421 4.7.0", await GreetingAsync(submission, from, smtp: true));
            Assert.Matches(@"^\* BYE Too many (failed logins|connections)", await GreetingAsync(imap, from, smtp: false));
        }

        Assert.Equal(Addresses, Sample(metrics, "keypost_abuse_blocked_addresses", ""));
        Assert.True(Sample(metrics, "keypost_abuse_login_failures_total", "protocol=\"smtp\"") > 0, metrics);
        Assert.True(Sample(metrics, "keypost_abuse_login_failures_total", "protocol=\"imap\"") > 0, metrics);
        Assert.True(Sample(metrics, "keypost_abuse_connections_refused_total", "limit=\"login_block\"") > 0, metrics);
        Assert.True(peak - idle <= MemoryBudget, $"peak RSS {peak / 1048576.0:F1} MiB is more than 50 MiB over idle {idle / 1048576.0:F1} MiB");
    }

    private async Task SmtpGuesserAsync(IPEndPoint server, IPAddress from, int id, CancellationToken stop)
    {
        var guess = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await LineClient.ConnectAsync(server, from, stop);
                var greeting = await client.ReadSmtpReplyAsync(stop);
                if (greeting is null || !greeting.StartsWith("220 ", StringComparison.Ordinal))
                {
                    Record(from, "smtp", greeting?.StartsWith("421 4.7.0", StringComparison.Ordinal) == true ? "refused" : "other");
                    await Task.Delay(100, stop);
                    continue;
                }

                await client.SmtpCommandAsync("EHLO guesser.test", stop);
                if ((await client.SmtpCommandAsync("STARTTLS", stop))?.StartsWith("220 ", StringComparison.Ordinal) != true)
                {
                    continue;
                }

                await client.StartTlsAsync("mx.jedi.test", stop);
                await client.SmtpCommandAsync("EHLO guesser.test", stop);
                while (!stop.IsCancellationRequested)
                {
                    var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0luke@jedi.test\0guess-{id}-{guess++}"));
                    var reply = await client.SmtpCommandAsync("AUTH PLAIN " + plain, stop);
                    if (reply is null)
                    {
                        break;
                    }

                    Record(from, "smtp", reply.StartsWith("535 ", StringComparison.Ordinal) ? "failed" : reply.StartsWith("454 4.7.0", StringComparison.Ordinal) ? "blocked" : reply.StartsWith("421 ", StringComparison.Ordinal) ? "closed" : "other");
                    if (!reply.StartsWith("535 ", StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // The server closed, or the attack is over.
            }
        }
    }

    private async Task ImapGuesserAsync(IPEndPoint server, IPAddress from, int id, CancellationToken stop)
    {
        var guess = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await LineClient.ConnectAsync(server, from, stop);
                var greeting = await client.ReadLineAsync(stop);
                if (greeting is null || !greeting.StartsWith("* OK", StringComparison.Ordinal))
                {
                    Record(from, "imap", greeting?.StartsWith("* BYE Too many failed logins", StringComparison.Ordinal) == true ? "refused" : greeting?.StartsWith("* BYE Too many connections", StringComparison.Ordinal) == true ? "rate" : "other");
                    await Task.Delay(100, stop);
                    continue;
                }

                if ((await client.ImapCommandAsync("s", "STARTTLS", stop)).LastOrDefault()?.StartsWith("s OK", StringComparison.Ordinal) != true)
                {
                    continue;
                }

                await client.StartTlsAsync("mx.jedi.test", stop);
                while (!stop.IsCancellationRequested)
                {
                    var tag = "g" + guess;
                    var lines = await client.ImapCommandAsync(tag, $"LOGIN luke@jedi.test guess-{id}-{guess++}", stop);
                    var tagged = lines.LastOrDefault(l => l.StartsWith(tag + " ", StringComparison.Ordinal));
                    if (tagged is null)
                    {
                        break;
                    }

                    Record(from, "imap", tagged.Contains("[AUTHENTICATIONFAILED]", StringComparison.Ordinal) ? "failed" : tagged.Contains("[UNAVAILABLE]", StringComparison.Ordinal) ? "blocked" : "other");
                    if (lines.Any(l => l.StartsWith("* BYE", StringComparison.Ordinal)))
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // The server closed, or the attack is over.
            }
        }
    }

    private static async Task<string> GreetingAsync(IPEndPoint server, IPAddress from, bool smtp)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await LineClient.ConnectAsync(server, from, timeout.Token);
        return (smtp ? await client.ReadSmtpReplyAsync(timeout.Token) : await client.ReadLineAsync(timeout.Token)) ?? "(closed)";
    }

    private void Record(IPAddress from, string protocol, string outcome) => _outcomes.Add((from, protocol, outcome));

    private static async Task<bool> SmtpOwnerLogsInAsync(IPEndPoint server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var client = await LineClient.ConnectAsync(server, Owner, timeout.Token);
        await client.ReadSmtpReplyAsync(timeout.Token);
        await client.SmtpCommandAsync("EHLO luke.jedi.test", timeout.Token);
        await client.SmtpCommandAsync("STARTTLS", timeout.Token);
        await client.StartTlsAsync("mx.jedi.test", timeout.Token);
        await client.SmtpCommandAsync("EHLO luke.jedi.test", timeout.Token);
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0luke@jedi.test\0" + TestBed.LukePassword));
        var reply = await client.SmtpCommandAsync("AUTH PLAIN " + plain, timeout.Token);
        await client.SmtpCommandAsync("QUIT", timeout.Token);
        return reply?.StartsWith("235 ", StringComparison.Ordinal) == true;
    }

    private static async Task<bool> ImapOwnerLogsInAsync(IPEndPoint server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var client = await LineClient.ConnectAsync(server, Owner, timeout.Token);
        await client.ReadLineAsync(timeout.Token);
        await client.ImapCommandAsync("a", "STARTTLS", timeout.Token);
        await client.StartTlsAsync("mx.jedi.test", timeout.Token);
        var login = await client.ImapCommandAsync("b", $"LOGIN luke@jedi.test {TestBed.LukePassword}", timeout.Token);
        await client.ImapCommandAsync("c", "LOGOUT", timeout.Token);
        return login.LastOrDefault()?.StartsWith("b OK", StringComparison.Ordinal) == true;
    }

    // VmRSS of /proc/PID/status, in bytes.
    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmRSS in /proc/" + pid + "/status");
    }

    private static async Task<string> ScrapeAsync(IPEndPoint metrics)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{metrics}") };
        return await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }

    // Sums the samples of one metric whose labels contain the given text (Prometheus exposition format).
    private static double Sample(string metrics, string name, string labelText) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => l.Contains(labelText, StringComparison.Ordinal))
            .Select(l => SampleValue().Match(l))
            .Where(m => m.Success)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\}?\s([0-9.eE+\-]+)(\s\d+)?\s*$")]
    private static partial Regex SampleValue();
}
