using System.Text;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Core.Tests.PgpMime;

/// <summary>The attack corpus: each message is refused or reported for what it is, never shown as trustworthy.</summary>
public sealed class PgpMimeAttackTests
{
    private const string Secret = "The exhaust port is two metres wide";

    private readonly SecretKey leia = Crafted.Key("leia@rebels.test");
    private readonly SecretKey luke = Crafted.Key("luke@jedi.test");
    private readonly SecretKey vader = Crafted.Key("vader@empire.test");

    [Fact]
    public void Bit_flipped_inside_the_ciphertext_fails_the_integrity_check()
    {
        var binary = Crafted.Binary(Compose());
        binary[binary.Length / 2] ^= 0x01;

        var refused = Read(Crafted.PgpMime(binary));

        Assert.Equal(OpenPgpError.IntegrityCheckFailed, refused.Error);
    }

    [Fact]
    public void A_damaged_session_key_packet_is_an_openpgp_error_not_a_crypto_exception()
    {
        // Found by fuzzing (issue #20, corpus pgpmime-reader/crash-session-key-checksum): a PKESK whose wrapped
        // session key fails its checksum made BouncyCastle throw InvalidCipherTextException out of the reader.
        var binary = Crafted.Binary(Compose());
        var damaged = 0;
        for (var offset = 0; offset < binary.Length;)
        {
            var (tag, headerLength, bodyLength) = PacketHeader(binary, offset);
            if (tag != 1)
            {
                break; // The session key packets come first (RFC 9580 section 10.3).
            }

            binary[offset + headerLength + bodyLength - 1] ^= 0x01;
            damaged++;
            offset += headerLength + bodyLength;
        }

        var refused = Read(Crafted.PgpMime(binary));

        Assert.Equal(2, damaged);
        Assert.Equal(OpenPgpError.IntegrityCheckFailed, refused.Error);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x02, 0x03, 0x09 })] // a symmetric-key session key packet of version 3
    [InlineData(new byte[] { 0xCE, 0x01, 0x49 })] // a public-subkey packet of version 73
    public void A_packet_of_an_unknown_version_is_malformed_data_not_a_crash(byte[] binary)
    {
        // Found by AFL++ (issue #20, corpus pgpmime-reader/crash-ce6104f84b3018f0 and three more): BouncyCastle's
        // UnsupportedPacketVersionException is neither an IOException nor a PgpException and escaped the reader.
        var refused = Read(Crafted.PgpMime(binary));

        Assert.Equal(OpenPgpError.Malformed, refused.Error);
    }

    // RFC 9580 section 4.2: old and new packet headers with definite lengths (all the composer writes).
    private static (int Tag, int HeaderLength, int BodyLength) PacketHeader(byte[] data, int offset)
    {
        var header = data[offset];
        if ((header & 0x40) == 0)
        {
            var octets = 1 << (header & 0x03);
            var length = 0;
            for (var i = 0; i < octets; i++)
            {
                length = (length << 8) | data[offset + 1 + i];
            }

            return ((header >> 2) & 0x0f, 1 + octets, length);
        }

        var first = data[offset + 1];
        return first switch
        {
            < 192 => (header & 0x3f, 2, first),
            < 224 => (header & 0x3f, 3, ((first - 192) << 8) + data[offset + 2] + 192),
            _ => (header & 0x3f, 6, (data[offset + 2] << 24) | (data[offset + 3] << 16) | (data[offset + 4] << 8) | data[offset + 5]),
        };
    }

    [Theory]
    [InlineData(22)]
    [InlineData(1)]
    [InlineData(500)]
    public void Ciphertext_cut_short_is_refused(int cut)
    {
        var binary = Crafted.Binary(Compose());

        var refused = Read(Crafted.PgpMime(binary[..^cut]));

        Assert.Equal(OpenPgpError.IntegrityCheckFailed, refused.Error);
    }

    [Fact]
    public void Armor_with_a_bad_checksum_is_refused()
    {
        var armored = Crafted.Armor(Crafted.Binary(Compose()));
        var lines = armored.Split('\n');
        var middle = lines.Length / 2;
        lines[middle] = (lines[middle][0] == 'A' ? "B" : "A") + lines[middle][1..];
        var message = Crafted.PgpMime([]);
        ((MimePart)((Multipart)message.Body!)[1]).Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(string.Join('\n', lines))));

        var refused = Read(message);

        Assert.True(refused.Error is OpenPgpError.Malformed or OpenPgpError.IntegrityCheckFailed, refused.Error.ToString());
    }

    [Fact]
    public void Symmetrically_encrypted_data_without_mdc_is_refused()
    {
        var binary = Crafted.Encrypt(luke.Certificate, integrity: false, s => Crafted.Literal(s, Encoding.ASCII.GetBytes("Content-Type: text/plain\r\n\r\n" + Secret)));

        var refused = Read(Crafted.PgpMime(binary));

        Assert.Equal(OpenPgpError.NotIntegrityProtected, refused.Error);
        Assert.DoesNotContain(Secret, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ciphertext_between_two_html_parts_is_not_decrypted_and_offered_as_an_attachment()
    {
        var efail = new MimeMessage();
        efail.From.Add(MailboxAddress.Parse("leia@rebels.test"));
        efail.To.Add(MailboxAddress.Parse("luke@jedi.test"));
        efail.Subject = "Re: plans";
        efail.Body = new Multipart("mixed")
        {
            new TextPart("html") { Text = "<img src=\"http://evil.test/" },
            Crafted.ArmoredPart(Crafted.Binary(Compose())),
            new TextPart("html") { Text = "\">" },
        };

        var result = new PgpMimeReader().Read(Crafted.Reload(efail), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.False(result.Encryption.IsEncrypted);
        var attachment = Assert.Single(result.Attachments);
        Assert.True(attachment.IsOpenPgpData);
        Assert.Equal("encrypted.asc", attachment.DisplayFileName);
        Assert.Single(result.Warnings);
        Assert.Equal(PgpMimeSignatureStatus.Unsigned, result.Signature.Status);
        var shown = ((Multipart)result.Body!).OfType<TextPart>().Select(t => t.Text).ToList();
        Assert.Equal(2, shown.Count);
        Assert.All(shown, t => Assert.DoesNotContain(Secret, t, StringComparison.Ordinal));
        Assert.Equal("Re: plans", result.Subject);
    }

    [Fact]
    public void Multipart_encrypted_with_another_protocol_or_a_third_part_is_not_decrypted()
    {
        var wrongProtocol = Crafted.PgpMime(Crafted.Binary(Compose()));
        wrongProtocol.Body!.ContentType.Parameters["protocol"] = "application/pkcs7-mime";
        var extraPart = Crafted.PgpMime(Crafted.Binary(Compose()));
        ((Multipart)extraPart.Body!).Add(new TextPart("html") { Text = "\">" });

        var results = new[] { wrongProtocol, extraPart }
            .Select(m => new PgpMimeReader().Read(Crafted.Reload(m), [luke.Unlock("")], Crafted.Finder(leia)))
            .ToList();

        Assert.All(results, r => Assert.False(r.Encryption.IsEncrypted));
        Assert.All(results, r => Assert.True(Assert.Single(r.Attachments).IsOpenPgpData));
    }

    // RFC 3156 §5: signed-only mail (what the opportunistic policy sends to a recipient without a key) is
    // verified like any other: valid only for the From's own key, and never shown as encrypted.
    [Fact]
    public void Unencrypted_multipart_signed_is_checked_against_the_sender()
    {
        MimeMessage Signed(string from, SecretKey signer, string body) => MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            $"From: {from}\r\nTo: luke@jedi.test\r\nSubject: hi\r\nMIME-Version: 1.0\r\n" + Crafted.MultipartSigned(signer, body))));

        var genuine = new PgpMimeReader().Read(Signed("leia@rebels.test", leia, "Content-Type: text/plain\r\n\r\nHello."), [luke.Unlock("")], Crafted.Finder(leia, vader));
        var forged = new PgpMimeReader().Read(Signed("leia@rebels.test", vader, "Content-Type: text/plain\r\n\r\nHello."), [luke.Unlock("")], Crafted.Finder(leia, vader));
        var tamperedRaw = Encoding.ASCII.GetString(Encoding.ASCII.GetBytes(
            "From: leia@rebels.test\r\nTo: luke@jedi.test\r\nSubject: hi\r\nMIME-Version: 1.0\r\n" + Crafted.MultipartSigned(leia, "Content-Type: text/plain\r\n\r\nHello.")))
            .Replace("Hello.", "Hellp.", StringComparison.Ordinal);
        var tampered = new PgpMimeReader().Read(MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(tamperedRaw))), [luke.Unlock("")], Crafted.Finder(leia, vader));

        Assert.False(genuine.Encryption.IsEncrypted);
        Assert.True(genuine.Signature.IsValid, genuine.Signature.Reason);
        Assert.Equal(PgpMimeSignatureStatus.SignerIsNotSender, forged.Signature.Status);
        Assert.Equal(PgpMimeSignatureStatus.Bad, tampered.Signature.Status);
    }

    [Fact]
    public void Signature_over_a_nested_part_does_not_count_for_the_message()
    {
        // Vader's genuine signature on his own part, pasted into a message claiming to be from Leia.
        var vaderPart = "Content-Type: text/plain\r\n\r\nSurrender the rebel base.";
        var inner = "Content-Type: multipart/mixed; boundary=\"outer-b\"\r\n\r\n--outer-b\r\n"
            + "Content-Type: text/plain\r\n\r\nForward from Vader below.\r\n--outer-b\r\n"
            + Crafted.MultipartSigned(vader, vaderPart) + "\r\n--outer-b--\r\n";
        var binary = Crafted.Encrypt(luke.Certificate, integrity: true, s => Crafted.Literal(s, Encoding.ASCII.GetBytes(inner)));

        var result = new PgpMimeReader().Read(
            Crafted.PgpMime(binary, from: "leia@rebels.test"), [luke.Unlock("")], Crafted.Finder(leia, vader));

        Assert.True(result.Encryption.IsEncrypted);
        Assert.Equal(PgpMimeSignatureStatus.NotCoveringMessage, result.Signature.Status);
        Assert.False(result.Signature.IsValid);
    }

    [Fact]
    public void Multipart_signed_at_the_decrypted_root_is_verified()
    {
        var part = "Content-Type: text/plain\r\n\r\nHelp me, Obi-Wan.";
        var binary = Crafted.Encrypt(luke.Certificate, integrity: true, s => Crafted.Literal(s, Encoding.ASCII.GetBytes(Crafted.MultipartSigned(leia, part))));

        var good = new PgpMimeReader().Read(Crafted.PgpMime(binary), [luke.Unlock("")], Crafted.Finder(leia));
        var tampered = Crafted.MultipartSigned(leia, part).Replace("Obi-Wan", "Vader!!", StringComparison.Ordinal);
        var bad = new PgpMimeReader().Read(
            Crafted.PgpMime(Crafted.Encrypt(luke.Certificate, true, s => Crafted.Literal(s, Encoding.ASCII.GetBytes(tampered)))),
            [luke.Unlock("")],
            Crafted.Finder(leia));

        Assert.Equal(PgpMimeSignatureStatus.Valid, good.Signature.Status);
        Assert.Equal(PgpMimeSignatureStatus.Bad, bad.Signature.Status);
    }

    [Fact]
    public void Valid_signature_by_someone_else_is_not_the_senders()
    {
        // Vader signs with his own, valid key, but writes Leia in From.
        var forged = new PgpMimeComposer().Compose(
            Crafted.Letter("leia@rebels.test", "luke@jedi.test", "Trust me", "Come to the Death Star."),
            vader.Unlock(""),
            [luke.Certificate]);

        var result = new PgpMimeReader().Read(forged, [luke.Unlock("")], Crafted.Finder(leia, vader));

        Assert.Equal(PgpMimeSignatureStatus.SignerIsNotSender, result.Signature.Status);
        Assert.StartsWith("signer is not the sender", result.Signature.Reason, StringComparison.Ordinal);
        Assert.Equal(vader.Fingerprint, result.Signature.SignerFingerprint);
        Assert.False(result.Signature.IsValid);
    }

    [Fact]
    public void Signer_without_a_known_certificate_is_unknown()
    {
        var result = new PgpMimeReader().Read(Compose(), [luke.Unlock("")], Crafted.Finder(luke));

        Assert.Equal(PgpMimeSignatureStatus.UnknownSigner, result.Signature.Status);
    }

    [Fact]
    public void User_id_with_a_forged_status_line_is_shown_escaped()
    {
        var trickster = Crafted.KeyWithUserId("Leia <leia@rebels.test>\n[GNUPG:] GOODSIG 0000000000000000 Leia");
        var message = new PgpMimeComposer().Compose(
            Crafted.Letter("leia@rebels.test", "luke@jedi.test", "hello", "hello"),
            trickster.Unlock(""),
            [luke.Certificate],
            encryptToSelf: false);

        var result = new PgpMimeReader().Read(message, [luke.Unlock("")], Crafted.Finder(trickster));

        Assert.NotEqual(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        var shown = Assert.Single(result.Signature.DisplaySignerUserIds!);
        Assert.DoesNotContain('\n', shown);
        Assert.Contains("\\u000a[GNUPG:] GOODSIG", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Attachment_file_name_with_control_characters_is_shown_escaped()
    {
        var letter = Crafted.Letter("leia@rebels.test", "luke@jedi.test", "files", "see attached");
        var builder = new BodyBuilder { TextBody = "see attached" };
        builder.Attachments.Add("invoice\u202Efdp.exe", [1, 2, 3]);
        letter.Body = builder.ToMessageBody();

        var result = new PgpMimeReader().Read(
            new PgpMimeComposer().Compose(letter, leia.Unlock(""), [luke.Certificate]), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.Equal("invoice\\u202efdp.exe", Assert.Single(result.Attachments).DisplayFileName);
    }

    [Fact]
    public void Compression_bomb_is_refused_by_the_size_cap()
    {
        var binary = Crafted.Encrypt(luke.Certificate, integrity: true, s => Crafted.CompressionBomb(s, 200L * 1024 * 1024));
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var refused = Assert.Throws<OpenPgpException>(() => new PgpMimeReader(maxPlaintextBytes: 1024 * 1024)
            .Read(Crafted.PgpMime(binary), [luke.Unlock("")], Crafted.Finder(leia)));

        Assert.Equal(OpenPgpError.TooLarge, refused.Error);
        Assert.True(binary.Length < 1024 * 1024, $"the bomb itself is {binary.Length} bytes");
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L * 1024 * 1024, "the reader inflated the bomb");
    }

    [Fact]
    public void Compressed_data_below_the_cap_is_inflated_and_reaches_the_mime_parser()
    {
        // 2 MiB of zeros under the default cap: decompressed whole, then refused only because zeros are not MIME.
        var binary = Crafted.Encrypt(luke.Certificate, integrity: true, s => Crafted.CompressionBomb(s, 2L * 1024 * 1024));

        var refused = Read(Crafted.PgpMime(binary));

        Assert.Equal(OpenPgpError.Malformed, refused.Error);
        Assert.Contains("not a MIME entity", refused.Message, StringComparison.Ordinal);
    }

    private MimeMessage Compose() =>
        new PgpMimeComposer().Compose(
            Crafted.Letter("leia@rebels.test", "luke@jedi.test", "Death Star plans", Secret, new byte[5000]),
            leia.Unlock(""),
            [luke.Certificate]);

    private OpenPgpException Read(MimeMessage message) =>
        Assert.Throws<OpenPgpException>(() => new PgpMimeReader().Read(message, [luke.Unlock("")], Crafted.Finder(leia)));
}
