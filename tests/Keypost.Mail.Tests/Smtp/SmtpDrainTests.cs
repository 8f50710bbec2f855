namespace Keypost.Mail.Tests.Smtp;

/// <summary>
/// RFC 5321 §3.8: a server shutting down may answer 421 and close. A graceful stop (SIGTERM under
/// `keypost serve`) tells sessions between transactions at once, and lets a transaction under way finish
/// until the drain time is over; after that, what is left gets 421 and nothing is claimed.
/// </summary>
public sealed class SmtpDrainTests
{
    [Fact]
    public async Task Sessions_between_transactions_get_421_and_one_under_way_may_finish()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var idle = await server.InboundAsync();
        await using var busy = await server.InboundAsync();
        Assert.StartsWith("250", await busy.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250", await busy.CommandAsync("RCPT TO:<luke@jedi.test>"));

        var draining = server.Listener.DrainAsync(TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.StartsWith("421 4.3.2 ", await idle.ReadReplyAsync());
        Assert.True(await idle.IsClosedAsync());
        Assert.False(draining.IsCompleted, "the drain ended with a transaction still under way");
        Assert.StartsWith("354", await busy.CommandAsync("DATA"));
        Assert.StartsWith("250", await busy.CommandAsync("Subject: drained\r\n\r\nfinished in time\r\n."));
        Assert.StartsWith("421 4.3.2 ", await busy.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        await draining;
        Assert.Single(server.Acceptor.Messages);
    }

    [Fact]
    public async Task When_the_drain_time_is_over_a_transaction_under_way_gets_421_and_nothing_is_kept()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var stalled = await server.InboundAsync();
        Assert.StartsWith("250", await stalled.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250", await stalled.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("354", await stalled.CommandAsync("DATA"));
        await stalled.SendAsync("Subject: never finished\r\n\r\nhalf a mess");

        await server.Listener.DrainAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.StartsWith("421 4.3.2 ", await stalled.ReadReplyAsync());
        Assert.Empty(server.Acceptor.Messages);
    }
}
