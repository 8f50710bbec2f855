using System.Text;
using Keypost.Mail.Smtp;

namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpLimitTests
{
    private static Func<SmtpListenerOptions, SmtpListenerOptions> With(
        long maxSize = 25L * 1024 * 1024, int maxRecipients = 100, int maxErrors = 20, TimeSpan? commandTimeout = null) =>
        o => new SmtpListenerOptions
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            MaxMessageSize = maxSize,
            MaxRecipients = maxRecipients,
            MaxErrors = maxErrors,
            CommandTimeout = commandTimeout ?? o.CommandTimeout,
        };

    [Fact]
    public async Task Command_line_over_512_octets_is_500_5_5_2_and_the_session_goes_on()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.StartsWith("500 5.5.2", await client.CommandAsync("NOOP " + new string('x', 600)));
        Assert.StartsWith("250", await client.CommandAsync("NOOP " + new string('x', 500)));
    }

    [Fact]
    public async Task Ten_megabytes_without_crlf_get_an_error_and_the_connection_is_dropped()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        var sending = Task.Run(async () =>
        {
            try
            {
                await client.SendAsync(new byte[10 * 1024 * 1024].Select(_ => (byte)'A').ToArray());
            }
            catch (IOException)
            {
                // The server hangs up before taking it all, as it should.
            }
        });

        Assert.StartsWith("500 5.5.2", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
        await sending;
    }

    [Fact]
    public async Task More_recipients_than_allowed_get_452_4_5_3()
    {
        await using var server = await SmtpTestServer.StartAsync(With(maxRecipients: 2));
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<obiwan@jedi.test>"));
        Assert.StartsWith("452 4.5.3", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
    }

    [Fact]
    public async Task Default_recipient_limit_is_100()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.SubmitterAsync();
        await client.CommandAsync("MAIL FROM:<luke@jedi.test>");

        var batch = new StringBuilder();
        for (var i = 0; i <= 100; i++)
        {
            batch.Append($"RCPT TO:<r{i}@rebel.test>\r\n");
        }

        await client.SendAsync(batch.ToString());
        for (var i = 0; i < 100; i++)
        {
            Assert.StartsWith("250 2.1.5", await client.ReadReplyAsync());
        }

        Assert.StartsWith("452 4.5.3", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Data_over_the_size_limit_is_read_to_the_end_and_refused_with_552()
    {
        await using var server = await SmtpTestServer.StartAsync(With(maxSize: 1000));
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");
        await client.CommandAsync("RCPT TO:<luke@jedi.test>");
        await client.CommandAsync("DATA");

        var body = string.Concat(Enumerable.Repeat(new string('y', 70) + "\r\n", 1000));
        Assert.StartsWith("552 5.3.4", await client.CommandAsync(body + "."));
        Assert.Empty(server.Acceptor.Messages);

        // The session is still in step: the next transaction works.
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");
        await client.CommandAsync("RCPT TO:<luke@jedi.test>");
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("small\r\n."));
    }

    [Fact]
    public async Task Too_many_errors_close_with_421()
    {
        await using var server = await SmtpTestServer.StartAsync(With(maxErrors: 3));
        await using var client = await server.InboundAsync();

        await client.SendAsync("BOGUS\r\nBOGUS\r\nBOGUS\r\n");
        Assert.StartsWith("500 5.5.1", await client.ReadReplyAsync());
        Assert.StartsWith("500 5.5.1", await client.ReadReplyAsync());
        Assert.StartsWith("500 5.5.1", await client.ReadReplyAsync());
        Assert.StartsWith("421 4.7.0", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Idle_client_gets_421_and_is_disconnected()
    {
        await using var server = await SmtpTestServer.StartAsync(With(commandTimeout: TimeSpan.FromMilliseconds(300)));
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        await client.ReadReplyAsync();

        Assert.StartsWith("421 4.4.2", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task The_421_that_ends_a_session_reaches_a_client_still_sending()
    {
        await using var server = await SmtpTestServer.StartAsync(With(maxErrors: 3));
        await using var client = await server.InboundAsync();

        // Three bad commands end the session; 256 KiB more arrive after it. The server lingers (half-close, reads and
        // drops) so unread input does not reset the connection under the 421. Linux keeps data already received when
        // a RST follows, so the replies alone cannot tell; the socket's error can: a close with our junk unread
        // sends RST (SO_ERROR ECONNRESET/EPIPE here), a lingering close reads it all and ends with FIN only.
        var flood = new StringBuilder();
        for (var i = 0; i < 3; i++)
        {
            flood.Append("BOGUS\r\n");
        }

        flood.Append(new string('x', 70)).Append("\r\n");
        var junk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('j', 1022) + "\r\n", 256)));
        await client.SendAsync(flood.ToString());
        try
        {
            await client.SendAsync(junk);
        }
        catch (IOException)
        {
            // The server may have closed its side already: the point is what we can still read.
        }

        var replies = new List<string>();
        for (var reply = await client.TryReadReplyAsync(); reply is not null; reply = await client.TryReadReplyAsync())
        {
            replies.Add(reply);
        }

        Assert.Equal(3, replies.Count(r => r.StartsWith("500", StringComparison.Ordinal)));
        Assert.StartsWith("421 4.7.0", replies[^1]);
        Assert.Equal(0, await client.FinishAndGetSocketErrorAsync());
    }
}
