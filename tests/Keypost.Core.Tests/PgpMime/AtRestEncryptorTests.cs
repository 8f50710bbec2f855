using System.Text;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Core.Tests.PgpMime;

public sealed class AtRestEncryptorTests
{
    private const string RealSubject = "Your statement for November";
    private const string Body = "Balance: 1,000,000 credits.";

    private readonly SecretKey luke = Crafted.Key("luke@jedi.test");

    private static byte[] Original(string lineEnd = "\r\n", string extra = "") => Encoding.UTF8.GetBytes(string.Join(lineEnd,
        "Received: from mx.bank.test ([192.0.2.1]) by relay.bank.test; Mon, 7 Dec 2026 00:00:00 +0000",
        "DKIM-Signature: v=1; a=ed25519-sha256; d=bank.test; s=s1; h=from:to:subject; bh=x; b=y",
        "From: Bank <statements@bank.test>",
        "To: Luke <luke@jedi.test>",
        "Subject: " + RealSubject,
        "Date: Mon, 7 Dec 2026 00:00:00 +0000",
        "Message-ID: <statement-1@bank.test>",
        "",
        Body + extra,
        ""));

    private async Task<byte[]> StoreAsync(byte[] original, params Certificate[] recipients)
    {
        var parsed = MimeMessage.Load(new MemoryStream(original));
        using var source = new MemoryStream(original);
        using var output = new MemoryStream();
        await new AtRestEncryptor().WriteEncryptedAsync(parsed, source, recipients.Length == 0 ? [luke.Certificate] : recipients, output, CancellationToken.None);
        return output.ToArray();
    }

    [Fact]
    public async Task A_plain_message_is_stored_without_its_subject_or_body_and_keypost_reads_both()
    {
        var stored = await StoreAsync(Original());
        var text = Encoding.UTF8.GetString(stored);

        Assert.DoesNotContain(RealSubject, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, text, StringComparison.Ordinal);
        var outer = MimeMessage.Load(new MemoryStream(stored));
        Assert.Equal("[...]", outer.Subject);
        Assert.Equal("statements@bank.test", outer.From.Mailboxes.Single().Address);
        Assert.Equal("<statement-1@bank.test>", "<" + outer.MessageId + ">");
        // RFC 5321 §4.4: the earlier hop's trace line stays outside; the DKIM signature only inside.
        Assert.Contains(outer.Headers, h => h.Id == HeaderId.Received && h.Value.Contains("relay.bank.test", StringComparison.Ordinal));
        Assert.DoesNotContain(outer.Headers, h => h.Id == HeaderId.DkimSignature);
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var read = new PgpMimeReader().Read(outer, [luke.Unlock("")], _ => null);
        Assert.True(read.Encryption.IsEncrypted);
        Assert.True(read.HeadersProtected);
        Assert.Equal(RealSubject, read.Subject);
        Assert.Equal(PgpMimeSignatureStatus.Unsigned, read.Signature.Status);
        var wrapped = Assert.IsType<MessagePart>(Assert.Single((Multipart)read.Body!));
        Assert.Equal(Body, Assert.IsType<TextPart>(wrapped.Message?.Body).Text.TrimEnd());
        Assert.Empty(read.Warnings);
    }

    [Fact]
    public async Task The_inner_part_is_the_original_byte_for_byte()
    {
        var original = Original();
        var stored = await StoreAsync(original);

        var plaintext = StoredMessage.Decrypt(stored, luke);
        Assert.Equal(original, StoredMessage.InnerOriginal(plaintext));
        var inner = MimeEntity.Load(new MemoryStream(plaintext));
        Assert.Equal("cipher", inner.ContentType.Parameters["hp"]);
        Assert.Equal("v1", inner.ContentType.Parameters["protected-headers"]);
        Assert.Equal(RealSubject, inner.Headers[HeaderId.Subject]);
        Assert.Equal("7bit", ((MessagePart)((Multipart)inner)[0]).Headers[HeaderId.ContentTransferEncoding]);
    }

    [Theory]
    [InlineData("\r\n", "caf\u00e9", "8bit")]
    [InlineData("\n", "", "binary")]
    public async Task The_transfer_encoding_label_tells_the_truth_and_the_bytes_stay(string lineEnd, string extra, string label)
    {
        var original = Original(lineEnd, extra);
        var stored = await StoreAsync(original);

        var plaintext = StoredMessage.Decrypt(stored, luke);
        Assert.Equal(original, StoredMessage.InnerOriginal(plaintext));
        var inner = (Multipart)MimeEntity.Load(new MemoryStream(plaintext));
        Assert.Equal(label, inner[0].Headers[HeaderId.ContentTransferEncoding]);
    }

    [Fact]
    public async Task Every_recipient_certificate_can_decrypt()
    {
        var newDevice = Crafted.Key("luke@jedi.test");
        var stored = await StoreAsync(Original(), luke.Certificate, newDevice.Certificate);

        Assert.Equal(Original(), StoredMessage.InnerOriginal(StoredMessage.Decrypt(stored, luke)));
        Assert.Equal(Original(), StoredMessage.InnerOriginal(StoredMessage.Decrypt(stored, newDevice)));
    }

    [Fact]
    public async Task A_certificate_that_cannot_encrypt_is_refused()
    {
        var signOnly = Crafted.KeyWithUserId("luke@jedi.test");

        var e = await Assert.ThrowsAsync<OpenPgpException>(() => StoreAsync(Original(), signOnly.Certificate));
        Assert.Equal(OpenPgpError.NoEncryptionKey, e.Error);
    }
}
