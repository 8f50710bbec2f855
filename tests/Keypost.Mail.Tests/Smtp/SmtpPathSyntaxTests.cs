namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpPathSyntaxTests
{
    [Theory]
    [InlineData("MAIL FROM:leia@rebel.test", "501 5.5.4")]
    [InlineData("MAIL FROM:<leia@rebel.test", "501 5.5.4")]
    [InlineData("MAIL TO:<leia@rebel.test>", "501 5.5.4")]
    [InlineData("MAIL FROM:<leia@rebel.test>junk", "501 5.5.4")]
    [InlineData("MAIL FROM:<leia>", "553 5.1.7")]
    [InlineData("MAIL FROM:<le ia@rebel.test>", "553 5.1.7")]
    [InlineData("MAIL FROM:<leia@rebel.test> FOO=BAR", "555 5.5.4")]
    [InlineData("MAIL FROM:<leia@rebel.test> BODY=BINARYMIME", "555 5.5.4")]
    [InlineData("MAIL FROM:<leia@rebel.test> SIZE=abc", "555 5.5.4")]
    [InlineData("MAIL FROM:<leia@rebel.test> SIZE=999999999999", "552 5.3.4")]
    [InlineData("MAIL FROM:<leia@rebel.test> SIZE=1000 BODY=7BIT", "250 2.1.0")]
    [InlineData("MAIL FROM: <leia@rebel.test>", "250 2.1.0")]
    [InlineData("MAIL FROM:<léia@rebel.test>", "553 5.6.7")]
    [InlineData("MAIL FROM:<léia@rebel.test> SMTPUTF8", "250 2.1.0")]
    public async Task Mail_from_syntax(string command, string expected)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();

        Assert.StartsWith(expected, await client.CommandAsync(command));
    }

    [Theory]
    [InlineData("RCPT TO:luke@jedi.test", "501 5.5.4")]
    [InlineData("RCPT TO:<>", "501 5.1.3")]
    [InlineData("RCPT TO:<luke@jedi.test> NOTIFY=NEVER", "555 5.5.4")]
    [InlineData("RCPT TO:<luke@@jedi.test>", "501 5.1.3")]
    [InlineData("RCPT TO:<luke@jedi.test>", "250 2.1.5")]
    [InlineData("RCPT TO:<luke@jedi.test\n>", "500 5.5.2")]
    [InlineData("RCPT TO:<luke@jedi.test\r>", "500 5.5.2")]
    [InlineData("RCPT TO:<luke@jedi.test\0>", "500 5.5.2")]
    public async Task Rcpt_to_syntax(string command, string expected)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        Assert.StartsWith(expected, await client.CommandAsync(command));
    }

    [Fact]
    public async Task Parameters_need_ehlo()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        await client.ReadReplyAsync();
        await client.CommandAsync("HELO client.rebel.test");

        Assert.StartsWith("555 5.5.4", await client.CommandAsync("MAIL FROM:<leia@rebel.test> BODY=8BITMIME"));
    }

    [Fact]
    public async Task Crlf_inside_brackets_splits_the_command_and_nothing_is_accepted()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");

        await client.SendAsync("RCPT TO:<luke@jedi.test\r\n>\r\nDATA\r\n");

        Assert.StartsWith("501 5.5.4", await client.ReadReplyAsync());
        Assert.StartsWith("500 5.5.1", await client.ReadReplyAsync());
        Assert.StartsWith("554 5.5.1", await client.ReadReplyAsync());
        Assert.Empty(server.Acceptor.Messages);
    }
}
