using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Testing.PgpMime;
using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Core.Tests.PgpMime;

public sealed class PgpMimeRoundTripTests
{
    private const string Secret = "The exhaust port is two metres wide";
    private const string RealSubject = "Death Star plans";

    private readonly SecretKey leia = Crafted.Key("leia@rebels.test");
    private readonly SecretKey luke = Crafted.Key("luke@jedi.test");
    private readonly byte[] plans = RandomBytes(20_000);

    [Fact]
    public void Luke_reads_Leias_message_with_its_attachment_and_a_valid_signature()
    {
        var received = Crafted.Reload(Compose());

        var result = new PgpMimeReader().Read(received, [luke.Unlock("")], Crafted.Finder(leia, luke));

        Assert.True(result.Encryption.IsEncrypted);
        Assert.True(result.Encryption.IsIntegrityProtected);
        Assert.Equal("Aes256", result.Encryption.Cipher);
        Assert.False(result.Encryption.WasCompressed);
        Assert.Equal(luke.Certificate.Subkeys[0].KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture), result.Encryption.DecryptedWithKeyId);
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Equal(leia.Fingerprint, result.Signature.SignerFingerprint);
        Assert.Equal("leia@rebels.test", result.Signature.SignerAddress);
        Assert.True(result.HeadersProtected);
        Assert.Equal(RealSubject, result.Subject);
        Assert.Equal("leia@rebels.test", result.From.Mailboxes.Single().Address);
        Assert.Equal("luke@jedi.test", result.To.Mailboxes.Single().Address);
        var text = Assert.IsType<TextPart>(((Multipart)result.Body!)[0]);
        Assert.Equal(Secret, text.Text.TrimEnd());
        var attachment = Assert.Single(result.Attachments);
        Assert.Equal("plans.pdf", attachment.DisplayFileName);
        Assert.False(attachment.IsOpenPgpData);
        using var saved = new MemoryStream();
        attachment.Part.Content!.DecodeTo(saved);
        Assert.Equal(plans, saved.ToArray());
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Outer_message_is_rfc3156_7bit_and_hides_the_body_and_the_subject()
    {
        var composed = Compose();
        var wire = Encoding.ASCII.GetString(Crafted.Serialize(composed));

        Assert.DoesNotContain(Secret, wire, StringComparison.Ordinal);
        Assert.DoesNotContain(RealSubject, wire, StringComparison.Ordinal);
        Assert.DoesNotContain("plans.pdf", wire, StringComparison.Ordinal);
        Assert.Equal("[...]", composed.Subject);
        Assert.Contains("MIME-Version: 1.0", wire, StringComparison.Ordinal);
        Assert.Single(composed.Headers, h => h.Id == HeaderId.Date);
        Assert.Equal("leia@rebels.test", composed.From.Mailboxes.Single().Address);
        Assert.Equal("luke@jedi.test", composed.To.Mailboxes.Single().Address);
        Assert.False(string.IsNullOrEmpty(composed.MessageId));
        var body = Assert.IsType<MultipartEncrypted>(composed.Body);
        Assert.Equal("application/pgp-encrypted", body.ContentType.Parameters["protocol"]);
        Assert.Equal(2, body.Count);
        Assert.Equal("application/pgp-encrypted", body[0].ContentType.MimeType);
        Assert.Contains("Version: 1", ((MimePart)body[0]).Content!.Open().ReadAllText(), StringComparison.Ordinal);
        Assert.Equal("application/octet-stream", body[1].ContentType.MimeType);
        Assert.All(Crafted.Serialize(composed), b => Assert.True(b < 0x80));
        Assert.All(wire.Split('\n'), line => Assert.True(line.Length <= 998));
    }

    [Fact]
    public void Inner_entity_carries_the_protected_headers_with_both_markers_and_is_7bit()
    {
        var composed = Compose();

        var result = new PgpMimeReader().Read(composed, [luke.Unlock("")], Crafted.Finder(leia));

        var root = result.Body!;
        Assert.Equal("cipher", root.ContentType.Parameters["hp"]);
        Assert.Equal("v1", root.ContentType.Parameters["protected-headers"]);
        Assert.Equal(RealSubject, root.Headers[HeaderId.Subject]);
        Assert.Contains("leia@rebels.test", root.Headers[HeaderId.From], StringComparison.Ordinal);
        Assert.Equal(composed.MessageId, result.MessageId);
        Assert.Equal(composed.Date, result.Date);
        Assert.All(
            ((Multipart)root).OfType<MimePart>(),
            p => Assert.True(p.ContentTransferEncoding is ContentEncoding.Base64 or ContentEncoding.QuotedPrintable or ContentEncoding.SevenBit or ContentEncoding.Default));
    }

