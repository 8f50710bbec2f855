namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpInboundTests
{
    [Fact]
    public async Task Message_for_a_local_account_reaches_the_acceptor_with_its_envelope()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<leia@rebel.test> BODY=8BITMIME"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<Luke@JEDI.test>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        var reply = await client.CommandAsync("Subject: hi\r\n\r\nHello Luke\r\n.");

        Assert.Equal("250 2.0.0 Ok: queued as Q1", reply);
        var message = Assert.Single(server.Acceptor.Messages);
        Assert.Equal("Subject: hi\r\n\r\nHello Luke\r\n", message.Text);
        Assert.Equal("leia@rebel.test", message.Envelope.ReversePath!.ToString());
        Assert.Equal("luke@jedi.test", Assert.Single(message.Envelope.Recipients).Canonical);
        Assert.True(message.Envelope.EightBitMime);
        Assert.Equal(Keypost.Mail.Smtp.SmtpListenerKind.Inbound, message.Session.Kind);
        Assert.Equal("client.rebel.test", message.Session.HeloName);
        Assert.False(message.Session.IsSecure);
        Assert.Null(message.Session.AuthenticatedAccount);
        Assert.Equal("127.0.0.1", message.Session.RemoteAddress.ToString());
    }

    [Fact]
    public async Task Null_reverse_path_is_accepted_for_bounces()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("bounce\r\n."));
        Assert.Null(Assert.Single(server.Acceptor.Messages).Envelope.ReversePath);
    }

    [Fact]
    public async Task Unknown_user_of_a_hosted_domain_is_550_5_1_1()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        Assert.StartsWith("550 5.1.1", await client.CommandAsync("RCPT TO:<vader@jedi.test>"));
    }

    [Fact]
    public async Task Other_domains_are_relaying_denied()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        Assert.StartsWith("550 5.7.1", await client.CommandAsync("RCPT TO:<han@rebel.test>"));
    }

    [Fact]
    public async Task Smtputf8_recipient_needs_the_parameter()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");
        Assert.StartsWith("553 5.6.7", await client.CommandAsync("RCPT TO:<jürgen@jedi.test>"));
        await client.CommandAsync("RSET");
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test> SMTPUTF8"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<jürgen@jedi.test>"));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("x\r\n."));

        var envelope = Assert.Single(server.Acceptor.Messages).Envelope;
        Assert.True(envelope.SmtpUtf8);
        Assert.Equal("jürgen@jedi.test", envelope.Recipients[0].ToString());
    }

    [Fact]
    public async Task Pipelined_batch_is_answered_in_order()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        await client.SendAsync("MAIL FROM:<leia@rebel.test>\r\nRCPT TO:<luke@jedi.test>\r\nRCPT TO:<vader@jedi.test>\r\nDATA\r\n");

        Assert.StartsWith("250 2.1.0", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.1.5", await client.ReadReplyAsync());
        Assert.StartsWith("550 5.1.1", await client.ReadReplyAsync());
        Assert.StartsWith("354", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0", await client.CommandAsync("body\r\n."));
        Assert.Single(Assert.Single(server.Acceptor.Messages).Envelope.Recipients);
    }

    [Fact]
    public async Task Crlf_in_an_address_splits_into_two_commands_and_data_after_failed_rcpts_is_554()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        // The CRLF ends the RCPT line, so "DATA" is a command of its own, and with no accepted recipient
        // RFC 2920 wants it refused rather than waiting for content.
        await client.SendAsync("MAIL FROM:<leia@rebel.test>\r\nRCPT TO:<han@rebel.test>\r\nDATA\r\n");

        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.StartsWith("550 5.7.1", await client.ReadReplyAsync());
        Assert.StartsWith("554 5.5.1", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        Assert.Empty(server.Acceptor.Messages);
    }
}
