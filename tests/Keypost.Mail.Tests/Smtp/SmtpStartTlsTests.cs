namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpStartTlsTests
{
    [Fact]
    public async Task Plaintext_pipelined_after_starttls_is_discarded()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        // CVE-2011-0411: the injected RSET must not be answered inside TLS.
        await client.SendAsync("STARTTLS\r\nRSET\r\n");
        Assert.StartsWith("220 2.0.0", await client.ReadReplyAsync());
        await client.StartTlsAsync();

        Assert.StartsWith("250-mx.jedi.test", await client.CommandAsync("EHLO client.rebel.test"));
        Assert.StartsWith("250 2.0.0", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Session_state_resets_after_tls_so_ehlo_is_needed_again()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("220", await client.CommandAsync("STARTTLS"));
        await client.StartTlsAsync();

        Assert.StartsWith("503 5.5.1", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        await client.CommandAsync("EHLO client.rebel.test");
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("secret\r\n."));
        Assert.True(Assert.Single(server.Acceptor.Messages).Session.IsSecure);
    }

    [Fact]
    public async Task Second_starttls_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("STARTTLS");
        await client.StartTlsAsync();
        await client.CommandAsync("EHLO client.rebel.test");

        Assert.StartsWith("502 5.5.1", await client.CommandAsync("STARTTLS"));
    }
}
