using Keypost.Testing;

namespace Keypost.Interop.Tests.Smtp;

public sealed class OpenSslSmtpTests
{
    [ToolFact("openssl")]
    public Task Starttls_negotiates_tls_1_2() => NegotiateAsync("-tls1_2", "TLSv1.2");

    [ToolFact("openssl")]
    public Task Starttls_negotiates_tls_1_3() => NegotiateAsync("-tls1_3", "TLSv1.3");

    private static async Task NegotiateAsync(string flag, string expected)
    {
        await using var server = await InteropSmtpServer.StartAsync();

        var result = await ProcessRunner.RunAsync(
            "openssl",
            ["s_client", "-connect", "127.0.0.1:" + server.SubmissionPort, "-starttls", "smtp", flag, "-brief", "-crlf", "-ign_eof"],
            standardInput: "EHLO client.test\nQUIT\n",
            timeout: TimeSpan.FromSeconds(30));

        var output = result.StandardOutput + result.StandardError;
        Assert.Contains("Protocol version: " + expected, output, StringComparison.Ordinal);
        Assert.Contains("AUTH PLAIN LOGIN", output, StringComparison.Ordinal);
    }
}