    [Fact]
    public void Leia_decrypts_her_own_copy()
    {
        var composed = Compose();

        var result = new PgpMimeReader().Read(composed, [leia.Unlock("")], Crafted.Finder(leia));

        Assert.True(result.Encryption.IsEncrypted);
        Assert.Equal(2, result.Encryption.RecipientKeyIds!.Count);
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Equal(RealSubject, result.Subject);
    }

    [Fact]
    public void Additional_decryption_key_opens_the_message_and_a_stranger_cannot()
    {
        var org = Crafted.Key("escrow@rebels.test");
        var stranger = Crafted.Key("han@falcon.test");
        var composed = new PgpMimeComposer().Compose(
            Crafted.Letter("leia@rebels.test", "luke@jedi.test", RealSubject, Secret),
            leia.Unlock(""),
            [luke.Certificate],
            [org.Certificate]);

        var result = new PgpMimeReader().Read(composed, [org.Unlock("")], Crafted.Finder(leia));
        var refused = Assert.Throws<OpenPgpException>(
            () => new PgpMimeReader().Read(composed, [stranger.Unlock("")], Crafted.Finder(leia)));

        Assert.Equal(RealSubject, result.Subject);
        Assert.Equal(OpenPgpError.NoDecryptionKey, refused.Error);
    }

    [Fact]
    public void Recipient_without_a_usable_encryption_key_is_refused()
    {
        var expired = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("obiwan@jedi.test"))
        {
            CreatedAt = DateTimeOffset.UtcNow.AddDays(-10),
            Validity = TimeSpan.FromDays(1),
        });

        var refused = Assert.Throws<OpenPgpException>(() => new PgpMimeComposer().Compose(
            Crafted.Letter("leia@rebels.test", "obiwan@jedi.test", RealSubject, Secret),
            leia.Unlock(""),
            [luke.Certificate, expired.Certificate]));

        Assert.Equal(OpenPgpError.NoEncryptionKey, refused.Error);
        Assert.Contains(expired.Fingerprint, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_leaves_the_input_message_unchanged()
    {
        var letter = Crafted.Letter("leia@rebels.test", "luke@jedi.test", RealSubject, Secret, plans);
        var before = Crafted.Serialize(letter);

        new PgpMimeComposer().Compose(letter, leia.Unlock(""), [luke.Certificate]);

        Assert.Equal(before, Crafted.Serialize(letter));
    }

    [Fact]
    public void Non_ascii_subject_and_body_travel_in_7bit_and_come_back_intact()
    {
        var letter = Crafted.Letter("leia@rebels.test", "luke@jedi.test", "Plänë für Ændor ✓", "Grüße aus Ændor — ✓");

        var composed = new PgpMimeComposer().Compose(letter, leia.Unlock(""), [luke.Certificate]);
        var result = new PgpMimeReader().Read(Crafted.Reload(composed), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.All(Crafted.Serialize(composed), b => Assert.True(b < 0x80));
        Assert.Equal("Plänë für Ændor ✓", result.Subject);
        Assert.Equal("Grüße aus Ændor — ✓", Assert.IsType<TextPart>(result.Body).Text.TrimEnd());
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
    }

    [Fact]
    public void Protected_from_wins_over_a_changed_outer_from_and_the_change_is_reported()
    {
        var composed = Compose();
        composed.From.Clear();
        composed.From.Add(MailboxAddress.Parse("vader@empire.test"));

        var result = new PgpMimeReader().Read(Crafted.Reload(composed), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.Equal("leia@rebels.test", result.From.Mailboxes.Single().Address);
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Contains(result.Warnings, w => w.Contains("outer From", StringComparison.Ordinal));
    }

    private MimeMessage Compose() =>
        new PgpMimeComposer().Compose(
            Crafted.Letter("Leia <leia@rebels.test>", "luke@jedi.test", RealSubject, Secret, plans),
            leia.Unlock(""),
            [luke.Certificate]);

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(7).NextBytes(bytes);
        return bytes;
    }
}
