using System.Globalization;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Smtp;

public sealed class CurlSmtpTests
{
    private const string Message = "From: <luke@jedi.test>\r\nTo: <leia@rebel.test>\r\nSubject: curl test\r\n\r\nHello from curl\r\n.leading dot\r\n";

    private static async Task<ProcessResult> CurlAsync(string url, params string[] extra)
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("message.eml");
        await File.WriteAllTextAsync(file, Message);
        return await ProcessRunner.RunAsync("curl", ["-sS", "--url", url, "--upload-file", file, .. extra], timeout: TimeSpan.FromSeconds(30));
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [ToolFact("curl")]
    public async Task Submission_with_starttls_required_and_user()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await CurlAsync("smtp://127.0.0.1:" + Port(server.SubmissionPort), "--ssl-reqd", "-k",
            "--user", "luke@jedi.test:" + InteropSmtpServer.LukePassword,
            "--mail-from", "luke@jedi.test", "--mail-rcpt", "leia@rebel.test");

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = Assert.Single(server.Acceptor.Messages);
        Assert.Equal("luke@jedi.test", message.Session.AuthenticatedAccount);
        Assert.True(message.Session.IsSecure);
        Assert.Contains("\r\n.leading dot\r\n", message.Text, StringComparison.Ordinal);
    }

    [ToolFact("curl")]
    public async Task Submission_over_smtps()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await CurlAsync("smtps://127.0.0.1:" + Port(server.ImplicitTlsPort), "-k",
            "--user", "luke@jedi.test:" + InteropSmtpServer.LukePassword,
            "--mail-from", "luke@jedi.test", "--mail-rcpt", "leia@rebel.test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Hello from curl", Assert.Single(server.Acceptor.Messages).Text, StringComparison.Ordinal);
    }

    [ToolFact("curl")]
    public async Task Submission_as_another_sender_is_refused()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await CurlAsync("smtps://127.0.0.1:" + Port(server.ImplicitTlsPort), "-k",
            "--user", "luke@jedi.test:" + InteropSmtpServer.LukePassword,
            "--mail-from", "vader@empire.test", "--mail-rcpt", "leia@rebel.test");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(server.Acceptor.Messages);
    }

    [ToolFact("curl")]
    public async Task Inbound_plain_delivery()
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await CurlAsync("smtp://127.0.0.1:" + Port(server.InboundPort),
            "--mail-from", "leia@rebel.test", "--mail-rcpt", "luke@jedi.test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("luke@jedi.test", Assert.Single(server.Acceptor.Messages).Envelope.Recipients[0].ToString());
    }
}
