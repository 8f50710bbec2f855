using Keypost.Testing;

namespace Keypost.Interop.Tests.Smtp;

public sealed class SwaksTests
{
    private static Task<ProcessResult> SwaksAsync(int port, params string[] extra) =>
        ProcessRunner.RunAsync(
            "swaks",
            ["--server", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--helo", "client.test", "--header", "Subject: swaks test", "--body", "Hello from swaks", .. extra],
            timeout: TimeSpan.FromSeconds(30));

    [ToolFact("swaks")]
    public async Task Submission_with_starttls_and_auth_plain()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await SwaksAsync(server.SubmissionPort,
            "--tls", "--auth", "PLAIN", "--auth-user", "luke@jedi.test", "--auth-password", InteropSmtpServer.LukePassword,
            "--from", "luke@jedi.test", "--to", "leia@rebel.test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("TLS started", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        var message = Assert.Single(server.Acceptor.Messages);
        Assert.Equal("luke@jedi.test", message.Session.AuthenticatedAccount);
        Assert.Contains("Hello from swaks", message.Text, StringComparison.Ordinal);
    }

    [ToolFact("swaks")]
    public async Task Submission_with_implicit_tls_and_auth_login()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await SwaksAsync(server.ImplicitTlsPort,
            "--tlsc", "--auth", "LOGIN", "--auth-user", "luke@jedi.test", "--auth-password", InteropSmtpServer.LukePassword,
            "--from", "luke@jedi.test", "--to", "leia@rebel.test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(Assert.Single(server.Acceptor.Messages).Session.IsSecure);
    }

    [ToolFact("swaks")]
    public async Task Submission_with_a_wrong_password_sends_nothing()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await SwaksAsync(server.SubmissionPort,
            "--tls", "--auth", "PLAIN", "--auth-user", "luke@jedi.test", "--auth-password", "wrong",
            "--from", "luke@jedi.test", "--to", "leia@rebel.test");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("535 5.7.8", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        Assert.Empty(server.Acceptor.Messages);
    }

    [ToolFact("swaks")]
    public async Task Inbound_plain_delivery_to_a_local_account()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await SwaksAsync(server.InboundPort, "--from", "leia@rebel.test", "--to", "luke@jedi.test");

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = Assert.Single(server.Acceptor.Messages);
        Assert.Equal("leia@rebel.test", message.Envelope.ReversePath!.ToString());
        Assert.Contains("Subject: swaks test", message.Text, StringComparison.Ordinal);
    }

    [ToolFact("swaks")]
    public async Task Inbound_refuses_to_relay()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await SwaksAsync(server.InboundPort, "--from", "leia@rebel.test", "--to", "han@rebel.test");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("550 5.7.1", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        Assert.Empty(server.Acceptor.Messages);
    }
}
