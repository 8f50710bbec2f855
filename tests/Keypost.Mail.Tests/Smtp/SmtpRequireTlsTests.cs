namespace Keypost.Mail.Tests.Smtp;

/// <summary>
/// Issue #13, RFC 8689 §3 and §4.1 on the receiving side: REQUIRETLS is offered only in the EHLO reply after
/// STARTTLS, MAIL FROM REQUIRETLS is refused over clear text (530 5.7.10), and over TLS the message is tagged.
/// </summary>
public sealed class SmtpRequireTlsTests
{
    [Fact]
    public async Task Requiretls_is_offered_and_taken_only_over_tls_and_the_message_keeps_the_tag()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        var clear = await client.CommandAsync("EHLO client.rebel.test");
        Assert.DoesNotContain("REQUIRETLS", clear, StringComparison.Ordinal);

        Assert.StartsWith("530 5.7.10", await client.CommandAsync("MAIL FROM:<leia@rebel.test> REQUIRETLS"));

        Assert.StartsWith("220 ", await client.CommandAsync("STARTTLS"));
        await client.StartTlsAsync();
        var secure = await client.CommandAsync("EHLO client.rebel.test");
        Assert.Contains("\n250-REQUIRETLS", secure.Replace("250 REQUIRETLS", "250-REQUIRETLS", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.StartsWith("555 5.5.4", await client.CommandAsync("MAIL FROM:<leia@rebel.test> REQUIRETLS=YES"));
        Assert.StartsWith("250 ", await client.CommandAsync("MAIL FROM:<leia@rebel.test> REQUIRETLS"));
        Assert.StartsWith("250 ", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("354 ", await client.CommandAsync("DATA"));
        Assert.StartsWith("250 ", await client.CommandAsync("From: <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: tagged\r\n\r\nHi.\r\n."));

        // Without the parameter the next message is not tagged.
        Assert.StartsWith("250 ", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250 ", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("354 ", await client.CommandAsync("DATA"));
        Assert.StartsWith("250 ", await client.CommandAsync("From: <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: plain\r\n\r\nHi.\r\n."));

        Assert.Collection(
            server.Acceptor.Messages,
            tagged => Assert.True(tagged.Envelope.RequireTls),
            plain => Assert.False(plain.Envelope.RequireTls));
        Assert.True(server.Acceptor.Messages[0].Envelope.ToQueueEnvelope().RequireTls);
    }
}
