using System.Net;
using Keypost.Mail.Smtp;
using Keypost.Testing;
using Keypost.Testing.Mail;

namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpCommandTests
{
    [Theory]
    [InlineData("NOOP", "250 2.0.0")]
    [InlineData("RSET", "250 2.0.0")]
    [InlineData("VRFY luke@jedi.test", "252 2.5.0")]
    [InlineData("VRFY nobody@jedi.test", "252 2.5.0")]
    [InlineData("EXPN staff", "502 5.5.1")]
    [InlineData("HELP", "214 2.0.0")]
    [InlineData("BDAT 10 LAST", "500 5.5.1")]
    [InlineData("XYZZY", "500 5.5.1")]
    [InlineData("DATA", "503 5.5.1")]
    [InlineData("RCPT TO:<luke@jedi.test>", "503 5.5.1")]
    [InlineData("RSET now", "501 5.5.4")]
    public async Task Simple_commands(string command, string expected)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.StartsWith(expected, await client.CommandAsync(command));
    }

    [Fact]
    public async Task Vrfy_does_not_reveal_which_accounts_exist()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.Equal(await client.CommandAsync("VRFY luke@jedi.test"), await client.CommandAsync("VRFY nobody@jedi.test"));
    }

    [Fact]
    public async Task Mail_before_helo_is_out_of_sequence()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        await client.ReadReplyAsync();

        Assert.StartsWith("503 5.5.1", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
    }

    [Fact]
    public async Task Nested_mail_is_out_of_sequence_and_rset_clears_the_transaction()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        Assert.StartsWith("503 5.5.1", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        await client.CommandAsync("RSET");
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
    }

    [Fact]
    public async Task Quit_says_goodbye_and_closes()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.StartsWith("221 2.0.0", await client.CommandAsync("QUIT"));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Stop_tells_open_sessions_421_and_stops_listening()
    {
        var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        await server.Listener.StopAsync(CancellationToken.None);

        Assert.StartsWith("421 4.3.2", await client.ReadReplyAsync());
        await Assert.ThrowsAnyAsync<Exception>(async () => await SmtpTestClient.ConnectAsync(server.Inbound));
        await server.DisposeAsync();
    }

    [Fact]
    public void Submission_without_tls_is_a_configuration_error()
    {
        var options = new SmtpListenerOptions
        {
            HostName = "mx.jedi.test",
            Endpoints = [new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Submission, SmtpTlsMode.None)],
        };

        Assert.Throws<ArgumentException>(() => new SmtpListener(options, new FakeMailAccounts(), new RecordingAcceptor()));
    }
}
