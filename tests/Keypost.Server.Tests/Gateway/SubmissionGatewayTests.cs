using System.Net;
using System.Text;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Directory.Storage;
using Keypost.LocalServe;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Server.Gateway;
using Keypost.Server.Mail;
using Keypost.Testing;
using MimeKit;

namespace Keypost.Server.Tests.Gateway;

/// <summary>
/// The gateway as a legacy client meets it: plaintext submitted to MailIntake over a real queue and a real
/// directory store; what is queued is read back as the recipient's client would read it.
/// </summary>
public sealed class SubmissionGatewayTests : IAsyncLifetime
{
    private const string Body = "The plans are in R2, behind the third panel.";
    private readonly TempDirectory _directory = new("keypost-gateway");
    private readonly LoopbackDnsServer _dns = new();
    private readonly KeyGenerator _generator = new();
    private MessageQueue _queue = null!;
    private DirectoryStore _store = null!;
    private DkimKeyStore _dkim = null!;
    private SecretKey _luke = null!;
    private SecretKey _escrow = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _queue = await MessageQueue.OpenAsync(_directory.Combine("queue"));
        _dkim = new DkimKeyStore(_directory.Combine("dkim"));
        _store = new DirectoryStore(await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None), TimeProvider.System);
        await _store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        await _store.EnsureDomainAsync("rebel.test", CancellationToken.None);
        _luke = _generator.Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));
        _escrow = _generator.Generate(new KeyGenerationRequest(EmailAddress.Parse("escrow@rebel.test")));
        await _store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), _luke.Fingerprint, _luke.Certificate.ToBinary(), revoked: false, CancellationToken.None);
        // Remote domains resolve through our loopback DNS server, which knows none: WKD finds nothing there.
        var resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [_dns.EndPoint] });
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var answer = await resolver.GetAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
                throw new HttpRequestException(HttpRequestError.NameResolutionError, $"{context.DnsEndPoint.Host}: {answer.Status}");
            },
        });
    }

    public Task DisposeAsync()
    {
        _http.Dispose();
        _queue.Dispose();
        _dns.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Plaintext_to_a_recipient_with_a_published_key_is_queued_encrypted_and_luke_can_read_it()
    {
        var stored = await SubmitAsync(Policy(), "luke@jedi.test");

        Assert.DoesNotContain(Body, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("Death Star", stored, StringComparison.Ordinal);
        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(stored)));
        Assert.True(message.Body!.ContentType.IsMimeType("multipart", "encrypted"));
        Assert.Contains("X-Keypost-Gateway: encrypted by mail.rebel.test", stored, StringComparison.Ordinal);
        Assert.Contains("DKIM-Signature:", stored, StringComparison.Ordinal);

        var read = Read(message, _luke);
        Assert.True(read.Encryption.IsEncrypted);
        Assert.Equal(PgpMimeSignatureStatus.Unsigned, read.Signature.Status);
        Assert.Equal("Death Star plans", read.Subject);
        // Issue #18: the gateway writes the composer's form, both protected-header markers.
        Assert.Equal("cipher", read.Body!.ContentType.Parameters["hp"]);
        Assert.Equal("v1", read.Body.ContentType.Parameters["protected-headers"]);
        Assert.Contains(Body, ((TextPart)read.Body!).Text, StringComparison.Ordinal);
        Assert.Null(read.Disclaimer);
        Assert.Throws<OpenPgpException>(() => Read(message, _escrow));
    }

    [Fact]
    public async Task The_additional_decryption_key_can_decrypt_too()
    {
        var stored = await SubmitAsync(Policy(adk: _escrow.Certificate), "luke@jedi.test");

        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(stored)));
        Assert.Contains(Body, ((TextPart)Read(message, _escrow).Body!).Text, StringComparison.Ordinal);
        Assert.Contains(Body, ((TextPart)Read(message, _luke).Body!).Text, StringComparison.Ordinal);
        Assert.Contains("organisation key " + _escrow.Fingerprint, message.Headers[SubmissionGateway.HeaderName], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disclaimer_is_in_clear_in_its_own_part_outside_the_encryption()
    {
        const string disclaimer = "This message was encrypted by the Rebel Alliance mail gateway.";
        var stored = await SubmitAsync(Policy(disclaimer: disclaimer), "luke@jedi.test");

        Assert.Contains(disclaimer, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, stored, StringComparison.Ordinal);
        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(stored)));
        var mixed = Assert.IsType<Multipart>(message.Body);
        Assert.True(mixed.ContentType.IsMimeType("multipart", "mixed"));
        Assert.True(mixed[0].ContentType.IsMimeType("multipart", "encrypted"));
        Assert.Equal(disclaimer, ((TextPart)mixed[1]).Text);

        var read = Read(message, _luke);
        Assert.True(read.Encryption.IsEncrypted);
        Assert.Equal(disclaimer, read.Disclaimer);
        Assert.DoesNotContain(disclaimer, ((TextPart)read.Body!).Text, StringComparison.Ordinal);
        Assert.Contains(read.Warnings, w => w.Contains("disclaimer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_recipient_without_a_key_means_the_message_goes_as_is_with_a_note()
    {
        var stored = await SubmitAsync(Policy(), "luke@jedi.test", "han@falcon.test");

        Assert.Contains(Body, stored, StringComparison.Ordinal);
        Assert.Contains("X-Keypost-Gateway: not encrypted (no key for han@falcon.test)", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("multipart/encrypted", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blind_copy_recipient_without_a_key_is_not_named()
    {
        var stored = await SubmitAsync(Policy(), "luke@jedi.test", "lando@cloud.test");

        Assert.Contains("X-Keypost-Gateway: not encrypted (no key for 1 other recipient)", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("lando", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_gateway_off_the_message_is_untouched()
    {
        var stored = await SubmitAsync(Policy(gateway: false), "luke@jedi.test");

        Assert.Contains(Body, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Keypost-Gateway", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_the_client_already_encrypted_is_untouched()
    {
        var leia = _generator.Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
        var plain = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Plaintext("luke@jedi.test"))));
        var encrypted = new PgpMimeComposer().Compose(plain, leia.Unlock(""), [_luke.Certificate]);
        using var raw = new MemoryStream();
        encrypted.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, raw);
        var original = Encoding.UTF8.GetString(raw.ToArray());

        var stored = await SubmitAsync(Policy(adk: _escrow.Certificate, disclaimer: "notice"), ["luke@jedi.test"], original);

        // The same ciphertext (DKIM signing may change a part's transfer encoding, never the content).
        Assert.Equal(Ciphertext(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(original)))), Ciphertext(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(stored)))));
        Assert.DoesNotContain("X-Keypost-Gateway", stored, StringComparison.Ordinal);
        Assert.Throws<OpenPgpException>(() => Read(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(stored))), _escrow));
    }

    [Fact]
    public async Task A_bcc_recipient_gets_a_copy_of_their_own_and_no_recipient_sees_the_others_key()
    {
        var han = _generator.Generate(new KeyGenerationRequest(EmailAddress.Parse("han@jedi.test")));
        await _store.PublishAsync(EmailAddress.Parse("han@jedi.test"), han.Fingerprint, han.Certificate.ToBinary(), revoked: false, CancellationToken.None);
        var message = Plaintext("luke@jedi.test").Replace("Subject:", "Bcc: han@jedi.test\r\nSubject:", StringComparison.Ordinal);

        var copies = await SubmitAllAsync(Policy(adk: _escrow.Certificate), ["luke@jedi.test", "han@jedi.test"], message);

        Assert.Equal(2, copies.Count);
        var (lukeEnvelope, lukeText) = Assert.Single(copies, c => c.Recipients.Contains("luke@jedi.test"));
        var (hanEnvelope, hanText) = Assert.Single(copies, c => c.Recipients.Contains("han@jedi.test"));
        Assert.Equal(["luke@jedi.test"], lukeEnvelope);
        Assert.Equal(["han@jedi.test"], hanEnvelope);
        var lukeCopy = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(lukeText)));
        var hanCopy = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(hanText)));

        // Each copy opens for its recipient (and the organisation key), and not for the other recipient.
        Assert.Contains(Body, ((TextPart)Read(lukeCopy, _luke).Body!).Text, StringComparison.Ordinal);
        Assert.Contains(Body, ((TextPart)Read(hanCopy, han).Body!).Text, StringComparison.Ordinal);
        Assert.Throws<OpenPgpException>(() => Read(lukeCopy, han));
        Assert.Throws<OpenPgpException>(() => Read(hanCopy, _luke));

        // RFC 4880 §5.1: one PKESK per key; each copy names its recipient's key and the organisation's, no more.
        var lukeIds = RecipientKeyIds(lukeCopy);
        var hanIds = RecipientKeyIds(hanCopy);
        Assert.Equal(2, lukeIds.Count);
        Assert.Equal(2, hanIds.Count);
        Assert.Single(lukeIds.Intersect(hanIds));

        // The Bcc field is gone from both, inside the encryption too.
        Assert.DoesNotContain("han@jedi.test", lukeText, StringComparison.OrdinalIgnoreCase);
        Assert.Null(Read(lukeCopy, _luke).Body!.Headers["Bcc"]);
        Assert.Null(Read(hanCopy, han).Body!.Headers["Bcc"]);
        Assert.DoesNotContain("Bcc:", hanText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Recipients_named_in_to_and_cc_share_one_copy()
    {
        var han = _generator.Generate(new KeyGenerationRequest(EmailAddress.Parse("han@jedi.test")));
        await _store.PublishAsync(EmailAddress.Parse("han@jedi.test"), han.Fingerprint, han.Certificate.ToBinary(), revoked: false, CancellationToken.None);
        var message = Plaintext("luke@jedi.test").Replace("Subject:", "Cc: han@jedi.test\r\nSubject:", StringComparison.Ordinal);

        var copy = Assert.Single(await SubmitAllAsync(Policy(), ["luke@jedi.test", "han@jedi.test"], message));

        Assert.Equal(["luke@jedi.test", "han@jedi.test"], copy.Recipients);
        var parsed = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(copy.Text)));
        Assert.Contains(Body, ((TextPart)Read(parsed, _luke).Body!).Text, StringComparison.Ordinal);
        Assert.Contains(Body, ((TextPart)Read(parsed, han).Body!).Text, StringComparison.Ordinal);
    }

    private async Task<List<(List<string> Recipients, string Text)>> SubmitAllAsync(DomainMailPolicies policies, string[] recipients, string message)
    {
        var resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [_dns.EndPoint] });
        var gateway = new SubmissionGateway(policies, new RecipientKeyFinder(_store, new WkdClient(_http), TimeProvider.System), new PgpMimeComposer(), "mail.rebel.test");
        var intake = new MailIntake(_queue, new InboundAuthenticator(resolver, "mail.rebel.test"), new DkimSigningService(_dkim), "mail.rebel.test", honourDmarcReject: true, TimeProvider.System, gateway, new JunkFiling(policies));
        var session = new SmtpSessionInfo(SmtpListenerKind.Submission, IPAddress.Loopback, "client", IsSecure: true, "leia@rebel.test");
        var envelope = new SmtpEnvelope(EmailAddress.Parse("leia@rebel.test"), recipients.Select(EmailAddress.Parse).ToList());
        var result = await intake.AcceptAsync(session, envelope, new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);
        Assert.Equal(250, result.Code);
        var copies = new List<(List<string>, string)>();
        foreach (var id in result.QueueId!.Split(' '))
        {
            var queued = await _queue.GetAsync(id, CancellationToken.None);
            await using var data = _queue.OpenData(id);
            using var reader = new StreamReader(data);
            copies.Add((queued!.Recipients.Select(r => r.Address.ToString()).ToList(), await reader.ReadToEndAsync()));
        }

        return copies;
    }

    private static List<long> RecipientKeyIds(MimeMessage message)
    {
        using var armored = new MemoryStream(Ciphertext(message));
        var objects = new Org.BouncyCastle.Bcpg.OpenPgp.PgpObjectFactory(Org.BouncyCastle.Bcpg.OpenPgp.PgpUtilities.GetDecoderStream(armored));
        var list = (Org.BouncyCastle.Bcpg.OpenPgp.PgpEncryptedDataList)objects.NextPgpObject();
        return list.GetEncryptedDataObjects().OfType<Org.BouncyCastle.Bcpg.OpenPgp.PgpPublicKeyEncryptedData>().Select(d => d.KeyId).ToList();
    }

    private static DomainMailPolicies Policy(bool gateway = true, Certificate? adk = null, string? disclaimer = null) =>
        new([
            new DomainMailPolicy("rebel.test", gateway, disclaimer, adk, FileUnverifiedEncryptedMailInJunk: true),
            new DomainMailPolicy("jedi.test", Gateway: false, null, null, FileUnverifiedEncryptedMailInJunk: true),
        ]);

    private static string Plaintext(string to) =>
        $"From: Leia <leia@rebel.test>\r\nTo: {to}\r\nSubject: Death Star plans\r\nMessage-ID: <1@rebel.test>\r\n"
        + $"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{Body}\r\n";

    private Task<string> SubmitAsync(DomainMailPolicies policies, params string[] recipients) =>
        SubmitAsync(policies, recipients, Plaintext(recipients[0] + (recipients.Length > 1 && !recipients[1].StartsWith("lando", StringComparison.Ordinal) ? ", " + recipients[1] : "")));

    private async Task<string> SubmitAsync(DomainMailPolicies policies, string[] recipients, string message)
    {
        var resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [_dns.EndPoint] });
        var gateway = new SubmissionGateway(policies, new RecipientKeyFinder(_store, new WkdClient(_http), TimeProvider.System), new PgpMimeComposer(), "mail.rebel.test");
        var intake = new MailIntake(_queue, new InboundAuthenticator(resolver, "mail.rebel.test"), new DkimSigningService(_dkim), "mail.rebel.test", honourDmarcReject: true, TimeProvider.System, gateway, new JunkFiling(policies));
        var session = new SmtpSessionInfo(SmtpListenerKind.Submission, IPAddress.Loopback, "client", IsSecure: true, "leia@rebel.test");
        var envelope = new SmtpEnvelope(EmailAddress.Parse("leia@rebel.test"), recipients.Select(EmailAddress.Parse).ToList());
        var result = await intake.AcceptAsync(session, envelope, new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);
        Assert.Equal(250, result.Code);
        await using var data = _queue.OpenData(result.Text.Split(' ')[^1]);
        using var reader = new StreamReader(data);
        return await reader.ReadToEndAsync();
    }

    private static byte[] Ciphertext(MimeMessage message)
    {
        var part = (MimePart)((Multipart)message.Body!)[1];
        using var output = new MemoryStream();
        part.Content!.DecodeTo(output);
        return output.ToArray();
    }

    private static PgpMimeReadResult Read(MimeMessage message, SecretKey key) =>
        new PgpMimeReader().Read(message, [key.Unlock("")], _ => null);
}
