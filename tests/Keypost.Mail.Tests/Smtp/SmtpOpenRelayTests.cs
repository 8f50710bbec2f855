namespace Keypost.Mail.Tests.Smtp;

/// <summary>The sender and recipient forms nmap's smtp-open-relay script tries; none may be relayed.</summary>
public sealed class SmtpOpenRelayTests
{
    public static TheoryData<string> Senders => new() { "<>", "<antispam@jedi.test>", "<antispam@[127.0.0.1]>" };

    private static readonly string[] Recipients =
    [
        "<relaytest@nmap.scanme.org>",
        "<relaytest%nmap.scanme.org@[127.0.0.1]>",
        "<relaytest%nmap.scanme.org@jedi.test>",
        "<\"relaytest@nmap.scanme.org\">",
        "<\"relaytest%nmap.scanme.org\">",
        "<relaytest@nmap.scanme.org@[127.0.0.1]>",
        "<\"relaytest@nmap.scanme.org\"@[127.0.0.1]>",
        "<relaytest@nmap.scanme.org@jedi.test>",
        "<\"relaytest@nmap.scanme.org\"@jedi.test>",
        "<\"relaytest%nmap.scanme.org\"@jedi.test>",
        "<@[127.0.0.1]:relaytest@nmap.scanme.org>",
        "<@jedi.test:relaytest@nmap.scanme.org>",
        "<@jedi.test,@mx.jedi.test:relaytest@nmap.scanme.org>",
        "<nmap.scanme.org!relaytest>",
        "<nmap.scanme.org!relaytest@[127.0.0.1]>",
        "<nmap.scanme.org!relaytest@jedi.test>",
    ];

    [Theory]
    [MemberData(nameof(Senders))]
    public async Task Every_relay_probe_is_refused(string sender)
    {
        await using var server = await SmtpTestServer.StartAsync(o => new()
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            MaxErrors = 1000,
        });
        await using var client = await server.InboundAsync();

        foreach (var recipient in Recipients)
        {
            var mail = await client.CommandAsync("MAIL FROM:" + sender);
            if (mail.StartsWith("250", StringComparison.Ordinal))
            {
                var rcpt = await client.CommandAsync("RCPT TO:" + recipient);
                Assert.True(rcpt.StartsWith('5'), $"{sender} -> {recipient}: {rcpt}");
                Assert.StartsWith("554 5.5.1", await client.CommandAsync("DATA"));
            }
            else
            {
                Assert.StartsWith("5", mail);
            }

            Assert.StartsWith("250", await client.CommandAsync("RSET"));
        }

        Assert.Empty(server.Acceptor.Messages);
    }

    [Theory]
    [InlineData("<relaytest%nmap.scanme.org@jedi.test>", "550 5.1.1")]
    [InlineData("<nmap.scanme.org!relaytest@jedi.test>", "550 5.1.1")]
    [InlineData("<\"relaytest@nmap.scanme.org\"@jedi.test>", "550 5.1.1")]
    [InlineData("<relaytest@nmap.scanme.org>", "550 5.7.1")]
    [InlineData("<relaytest%nmap.scanme.org@[127.0.0.1]>", "550 5.7.1")]
    [InlineData("<@jedi.test:relaytest@nmap.scanme.org>", "550 5.7.1")]
    [InlineData("<nmap.scanme.org!relaytest>", "501 5.1.3")]
    [InlineData("<relaytest@nmap.scanme.org@jedi.test>", "501 5.1.3")]
    public async Task Percent_hack_bang_paths_and_source_routes_never_route(string recipient, string expected)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<antispam@jedi.test>");

        Assert.StartsWith(expected, await client.CommandAsync("RCPT TO:" + recipient));
    }

    [Fact]
    public async Task Source_route_to_a_local_account_is_stripped_and_delivered_locally()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<@relay.rebel.test:luke@jedi.test>"));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("x\r\n."));
        Assert.Equal("luke@jedi.test", Assert.Single(server.Acceptor.Messages).Envelope.Recipients[0].ToString());
    }
}
