using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Mail.Dkim;
using Keypost.Testing.Beds;
using Keypost.Testing.Mail;
using Keypost.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// The whole path between two Keypost domains over real sockets and real (loopback) DNS: submission at rebel.test,
/// DKIM signing, queue, MX lookup, SMTP to jedi.test, SPF/DKIM/DMARC there, Maildir.
/// </summary>
public sealed class TwoDomainTransportTests
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(40);
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [ToolFact(DkimPy.Python, "/usr/lib/python3/dist-packages/dkim/__init__.py", "/usr/lib/python3/dist-packages/nacl/__init__.py")]
    public async Task Leia_submits_at_rebel_and_the_message_lands_authenticated_in_Lukes_Maildir()
    {
        await using var bed = TestBed.Create("keypost-transport");
        var (jedi, rebel, _) = await bed.StartTwoDomainsAsync();
        var token = Guid.NewGuid().ToString("N");

        await SubmitAsLeiaAsync(rebel, token);

        var lukes = jedi.MaildirOf(Luke);
        var text = await Maildirs.WaitForMessageAsync(lukes, t => t.Contains(token, StringComparison.Ordinal), DeliveryWait);
        Assert.True(text is not null, "nothing reached Luke's Maildir; rebel's queue: " + await DescribeQueueAsync(rebel));
        var file = Assert.Single(Maildirs.Files(lukes));
        var delivered = await MimeMessage.LoadAsync(file);

        // RFC 8601: jedi's own Authentication-Results, naming rebel.test as the DKIM signer and the DMARC domain.
        var results = delivered.Headers
            .Where(h => h.Field.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase))
            .Select(h => Regex.Replace(h.Value, @"\s+", " "))
            .Single(v => v.StartsWith("mail.jedi.test;", StringComparison.Ordinal));
        Assert.Matches(@"dkim=pass header\.d=rebel\.test", results);
        Assert.Matches(@"spf=pass smtp\.mailfrom=""leia@rebel\.test""", results);
        Assert.Matches(@"dmarc=pass header\.from=rebel\.test", results);
        Assert.DoesNotMatch(@"dkim=(fail|neutral|permerror|temperror)", results);

        // An independent verifier agrees on every signature rebel.test made, as delivered.
        var keys = await new DkimKeyStore(rebel.Config.DkimDirectory).GetOrCreateAsync("rebel.test", CancellationToken.None);
        var verdicts = await DkimPy.VerifyAsync(file, keys, bed.Directory);
        Assert.Equal(["ed25519-sha256 rebel.test True", "rsa-sha256 rebel.test True"], verdicts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_forged_rebel_message_sent_straight_to_jedi_is_refused_by_DMARC()
    {
        await using var bed = TestBed.Create("keypost-transport");
        var (jedi, _, _) = await bed.StartTwoDomainsAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Unsigned, From: rebel.test, envelope from a domain that is not rebel.test: nothing aligns with rebel.test.
        await using var wire = await SmtpWire.ConnectAsync(jedi.Inbound, timeout.Token);
        await wire.CommandAsync("EHLO death-star.empire.test", timeout.Token);
        var reply = await wire.SendAsync(
            "vader@empire.test",
            "luke@jedi.test",
            "From: Leia Organa <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: Come to the Death Star\r\nMessage-ID: <forged@empire.test>\r\n\r\nTrust me.\r\n",
            timeout.Token);

        Assert.StartsWith("550 5.7.1", reply, StringComparison.Ordinal);
        Assert.Contains("DMARC", reply, StringComparison.Ordinal);
        Assert.Empty(await jedi.Server.Mail!.Queue.ListAsync(CancellationToken.None));
        Assert.Empty(Maildirs.Files(jedi.MaildirOf(Luke)));
    }

    private static async Task SubmitAsLeiaAsync(LocalDomain rebel, string token)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Leia Organa", "leia@rebel.test"));
        message.To.Add(new MailboxAddress("Luke Skywalker", "luke@jedi.test"));
        message.Subject = "The plans " + token;
        message.MessageId = token + "@rebel.test";
        message.Body = new TextPart("plain") { Text = $"Help me, Obi-Wan Kenobi.\r\ntoken {token}\r\n" };

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new SmtpClient();
        // The certificate is the bed CA's for mail.rebel.test; what is under test is the mail path, not PKI.
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        client.CheckCertificateRevocation = false;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(rebel.Submission, timeout.Token);
        await client.ConnectAsync(socket, "mail.rebel.test", rebel.Submission.Port, SecureSocketOptions.StartTls, timeout.Token);
        await client.AuthenticateAsync(new SaslMechanismPlain("leia@rebel.test", TestBed.LeiaPassword), timeout.Token);
        await client.SendAsync(message, timeout.Token);
        await client.DisconnectAsync(quit: true, timeout.Token);
    }

    private static async Task<string> DescribeQueueAsync(LocalDomain node)
    {
        var queued = await node.Server.Mail!.Queue.ListAsync(CancellationToken.None);
        return string.Join("; ", queued.SelectMany(m => m.Recipients.Select(r => $"{r.Address} {r.State} {r.LastError}")));
    }
}
