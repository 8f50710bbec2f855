using System.Text;

namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpSubmissionTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task Mail_without_auth_is_530()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Submission);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");
        await client.CommandAsync("STARTTLS");
        await client.StartTlsAsync();
        await client.CommandAsync("EHLO client.jedi.test");

        Assert.StartsWith("530 5.7.0", await client.CommandAsync("MAIL FROM:<luke@jedi.test>"));
    }

    [Fact]
    public async Task Auth_before_tls_is_refused_with_538()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Submission);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");

        Assert.StartsWith("538 5.7.11", await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", SmtpTestServer.LukePassword)));
        Assert.StartsWith("530 5.7.0", await client.CommandAsync("MAIL FROM:<luke@jedi.test>"));
    }

    [Fact]
    public async Task Authenticated_account_sends_anywhere_in_its_own_name()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.SubmitterAsync();

        Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<LUKE@jedi.test>"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<leia@rebel.test>"));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250 2.0.0", await client.CommandAsync("Subject: x\r\n\r\nhi\r\n."));

        var message = Assert.Single(server.Acceptor.Messages);
        Assert.Equal("luke@jedi.test", message.Session.AuthenticatedAccount);
        Assert.True(message.Session.IsSecure);
        Assert.Equal(Keypost.Mail.Smtp.SmtpListenerKind.Submission, message.Session.Kind);
        Assert.Equal("leia@rebel.test", message.Envelope.Recipients[0].ToString());
    }

    [Theory]
    [InlineData("<leia@rebel.test>")]
    [InlineData("<luke@jedi.test.evil.test>")]
    [InlineData("<>")]
    public async Task Sending_as_someone_else_is_553_5_7_1(string sender)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.SubmitterAsync();

        Assert.StartsWith("553 5.7.1", await client.CommandAsync("MAIL FROM:" + sender));
    }

    [Fact]
    public async Task Auth_login_works_and_bad_credentials_are_535()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");

        Assert.Equal("334 VXNlcm5hbWU6", await client.CommandAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await client.CommandAsync(B64("luke@jedi.test")));
        Assert.StartsWith("535 5.7.8", await client.CommandAsync(B64("wrong")));

        Assert.StartsWith("334", await client.CommandAsync("AUTH LOGIN"));
        await client.CommandAsync(B64("luke@jedi.test"));
        Assert.StartsWith("235 2.7.0", await client.CommandAsync(B64(SmtpTestServer.LukePassword)));
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", SmtpTestServer.LukePassword)));
    }

    [Fact]
    public async Task Auth_plain_with_a_continuation_and_cancel_with_star()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");

        Assert.Equal("334 ", await client.CommandAsync("AUTH PLAIN"));
        Assert.StartsWith("501 5.7.0", await client.CommandAsync("*"));
        Assert.Equal("334 ", await client.CommandAsync("AUTH PLAIN"));
        Assert.StartsWith("235", await client.CommandAsync(SmtpTestServer.Plain("luke@jedi.test", SmtpTestServer.LukePassword)));
    }

    [Fact]
    public async Task Repeated_auth_failures_close_the_session()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");

        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", "a")));
        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", "b")));
        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", "c")));
        Assert.StartsWith("421 4.7.0", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Authzid_of_another_user_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");

        Assert.StartsWith("535 5.7.8", await client.CommandAsync("AUTH PLAIN " + B64("leia@rebel.test\0luke@jedi.test\0" + SmtpTestServer.LukePassword)));
    }

    [Fact]
    public async Task Rate_limit_per_account_answers_450_4_7_1()
    {
        await using var server = await SmtpTestServer.StartAsync(o => new()
        {
            HostName = o.HostName,
            Certificate = o.Certificate,
            Endpoints = o.Endpoints,
            AuthFailureDelay = TimeSpan.Zero,
            SubmissionMessagesPerMinute = 1,
        });
        await using var first = await server.SubmitterAsync();
        await first.CommandAsync("MAIL FROM:<luke@jedi.test>");
        await first.CommandAsync("RCPT TO:<leia@rebel.test>");
        await first.CommandAsync("DATA");
        Assert.StartsWith("250", await first.CommandAsync("one\r\n."));

        // A second session of the same account shares the limit.
        await using var second = await server.SubmitterAsync();
        Assert.StartsWith("450 4.7.1", await second.CommandAsync("MAIL FROM:<luke@jedi.test>"));
        Assert.Single(server.Acceptor.Messages);
    }

    [Fact]
    public async Task Auth_is_not_available_on_the_inbound_port()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await server.InboundAsync();
        await client.CommandAsync("STARTTLS");
        await client.StartTlsAsync();
        await client.CommandAsync("EHLO client.rebel.test");

        Assert.StartsWith("503 5.5.1", await client.CommandAsync("AUTH PLAIN " + SmtpTestServer.Plain("luke@jedi.test", SmtpTestServer.LukePassword)));
    }
}
