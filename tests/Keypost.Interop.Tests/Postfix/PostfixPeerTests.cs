using System.Text;
using System.Text.RegularExpressions;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Interop.Tests.Postfix;

/// <summary>Keypost and a private Postfix exchange mail both ways over real SMTP on loopback.</summary>
public sealed class PostfixPeerTests
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [ToolFact("postfix", "postconf", "sendmail", NeedsRoot = true)]
    public async Task Keypost_submission_is_dkim_signed_and_delivered_to_postfix_over_starttls()
    {
        await using var bed = TestBed.Create("keypost-postfix");
        bed.Dns.Mx("postfix.test", 10, "mx.postfix.test").A("mx.postfix.test", "127.0.0.1");
        var postfixPort = FreePort.Get();
        var keypost = await bed.StartAsync(TestBed.Jedi with { InboundPort = 0, SubmissionPort = 0, DeliveryPort = postfixPort });
        using var postfixTls = new TempDirectory("keypost-postfix-tls");
        using (var certificate = bed.Ca.Issue(["mx.postfix.test"]))
        {
            bed.Ca.WriteServerPem(certificate, postfixTls.Combine("tls.crt"), postfixTls.Combine("tls.key"));
        }

        await using var postfix = await PostfixInstance.StartAsync(
            new PostfixOptions { Mailboxes = ["han"], CertificateFile = postfixTls.Combine("tls.crt"), KeyFile = postfixTls.Combine("tls.key") },
            postfixPort);

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Luke", "luke@jedi.test"));
        message.To.Add(new MailboxAddress("Han", "han@postfix.test"));
        message.Subject = "Meet me at the cantina";
        message.Body = new TextPart("plain") { Text = "Bring the ship.\r\n" };
        using (var client = new SmtpClient())
        {
            client.CheckCertificateRevocation = false;
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync(keypost.Submission.Address.ToString(), keypost.Submission.Port, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("luke@jedi.test", TestBed.LukePassword);
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var delivered = await MaildirWait.FirstMessageAsync(postfix.MaildirNew("han"), DeliveryTimeout);
        Assert.True(delivered is not null, $"nothing in han's Maildir.\nKeypost queue:\n{await keypost.DescribeQueueAsync(CancellationToken.None)}\nPostfix maillog:\n{postfix.ReadLog()}");
        var received = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(delivered)));
        Assert.Equal("Meet me at the cantina", received.Subject);
        Assert.Contains(received.Headers, h => h.Id == HeaderId.DkimSignature && Regex.IsMatch(h.Value, @"\bd=jedi\.test;"));
        // The topmost trace line is Postfix's: from Keypost's EHLO name, by Postfix, over TLS (RFC 3848 "ESMTPS").
        var top = Regex.Replace(received.Headers.First(h => h.Id == HeaderId.Received).Value, @"\s+", " ").Trim();
        Assert.StartsWith("from mail.jedi.test (", top, StringComparison.Ordinal);
        Assert.Contains("[127.0.0.1]", top, StringComparison.Ordinal);
        Assert.Contains("by mx.postfix.test (Postfix) with ESMTPS", top, StringComparison.Ordinal);
    }

    [ToolFact("postfix", "postconf", "sendmail", NeedsRoot = true)]
    public async Task Postfix_relays_to_keypost_which_stamps_authentication_results()
    {
        // postfix.test publishes nothing: SPF, DKIM and DMARC all come out "none", without waiting on any timeout.
        await using var bed = TestBed.Create("keypost-postfix");
        var keypost = await bed.StartAsync(TestBed.Jedi with { InboundPort = 0 });
        var inboundPort = keypost.Inbound.Port;
        await using var postfix = await PostfixInstance.StartAsync(new PostfixOptions
        {
            Mailboxes = ["han"],
            Transports = new Dictionary<string, string> { ["jedi.test"] = $"smtp:[127.0.0.1]:{inboundPort}" },
        });

        // The local route (sendmail → pickup) keeps smtpd's relay rules strict: no client is trusted to relay.
        await postfix.SendmailAsync("han@postfix.test", "luke@jedi.test",
            "From: Han <han@postfix.test>\nTo: Luke <luke@jedi.test>\nSubject: Kessel run\n\nTwelve parsecs.\n");

        var delivered = await MaildirWait.FirstMessageAsync(Path.Combine(keypost.MaildirOf(Luke), "new"), DeliveryTimeout);
        Assert.True(delivered is not null, $"nothing in luke's Maildir.\nKeypost queue:\n{await keypost.DescribeQueueAsync(CancellationToken.None)}\nPostfix maillog:\n{postfix.ReadLog()}");
        var received = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(delivered)));
        Assert.Equal("Kessel run", received.Subject);

        var results = received.Headers.Where(h => h.Field == "Authentication-Results").Select(h => Regex.Replace(h.Value, @"\s+", " ").Trim()).ToList();
        var ours = Assert.Single(results);
        Assert.StartsWith("mail.jedi.test;", ours, StringComparison.Ordinal);
        Assert.Contains("dkim=none", ours, StringComparison.Ordinal);
        Assert.Contains("spf=none smtp.mailfrom=\"han@postfix.test\"", ours, StringComparison.Ordinal);
        Assert.Contains("dmarc=none header.from=postfix.test", ours, StringComparison.Ordinal);

        // Keypost's trace line names Postfix's EHLO and says the hop used STARTTLS (smtp_tls_security_level = may).
        var top = Regex.Replace(received.Headers.First(h => h.Id == HeaderId.Received).Value, @"\s+", " ").Trim();
        Assert.StartsWith("from mx.postfix.test ([127.0.0.1]) by mail.jedi.test with ESMTPS", top, StringComparison.Ordinal);
    }
}
