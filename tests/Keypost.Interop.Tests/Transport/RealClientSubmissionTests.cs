using System.Globalization;
using Keypost.Mail.Smtp;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Transport;

/// <summary>Everyday SMTP clients submitting to `keypost serve` (port 587 behaviour: STARTTLS, then AUTH) for a local mailbox.</summary>
public sealed class RealClientSubmissionTests
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(40);

    [ToolFact("swaks")]
    public async Task Swaks_submits_with_starttls_and_auth_plain_into_a_local_mailbox()
    {
        await using var bed = TestBed.Create("keypost-served");
        var served = await bed.ServeAsync(TestBed.Jedi with { SubmissionPort = 0, PublishDns = false });
        var token = Guid.NewGuid().ToString("N");

        var result = await ProcessRunner.RunAsync(
            "swaks",
            ["--server", served.Submission.Address.ToString(), "--port", served.Submission.Port.ToString(CultureInfo.InvariantCulture),
             "--helo", "client.jedi.test", "--tls", "--auth", "PLAIN", "--auth-user", "luke@jedi.test", "--auth-password", TestBed.LukePassword,
             "--from", "luke@jedi.test", "--to", "luke@jedi.test", "--header", "Subject: note to self " + token, "--body", "token " + token],
            timeout: TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("TLS started", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        await AssertDeliveredSignedAsync(served, token);
    }

    [ToolFact("curl")]
    public async Task Curl_submits_with_ssl_required_and_user_into_a_local_mailbox()
    {
        await using var bed = TestBed.Create("keypost-served");
        var served = await bed.ServeAsync(TestBed.Jedi with { SubmissionPort = 0, PublishDns = false });
        var token = Guid.NewGuid().ToString("N");
        var file = Path.Combine(served.Directory, "message.eml");
        await File.WriteAllTextAsync(file, $"From: <luke@jedi.test>\r\nTo: <luke@jedi.test>\r\nSubject: note to self {token}\r\n\r\ntoken {token}\r\n.leading dot\r\n");

        var result = await ProcessRunner.RunAsync(
            "curl",
            ["-sS", "--url", $"smtp://{served.Submission}", "--ssl-reqd", "-k", "--user", "luke@jedi.test:" + TestBed.LukePassword,
             "--mail-from", "luke@jedi.test", "--mail-rcpt", "luke@jedi.test", "--upload-file", file],
            timeout: TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        var text = await AssertDeliveredSignedAsync(served, token);
        Assert.Contains("\r\n.leading dot\r\n", text, StringComparison.Ordinal);
    }

    private static async Task<string> AssertDeliveredSignedAsync(ServedDomain served, string token)
    {
        var text = await Maildirs.WaitForMessageAsync(served.MaildirOf("luke@jedi.test"), t => t.Contains("token " + token, StringComparison.Ordinal), DeliveryWait);
        Assert.True(text is not null, "nothing reached Luke's Maildir; server said:\n" + served.Server.RecentOutput);
        // Submitted mail is signed for its domain and traced as authenticated over TLS (RFC 3848 ESMTPSA).
        Assert.Contains("DKIM-Signature:", text, StringComparison.Ordinal);
        Assert.Contains("with ESMTPSA", text, StringComparison.Ordinal);
        Assert.StartsWith("Return-Path: <luke@jedi.test>\r\n", text, StringComparison.Ordinal);
        return text;
    }
}
