using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.LocalServe;
using Keypost.Mail.Authentication;
using Keypost.Mail.Delivery;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Store.Maildir;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Server.Gateway;
using Keypost.Server.Mail;
using Keypost.Testing;
using Keypost.Testing.Mail;
using MimeKit;

namespace Keypost.Server.Tests.Gateway;

/// <summary>
/// Receiving side, end to end: MailIntake on the inbound listener decides, the delivery worker's local delivery
/// files into Luke's Maildir (INBOX or the Maildir++ .Junk folder). Real queue, real DNS on loopback, real files.
/// </summary>
public sealed class JunkFilingTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("keypost-junk");
    private readonly LoopbackDnsServer _dns = new();
    private readonly EmailAddress _luke = EmailAddress.Parse("luke@jedi.test");
    private MessageQueue _queue = null!;
    private DkimKeyStore _keys = null!;
    private MaildirStore _maildirs = null!;
    private MailDnsResolver _resolver = null!;
    private Certificate _lukeCertificate = null!;

    public async Task InitializeAsync()
    {
        _queue = await MessageQueue.OpenAsync(_directory.Combine("queue"));
        _keys = new DkimKeyStore(_directory.Combine("dkim"));
        _maildirs = new MaildirStore(_directory.Combine("mail"));
        foreach (var domain in (string[])["rebel.test", "empire.test"])
        {
            var keys = await _keys.GetOrCreateAsync(domain, CancellationToken.None);
            foreach (var key in keys.All)
            {
                _dns.Txt(key.DnsName, key.TxtRecord);
            }

            _dns.Txt(domain, "v=spf1 ip4:127.0.0.0/8 -all");
        }

        // empire.test asks for no action on DMARC failure, so its forged mail is accepted and must be filed.
        _dns.Txt("_dmarc.rebel.test", "v=DMARC1; p=reject").Txt("_dmarc.empire.test", "v=DMARC1; p=none");
        _resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [_dns.EndPoint] });
        _lukeCertificate = new KeyGenerator().Generate(new KeyGenerationRequest(_luke)).Certificate;
    }

    public Task DisposeAsync()
    {
        _queue.Dispose();
        _dns.Dispose();
        _maildirs.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Encrypted_mail_with_a_good_dkim_signature_goes_to_the_inbox()
    {
        var message = await SignedAsync(Encrypted("leia@rebel.test"), "rebel.test");

        await ReceiveAndDeliverAsync("leia@rebel.test", message);

        Assert.Single(Inbox());
        Assert.Empty(Junk());
    }

    [Fact]
    public async Task Encrypted_mail_whose_dkim_fails_goes_to_junk()
    {
        var signed = await SignedAsync(Encrypted("vader@empire.test"), "empire.test");
        // Altered on the way: a signed header field changed (RFC 6376 §3.7), so DKIM fails and DMARC with it.
        var altered = signed.Replace("10:00:00 +0000", "10:00:01 +0000", StringComparison.Ordinal);
        Assert.NotEqual(signed, altered);

        await ReceiveAndDeliverAsync("vader@empire.test", altered);

        Assert.Empty(Inbox());
        var filed = Assert.Single(Junk());
        // The folder choice travelled as queue metadata: nothing of it is left in the stored message.
        Assert.StartsWith("Return-Path: <vader@empire.test>\r\nReceived: ", File.ReadAllText(filed), StringComparison.Ordinal);
        Assert.DoesNotContain("X-Keypost-Folder", File.ReadAllText(filed), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_maildirs.GetMaildirPath(_luke), ".Junk", "maildirfolder")));
    }

    [Fact]
    public async Task Unsigned_encrypted_mail_goes_to_junk_and_plain_mail_does_not()
    {
        await ReceiveAndDeliverAsync("vader@empire.test", Encrypted("vader@empire.test"));
        await ReceiveAndDeliverAsync("vader@empire.test", Plain("vader@empire.test"));

        Assert.Single(Junk());
        Assert.Single(Inbox());
    }

    [Theory]
    [InlineData("INBOX")]
    [InlineData("Junk")]
    [InlineData("Trash")]
    public async Task A_sender_cannot_choose_the_folder_with_our_header(string folder)
    {
        var forged = $"X-Keypost-Folder: {folder}\r\n" + Encrypted("vader@empire.test") + $"X-Keypost-Folder: {folder}\r\n";
        var plain = $"X-Keypost-Folder: {folder}\r\n" + await SignedAsync(Plain("leia@rebel.test"), "rebel.test");

        var forgedId = await ReceiveAsync("vader@empire.test", forged);
        var plainId = await ReceiveAsync("leia@rebel.test", plain);
        Assert.DoesNotContain("X-Keypost-Folder: " + folder, await QueuedAsync(plainId), StringComparison.Ordinal);
        var forgedQueued = await QueuedAsync(forgedId);
        // The sender's copies are gone from the header section (the one in the body is just text).
        Assert.DoesNotContain("X-Keypost-Folder", forgedQueued[..forgedQueued.IndexOf("\r\n\r\n", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Equal("Junk", (await _queue.GetAsync(forgedId, CancellationToken.None))!.Folder);
        Assert.Null((await _queue.GetAsync(plainId, CancellationToken.None))!.Folder);
        await DeliverAsync();

        var junk = Assert.Single(Junk());
        Assert.Contains("vader@empire.test", File.ReadAllText(junk), StringComparison.Ordinal);
        var inbox = Assert.Single(Inbox());
        Assert.Contains("leia@rebel.test", File.ReadAllText(inbox), StringComparison.Ordinal);
        Assert.False(System.IO.Directory.Exists(Path.Combine(_maildirs.GetMaildirPath(_luke), ".Trash")));
    }

    [Fact]
    public async Task A_domain_that_turned_junk_filing_off_gets_everything_in_the_inbox()
    {
        await ReceiveAndDeliverAsync("vader@empire.test", Encrypted("vader@empire.test"), junkFiling: false);

        Assert.Single(Inbox());
        Assert.Empty(Junk());
    }

    private string Encrypted(string from)
    {
        var plain = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Plain(from))));
        var encrypted = new PgpMimeComposer().ComposeEncryptOnly(plain, [_lukeCertificate]);
        using var output = new MemoryStream();
        encrypted.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string Plain(string from) =>
        $"From: <{from}>\r\nTo: luke@jedi.test\r\nSubject: hello\r\nMessage-ID: <{Guid.NewGuid():N}@x.test>\r\n"
        + "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nHello Luke.\r\n";

    private async Task<string> SignedAsync(string message, string domain)
    {
        var signed = await new DkimSigningService(_keys).SignAsync(new MemoryStream(Encoding.UTF8.GetBytes(message)), domain, CancellationToken.None);
        return Encoding.UTF8.GetString(signed);
    }

    private async Task ReceiveAndDeliverAsync(string from, string message, bool junkFiling = true)
    {
        await ReceiveAsync(from, message, junkFiling);
        await DeliverAsync();
    }

    private async Task<string> ReceiveAsync(string from, string message, bool junkFiling = true)
    {
        var policies = new DomainMailPolicies([new DomainMailPolicy("jedi.test", Gateway: false, null, null, junkFiling)]);
        var intake = new MailIntake(_queue, new InboundAuthenticator(_resolver, "mx.jedi.test"), new DkimSigningService(_keys), "mx.jedi.test", honourDmarcReject: true, TimeProvider.System, junk: new JunkFiling(policies));
        var session = new SmtpSessionInfo(SmtpListenerKind.Inbound, IPAddress.Loopback, from.Split('@')[1], IsSecure: true, null);
        var envelope = new SmtpEnvelope(EmailAddress.Parse(from), [_luke]);
        var result = await intake.AcceptAsync(session, envelope, new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);
        Assert.Equal(250, result.Code);
        return result.Text.Split(' ')[^1];
    }

    private async Task<string> QueuedAsync(string id)
    {
        await using var data = _queue.OpenData(id);
        using var reader = new StreamReader(data);
        return await reader.ReadToEndAsync();
    }

    private async Task DeliverAsync()
    {
        var accounts = new FakeMailAccounts("jedi.test").Add("luke@jedi.test", "x");
        using var worker = new DeliveryWorker(_queue, _maildirs, accounts, _resolver, new DeliveryOptions { LocalDomain = "mx.jedi.test" });
        await worker.RunOnceAsync(CancellationToken.None);
    }

    private string[] Inbox() => Files(_maildirs.GetMaildirPath(_luke));

    private string[] Junk() => Files(Path.Combine(_maildirs.GetMaildirPath(_luke), ".Junk"));

    private static string[] Files(string maildir) =>
        System.IO.Directory.Exists(Path.Combine(maildir, "new")) ? System.IO.Directory.GetFiles(Path.Combine(maildir, "new")) : [];
}
