using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Interop.Tests.GnuPG;
using Keypost.Interop.Tests.Postfix;
using Keypost.Interop.Tests.Transport;
using Keypost.LocalServe;
using Keypost.Mail.Dkim;
using Keypost.Testing.Beds;
using Keypost.Testing;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Interop.Tests.AtRest;

/// <summary>
/// Issue #16, must show: a plain message relayed by a real Postfix lands in Luke's Maildir encrypted (no Subject or
/// body in the file); gpg decrypts it and shows the real Subject and body; the original inside still carries a DKIM
/// signature that dkimpy verifies.
/// </summary>
public sealed class PostfixToKeypostAtRestTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    private const string DkimModule = "/usr/lib/python3/dist-packages/dkim/__init__.py";
    private const string RealSubject = "Kessel run receipts";
    private const string SecretBody = "Twelve parsecs, paid in full.";

    [ToolFact("postfix", "postconf", "sendmail", "gpg", DkimPy.Python, DkimModule, NeedsRoot = true)]
    public async Task Plain_mail_from_postfix_is_stored_encrypted_and_gpg_and_dkimpy_read_the_original()
    {
        using var work = new TempDirectory("keypost-atrest-interop");
        var dkimKeys = new DkimKeyStore(work.Combine("dkim"));
        var han = await dkimKeys.GetOrCreateAsync("postfix.test", CancellationToken.None);
        await using var bed = TestBed.Create("keypost-atrest-postfix");
        foreach (var key in han.All)
        {
            bed.Dns.Txt(key.DnsName, key.TxtRecord);
        }

        var keypost = await bed.StartAsync(TestBed.Jedi with { InboundPort = 0 });
        var inboundPort = keypost.Inbound.Port;
        var luke = Crafted.Key("luke@jedi.test");
        await keypost.Server.Store.PublishAsync(Luke, luke.Fingerprint, luke.Certificate.ToBinary(), revoked: false, CancellationToken.None);
        await using var postfix = await PostfixInstance.StartAsync(new PostfixOptions
        {
            Mailboxes = ["han"],
            Transports = new Dictionary<string, string> { ["jedi.test"] = $"smtp:[127.0.0.1]:{inboundPort}" },
        });

        var plain = "From: Han <han@postfix.test>\r\nTo: Luke <luke@jedi.test>\r\nSubject: " + RealSubject + "\r\n"
            + "Date: Mon, 7 Dec 2026 01:00:00 +0000\r\nMessage-ID: <kessel-1@postfix.test>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + SecretBody + "\r\n";
        var signed = await new DkimSigningService(dkimKeys).SignAsync(new MemoryStream(Encoding.UTF8.GetBytes(plain)), "postfix.test", CancellationToken.None);
        // sendmail takes local text (LF); Postfix sends it as CRLF, which is what the signature covers.
        await postfix.SendmailAsync("han@postfix.test", "luke@jedi.test", Encoding.UTF8.GetString(signed).Replace("\r\n", "\n", StringComparison.Ordinal));

        var delivered = await MaildirWait.FirstMessageAsync(Path.Combine(keypost.MaildirOf(Luke), "new"), TimeSpan.FromSeconds(60));
        Assert.True(delivered is not null, $"nothing in luke's Maildir.\nKeypost queue:\n{await keypost.DescribeQueueAsync(CancellationToken.None)}\nPostfix maillog:\n{postfix.ReadLog()}");
        Assert.DoesNotContain(RealSubject, delivered, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretBody, delivered, StringComparison.Ordinal);
        var outer = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(delivered)));
        Assert.Equal("[...]", outer.Subject);
        Assert.Contains("dkim=pass", outer.Headers["Authentication-Results"], StringComparison.Ordinal);

        // gpg, knowing nothing of Keypost, decrypts the RFC 3156 data part with Luke's secret key.
        await using var gpg = new GpgHome();
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(luke.ToArmored()));
        await using (var file = File.Create(gpg.PathOf("encrypted.asc")))
        {
            ((MimePart)((Multipart)outer.Body!)[1]).Content!.DecodeTo(file);
        }

        await gpg.GpgAsync("--output", gpg.PathOf("inner.eml"), "--decrypt", gpg.PathOf("encrypted.asc"));
        var plaintext = await File.ReadAllBytesAsync(gpg.PathOf("inner.eml"));
        var inner = MimeEntity.Load(new MemoryStream(plaintext));
        Assert.Equal(RealSubject, inner.Headers[HeaderId.Subject]);
        Assert.Equal("cipher", inner.ContentType.Parameters["hp"]);
        Assert.Contains(SecretBody, Encoding.UTF8.GetString(plaintext), StringComparison.Ordinal);

        // The original inside, byte for byte as Postfix sent it: its DKIM signature still verifies.
        var original = StoredMessage.InnerOriginal(plaintext);
        Assert.StartsWith("Received: by mx.postfix.test (Postfix", Encoding.UTF8.GetString(original), StringComparison.Ordinal);
        await File.WriteAllBytesAsync(work.Combine("original.eml"), original);
        var verified = await DkimPy.VerifyAsync(work.Combine("original.eml"), han, work.Path);
        Assert.Equal(["ed25519-sha256 postfix.test True", "rsa-sha256 postfix.test True"], verified);
    }
}
