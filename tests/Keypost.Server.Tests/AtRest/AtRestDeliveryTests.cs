using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Server.Tests.AtRest;

/// <summary>
/// Issue #16 over real SMTP into real Maildirs: plaintext for an account with a published key is stored encrypted,
/// already-encrypted mail and mail for accounts without a key (or opted out) are stored as before.
/// </summary>
public sealed class AtRestDeliveryTests : IAsyncLifetime
{
    private const string Password = AtRestBed.Password;
    private static readonly EmailAddress Luke = AtRestBed.Luke;
    private static readonly EmailAddress Han = AtRestBed.Han;
    private static readonly EmailAddress Leia = AtRestBed.Leia;
    private static readonly LocalDomainOptions Options = AtRestBed.Options;

    private const string RealSubject = "Your November statement";
    private const string SecretBody = "Balance: 1,000,000 credits.";

    private readonly SecretKey _luke = Crafted.Key("luke@jedi.test");
    private readonly SecretKey _leia = Crafted.Key("leia@jedi.test");
    private readonly TestBed _bed = TestBed.Create("keypost-atrest");
    private LocalDomain _node = null!;

    public async Task InitializeAsync()
    {
        _node = await _bed.StartAsync(Options);
        await _node.PublishAsync(Luke, _luke);
        await _node.PublishAsync(Leia, _leia);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private static byte[] Plain(string to = "luke@jedi.test") => Encoding.UTF8.GetBytes(
        "Received: from out.bank.test ([192.0.2.1]) by relay.bank.test; Mon, 7 Dec 2026 00:00:00 +0000\r\n"
        + "From: Bank <statements@bank.test>\r\n"
        + $"To: {to}\r\n"
        + $"Subject: {RealSubject}\r\n"
        + "Date: Mon, 7 Dec 2026 00:00:00 +0000\r\n"
        + "Message-ID: <statement-1@bank.test>\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "\r\n"
        + SecretBody + "\r\n");

    [Fact]
    public async Task Plaintext_for_an_account_with_a_key_is_stored_encrypted_with_the_original_inside()
    {
        var original = Plain();
        var reply = await _node.SendInboundAsync("statements@bank.test", [Luke], original);
        Assert.StartsWith("250", reply, StringComparison.Ordinal);

        var stored = Assert.Single(await _node.WaitForNewAsync(Luke));
        var text = Encoding.UTF8.GetString(stored);
        Assert.DoesNotContain(RealSubject, text, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretBody, text, StringComparison.Ordinal);
        // The delivery's Return-Path, intake's trace line and verdict stay outside, in that order.
        Assert.StartsWith("Return-Path: <statements@bank.test>\r\nReceived: from client.test ([127.0.0.1])", text, StringComparison.Ordinal);
        var outer = MimeMessage.Load(new MemoryStream(stored));
        Assert.Equal("[...]", outer.Subject);
        Assert.StartsWith("mail.jedi.test;", outer.Headers["Authentication-Results"], StringComparison.Ordinal);
        Assert.Equal(2, outer.Headers.Count(h => h.Id == HeaderId.Received));
        Assert.True(outer.Body!.ContentType.IsMimeType("multipart", "encrypted"));

        Assert.Equal(original, StoredMessage.InnerOriginal(StoredMessage.Decrypt(stored, _luke)));
        var read = new PgpMimeReader().Read(outer, [_luke.Unlock("")], _ => null);
        Assert.Equal(RealSubject, read.Subject);
        Assert.True(read.HeadersProtected);
    }

    public static TheoryData<string> AlreadyEncrypted => new()
    {
        "pgp-mime",
        "inline-pgp",
        "smime",
    };

    [Theory]
    [MemberData(nameof(AlreadyEncrypted))]
    public async Task Already_encrypted_mail_is_stored_unchanged(string kind)
    {
        var original = kind switch
        {
            "pgp-mime" => Wire(new PgpMimeComposer().ComposeEncryptOnly(Crafted.Letter("leia@rebels.test", "luke@jedi.test", "s", "t"), [_luke.Certificate])),
            "inline-pgp" => Encoding.ASCII.GetBytes("From: leia@rebels.test\r\nTo: luke@jedi.test\r\nSubject: inline\r\n\r\nHi,\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhF4DAAAAAAAAAAASAQdA\r\n-----END PGP MESSAGE-----\r\n"),
            _ => Encoding.ASCII.GetBytes("From: leia@rebels.test\r\nTo: luke@jedi.test\r\nSubject: smime\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBAAYJKoZIhvcNAQcDoIIB8TCCAe0CAQAxggF4MIIBdAIBADBcMEQxCzAJBgNV\r\n"),
        };

        var reply = await _node.SendInboundAsync("leia@rebels.test", [Luke], original);
        Assert.StartsWith("250", reply, StringComparison.Ordinal);

        // PGP/MIME from a sender without DKIM goes to Junk (JunkFiling), decided before any encryption at rest.
        var stored = Assert.Single(await _node.WaitForNewAsync(Luke, mailbox: kind == "pgp-mime" ? "Junk" : null));
        Assert.EndsWith(Encoding.ASCII.GetString(original), Encoding.ASCII.GetString(stored), StringComparison.Ordinal);
        Assert.DoesNotContain("Subject: [...]\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"=-keypost-", Encoding.ASCII.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_message_to_three_accounts_is_stored_for_each_as_its_settings_say()
    {
        await _node.Server.Store.SetEncryptAtRestAsync(Leia, false, CancellationToken.None);

        await _node.SendInboundAsync("statements@bank.test", [Luke, Han, Leia], Plain());

        // Luke: encrypted to his key only. Han has no key, Leia opted out: both as before.
        var luke = Assert.Single(await _node.WaitForNewAsync(Luke));
        Assert.DoesNotContain(SecretBody, Encoding.UTF8.GetString(luke), StringComparison.Ordinal);
        Assert.Contains(SecretBody, Encoding.UTF8.GetString(StoredMessage.Decrypt(luke, _luke)), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => StoredMessage.Decrypt(luke, _leia));
        foreach (var plain in new[] { Han, Leia })
        {
            var stored = Encoding.UTF8.GetString(Assert.Single(await _node.WaitForNewAsync(plain)));
            Assert.Contains("Subject: " + RealSubject, stored, StringComparison.Ordinal);
            Assert.Contains(SecretBody, stored, StringComparison.Ordinal);
            Assert.EndsWith(Encoding.UTF8.GetString(Plain()), stored, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Plaintext_submitted_by_a_local_user_to_a_local_account_is_stored_encrypted_and_signed_inside()
    {
        var letter = Crafted.Letter("han@jedi.test", "luke@jedi.test", RealSubject, SecretBody);

        await _node.SubmitAsync(Han, letter);

        var stored = Assert.Single(await _node.WaitForNewAsync(Luke));
        var text = Encoding.UTF8.GetString(stored);
        Assert.DoesNotContain(SecretBody, text, StringComparison.Ordinal);
        Assert.DoesNotContain(RealSubject, text, StringComparison.Ordinal);
        Assert.Contains("by mail.jedi.test with ESMTPSA", text, StringComparison.Ordinal);
        var inner = Encoding.UTF8.GetString(StoredMessage.InnerOriginal(StoredMessage.Decrypt(stored, _luke)));
        Assert.StartsWith("DKIM-Signature:", inner, StringComparison.Ordinal);
        Assert.DoesNotContain("Received:", inner, StringComparison.Ordinal);
        Assert.Contains(SecretBody, inner, StringComparison.Ordinal);
    }

    private static byte[] Wire(MimeMessage message)
    {
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return output.ToArray();
    }
}
