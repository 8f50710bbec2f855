using System.Text;
using Keypost.Mail.Smtp;

namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpDataTests
{
    private static async Task<SmtpTestClient> ReadyForDataAsync(SmtpTestServer server)
    {
        var client = await server.InboundAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        return client;
    }

    public static TheoryData<string> SmugglingVariants => new()
    {
        "\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n\0.\r\n", "\r\r\n.\r\r\n", "\n.\r",
    };

    [Theory]
    [MemberData(nameof(SmugglingVariants))]
    public async Task Smuggled_end_of_data_stays_content_of_one_message(string variant)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);

        var smuggled = "MAIL FROM:<vader@empire.test>\r\nRCPT TO:<luke@jedi.test>\r\nDATA\r\npart2";
        await client.SendAsync("Subject: part1\r\n\r\npart1" + variant + smuggled + "\r\n.\r\n");

        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        var message = Assert.Single(server.Acceptor.Messages);
        Assert.Contains("MAIL FROM:<vader@empire.test>", message.Text, StringComparison.Ordinal);
        Assert.Contains("part2", message.Text, StringComparison.Ordinal);
        Assert.Equal("leia@rebel.test", message.Envelope.ReversePath!.ToString());
    }

    [Fact]
    public async Task Dot_then_bare_lf_at_the_start_is_content()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);

        await client.SendAsync(".\nMAIL FROM:<vader@empire.test>\r\nRCPT TO:<luke@jedi.test>\r\nDATA\r\npart2\r\n.\r\n");

        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        var message = Assert.Single(server.Acceptor.Messages);
        Assert.StartsWith("\nMAIL FROM:<vader@empire.test>\r\n", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bare_lf_and_bare_cr_are_kept_as_content_byte_for_byte()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);

        Assert.StartsWith("250", await client.CommandAsync("a\nb\rc\r\n."));
        Assert.Equal("a\nb\rc\r\n", Assert.Single(server.Acceptor.Messages).Text);
    }

    [Fact]
    public async Task Dot_stuffing_is_undone()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);

        Assert.StartsWith("250", await client.CommandAsync("..\r\n..leading\r\nmid.dle\r\n...\r\n."));
        Assert.Equal(".\r\n.leading\r\nmid.dle\r\n..\r\n", Assert.Single(server.Acceptor.Messages).Text);
    }

    [Fact]
    public async Task A_dot_stuffed_line_at_the_limit_survives()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);
        // Issue #13: lines over 998 octets are refused now (see The_line_limit_is_998_octets_before_crlf).
        var longLine = new string('z', 998);

        Assert.StartsWith("250", await client.CommandAsync("." + longLine + "\r\n."));
        Assert.Equal(longLine + "\r\n", Assert.Single(server.Acceptor.Messages).Text);
    }

    [Fact]
    public async Task Large_message_spools_beyond_memory_and_arrives_intact()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);
        var body = new StringBuilder();
        for (var i = 0; i < 40_000; i++)
        {
            body.Append("line ").Append(i).Append("\r\n");
        }

        Assert.StartsWith("250", await client.CommandAsync(body + "."));
        Assert.Equal(body.ToString(), Assert.Single(server.Acceptor.Messages).Text);
    }

    [Fact]
    public async Task Acceptor_refusal_is_the_reply_to_data()
    {
        await using var server = await SmtpTestServer.StartAsync();
        server.Acceptor.Result = () => new AcceptResult(554, "5.7.1", "Message rejected as spam");
        await using var client = await ReadyForDataAsync(server);

        Assert.Equal("554 5.7.1 Message rejected as spam", await client.CommandAsync("spam\r\n."));
    }

    [Fact]
    public async Task Acceptor_failure_is_451_4_3_0_and_the_session_goes_on()
    {
        await using var server = await SmtpTestServer.StartAsync();
        server.Acceptor.Throw = true;
        await using var client = await ReadyForDataAsync(server);

        Assert.StartsWith("451 4.3.0", await client.CommandAsync("text\r\n."));
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("RCPT TO:<luke@jedi.test>"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
    }

    [Fact]
    public async Task Two_messages_in_one_session_are_two_messages()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);
        Assert.StartsWith("250", await client.CommandAsync("one\r\n."));
        await client.CommandAsync("MAIL FROM:<leia@rebel.test>");
        await client.CommandAsync("RCPT TO:<obiwan@jedi.test>");
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("two\r\n."));

        Assert.Equal(["one\r\n", "two\r\n"], server.Acceptor.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task A_10_MiB_line_without_crlf_is_refused_and_not_stored()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);

        await client.SendAsync("Subject: long\r\n\r\n");
        var chunk = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync(chunk);
        }

        await client.SendAsync("\r\n.\r\n");

        // RFC 5321 §4.5.3.1.6: lines are at most 1000 octets with CRLF; refused (not wrapped), session in step.
        Assert.StartsWith("554 5.6.0", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        Assert.Empty(server.Acceptor.Messages);
    }

    [Theory]
    [InlineData("", 998, true)]
    [InlineData("", 999, false)]
    [InlineData("..", 997, true)] // the dot added by stuffing does not count: 998 octets once unstuffed
    [InlineData("..", 998, false)]
    public async Task The_line_limit_is_998_octets_before_crlf(string prefix, int length, bool accepted)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await ReadyForDataAsync(server);

        await client.SendAsync("Subject: edge\r\n\r\n" + prefix + new string('y', length) + "\r\nshort\r\n.\r\n");

        Assert.StartsWith(accepted ? "250 2.0.0" : "554 5.6.0", await client.ReadReplyAsync());
        Assert.Equal(accepted ? 1 : 0, server.Acceptor.Messages.Count);
    }
}
