using System.Net;
using Keypost.Core.Abuse;

namespace Keypost.Imap.Tests;

/// <summary>
/// Issue #13: failed IMAP LOGIN and AUTHENTICATE counted per client address and per account across sessions by
/// the shared <see cref="LoginThrottle"/>, the address blocked (RFC 5530 UNAVAILABLE, BYE at the greeting), and
/// per-address connection and rate limits.
/// </summary>
public sealed class ImapLoginAbuseTests
{
    private static readonly IPAddress OtherClient = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Failures_over_sessions_block_the_address_and_another_address_still_logs_in()
    {
        var throttle = new LoginThrottle(new LoginThrottleOptions { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, AddressBlockThreshold = 4 }, TimeProvider.System);
        await using var server = await ImapTestServer.StartAsync(configure: o => new ImapListenerOptions
        {
            HostName = o.HostName, Certificate = o.Certificate, Endpoints = o.Endpoints, LoginThrottle = throttle,
        });
        // A session that stays open while others guess: it sees the block when it tries next.
        await using var waiting = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        Assert.StartsWith("* OK", await waiting.ReadLineAsync());

        // Per session only 3 failures are allowed (MaxAuthFailures); the address is blocked after 4 over all sessions.
        await using (var first = await RawImapClient.ConnectAsync(server.Implicit, tls: true))
        {
            await first.ReadLineAsync();
            Assert.StartsWith("a NO [AUTHENTICATIONFAILED]", (await first.CommandAsync("a", "LOGIN luke@jedi.test guess-1"))[^1]);
            Assert.StartsWith("b NO [AUTHENTICATIONFAILED]", (await first.CommandAsync("b", "LOGIN luke@jedi.test guess-2"))[^1]);
        }

        await using (var second = await RawImapClient.ConnectAsync(server.Implicit, tls: true))
        {
            await second.ReadLineAsync();
            Assert.StartsWith("a NO [AUTHENTICATIONFAILED]", (await second.CommandAsync("a", "AUTHENTICATE PLAIN " + Plain("luke@jedi.test", "guess-3")))[^1]);
            var blocking = await second.CommandAsync("b", "LOGIN luke@jedi.test guess-4");
            Assert.Contains(blocking, l => l.StartsWith("* BYE", StringComparison.Ordinal));
            Assert.StartsWith("b NO [AUTHENTICATIONFAILED]", blocking[^1]);
            Assert.Null(await second.ReadLineAsync());
        }

        Assert.NotNull(throttle.BlockedFor(IPAddress.Loopback));

        // Even the right password from the blocked address: refused for now, without a password hash.
        var checks = server.Accounts.AuthenticationCount;
        var refused = await waiting.CommandAsync("a", $"LOGIN {ImapTestServer.Luke} \"{ImapTestServer.LukePassword}\"");
        Assert.StartsWith("a NO [UNAVAILABLE]", refused[^1]);
        Assert.Equal(checks, server.Accounts.AuthenticationCount);

        // A new connection from the blocked address gets BYE as its greeting.
        await using (var later = await RawImapClient.ConnectAsync(server.StartTls, tls: false))
        {
            Assert.StartsWith("* BYE", await later.ReadLineAsync());
        }

        // The owner, from another address, logs in at once.
        await using var luke = await RawImapClient.ConnectAsync(server.Implicit, tls: true, from: OtherClient);
        Assert.StartsWith("* OK", await luke.ReadLineAsync());
        Assert.StartsWith("a OK", (await luke.CommandAsync("a", $"LOGIN {ImapTestServer.Luke} \"{ImapTestServer.LukePassword}\""))[^1]);
    }

    [Fact]
    public async Task Connections_over_the_per_address_and_rate_limits_get_bye()
    {
        await using var server = await ImapTestServer.StartAsync(configure: o => new ImapListenerOptions
        {
            HostName = o.HostName, Certificate = o.Certificate, Endpoints = o.Endpoints, AuthFailureDelay = TimeSpan.Zero,
            MaxSessionsPerAddress = 2, ConnectionsPerMinutePerAddress = 4,
        });
        await using var first = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        Assert.StartsWith("* OK", await first.ReadLineAsync());
        await using var second = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        Assert.StartsWith("* OK", await second.ReadLineAsync());
        await using (var third = await RawImapClient.ConnectAsync(server.StartTls, tls: false))
        {
            Assert.StartsWith("* BYE Too many connections from your address", await third.ReadLineAsync());
        }

        // Two more attempts (one admitted once a place is free) use up the four of this minute: the fifth is refused even with room.
        await first.DisposeAsync();
        await WaitUntilAsync(() => server.Listener.Connections.OpenFrom(IPAddress.Loopback) < 2);
        await using (var fourth = await RawImapClient.ConnectAsync(server.StartTls, tls: false))
        {
            Assert.StartsWith("* OK", await fourth.ReadLineAsync());
        }

        await using (var fifth = await RawImapClient.ConnectAsync(server.StartTls, tls: false))
        {
            Assert.StartsWith("* BYE Too many connections from your address, slow down", await fifth.ReadLineAsync());
        }

        Assert.Equal(1, server.Listener.Connections.RefusedTooMany);
        Assert.Equal(1, server.Listener.Connections.RefusedTooFast);

        // Another address has its own count.
        await using var elsewhere = await RawImapClient.ConnectAsync(server.StartTls, tls: false, from: OtherClient);
        Assert.StartsWith("* OK", await elsewhere.ReadLineAsync());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    private static string Plain(string user, string password) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0" + user + "\0" + password));
}
