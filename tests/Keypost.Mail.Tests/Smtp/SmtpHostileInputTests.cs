namespace Keypost.Mail.Tests.Smtp;

/// <summary>Issue #20 on the SMTP side: replies chosen on purpose, ASCII reply text, sessions that survive a failure.</summary>
public sealed class SmtpHostileInputTests
{
    [Theory]
    [InlineData("MAIL FROM:<a..b@rebel.test>")]
    [InlineData("MAIL FROM:<" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "@rebel.test>")]
    [InlineData("MAIL FROM:<a b@rebel.test>")]
    [InlineData("MAIL FROM:<leia@rebel..test>")]
    public async Task Reply_text_is_ascii_without_smtputf8(string command)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        var reply = await client.CommandAsync(command);

        Assert.StartsWith("5", reply);
        Assert.All(reply, c => Assert.True(c is '\r' or '\n' || (c >= ' ' && c < 0x7f), $"non-ASCII U+{(int)c:X4} in: {reply}"));
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task A_message_the_acceptor_cannot_parse_is_refused_for_good()
    {
        await using var server = await SmtpTestServer.StartAsync();
        server.Acceptor.Failure = new FormatException("Failed to parse message headers.");
        await using var client = await server.InboundAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));

        var reply = await client.CommandAsync("x\r\n.");

        Assert.StartsWith("554 5.6.0 ", reply);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task A_failure_inside_rcpt_gets_451_and_the_session_goes_on()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        server.Accounts.Failure = new InvalidOperationException("accounts store broke");

        var failed = await client.CommandAsync("RCPT TO:<luke@jedi.test>");
        server.Accounts.Failure = null;

        Assert.StartsWith("451 4.3.0 ", failed);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
    }
}
