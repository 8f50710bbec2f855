using System.Net;
using Keypost.Core.Abuse;

namespace Keypost.Mail.Tests.Smtp;

/// <summary>Issue #13: failed AUTH counted per address across sessions, blocks, and per-address connection limits.</summary>
public sealed class SmtpAuthAbuseTests
{
    private static readonly IPAddress OtherClient = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Parallel_guessing_from_one_address_is_blocked_and_another_address_still_logs_in()
    {
        var throttle = new LoginThrottle(new LoginThrottleOptions { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, AddressBlockThreshold = 6 }, TimeProvider.System);
        await using var server = await SmtpTestServer.StartAsync(o => new Keypost.Mail.Smtp.SmtpListenerOptions
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            LoginThrottle = throttle,
            MaxSessionsPerAddress = 50,
        });

        // 10 sessions at once, each guessing until the server closes it: per session only 3 tries are allowed, so
        // without the shared count they would make 30 guesses; the address is blocked after 6 over all of them.
        var replies = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            // Port 587: a refusal at connect time is a plaintext 421 there (on 465 it would come before TLS).
            await using var client = await SmtpTestClient.ConnectAsync(server.Submission);
            var greeting = await client.ReadReplyAsync();
            if (!greeting.StartsWith("220 ", StringComparison.Ordinal))
            {
                return new List<string> { greeting };
            }

            var seen = new List<string>();
            await client.CommandAsync("EHLO guesser.test");
            await client.CommandAsync("STARTTLS");
            await client.StartTlsAsync();
            await client.CommandAsync("EHLO guesser.test");
            for (var guess = 0; guess < 5; guess++)
            {
                string reply;
                try
                {
                    // A 421 the server sent after the last 535 arrives here as the next "reply".
                    reply = await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", $"guess-{i}-{guess}"));
                }
                catch (IOException)
                {
                    break;
                }

                seen.Add(reply);
                if (reply.StartsWith("421 ", StringComparison.Ordinal) || reply.StartsWith("454 ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            return seen;
        }));

        var all = replies.SelectMany(r => r).ToList();
        var failures = all.Count(r => r.StartsWith("535 5.7.8", StringComparison.Ordinal));
        Assert.InRange(failures, 6, 6 + 10); // at most one guess per session in flight when the block began
        Assert.Contains(all, r => r.StartsWith("454 4.7.0", StringComparison.Ordinal) || r.StartsWith("421 4.7.0", StringComparison.Ordinal));
        Assert.NotNull(throttle.BlockedFor(IPAddress.Loopback));

        // A new connection from the blocked address is refused at once, before any password is checked.
        await using (var blocked = await SmtpTestClient.ConnectAsync(server.Submission))
        {
            Assert.StartsWith("421 4.7.0", await blocked.ReadReplyAsync());
        }

        // The right password from another address works, and is not made to wait for the guesser's failures.
        await using var luke = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true, from: OtherClient);
        Assert.StartsWith("220 ", await luke.ReadReplyAsync());
        await luke.CommandAsync("EHLO luke.jedi.test");
        Assert.StartsWith("235 2.7.0", await luke.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", SmtpTestServer.LukePassword)));
    }

    [Fact]
    public async Task Auth_in_an_open_session_of_a_blocked_address_is_454_without_a_password_check()
    {
        var throttle = new LoginThrottle(new LoginThrottleOptions { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, AddressBlockThreshold = 2 }, TimeProvider.System);
        await using var server = await SmtpTestServer.StartAsync(o => new Keypost.Mail.Smtp.SmtpListenerOptions
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            LoginThrottle = throttle,
        });
        await using var waiting = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true);
        await waiting.ReadReplyAsync();
        await waiting.CommandAsync("EHLO waiting.test");

        await using (var guesser = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true))
        {
            await guesser.ReadReplyAsync();
            await guesser.CommandAsync("EHLO guesser.test");
            Assert.StartsWith("535 5.7.8", await guesser.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", "a")));
            var second = await guesser.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", "b"));
            Assert.StartsWith("535 5.7.8", second);
            Assert.StartsWith("421 4.7.0", await guesser.ReadReplyAsync());
        }

        // Even the right password: the address is blocked, and its attempts are not even hashed.
        var checks = server.Accounts.AuthenticationCount;
        Assert.StartsWith("454 4.7.0", await waiting.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", SmtpTestServer.LukePassword)));
        Assert.Equal(checks, server.Accounts.AuthenticationCount);
    }

    [Fact]
    public async Task Connections_over_the_per_address_limit_get_421()
    {
        await using var server = await SmtpTestServer.StartAsync(o => new Keypost.Mail.Smtp.SmtpListenerOptions
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            AuthFailureDelay = TimeSpan.Zero,
            MaxSessionsPerAddress = 2,
        });
        await using var first = await SmtpTestClient.ConnectAsync(server.Inbound);
        Assert.StartsWith("220 ", await first.ReadReplyAsync());
        await using var second = await SmtpTestClient.ConnectAsync(server.Inbound);
        Assert.StartsWith("220 ", await second.ReadReplyAsync());

        await using (var third = await SmtpTestClient.ConnectAsync(server.Inbound))
        {
            Assert.StartsWith("421 4.7.0", await third.ReadReplyAsync());
        }

        await using var elsewhere = await SmtpTestClient.ConnectAsync(server.Inbound, from: OtherClient);
        Assert.StartsWith("220 ", await elsewhere.ReadReplyAsync());
    }

    [Fact]
    public async Task Connections_over_the_per_minute_rate_of_an_address_get_421()
    {
        await using var server = await SmtpTestServer.StartAsync(o => new Keypost.Mail.Smtp.SmtpListenerOptions
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            AuthFailureDelay = TimeSpan.Zero,
            ConnectionsPerMinutePerAddress = 3,
        });
        for (var i = 0; i < 3; i++)
        {
            await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
            Assert.StartsWith("220 ", await client.ReadReplyAsync());
            Assert.StartsWith("221 ", await client.CommandAsync("QUIT"));
        }

        await using (var fourth = await SmtpTestClient.ConnectAsync(server.Inbound))
        {
            Assert.StartsWith("421 4.7.0", await fourth.ReadReplyAsync());
        }

        Assert.Equal(1, server.Listener.Connections.RefusedTooFast);
        await using var elsewhere = await SmtpTestClient.ConnectAsync(server.Inbound, from: OtherClient);
        Assert.StartsWith("220 ", await elsewhere.ReadReplyAsync());
    }
}
