using System.Text;
using Keypost.Core.PgpMime;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Core.Tests.PgpMime;

public sealed class EncryptionDetectorTests
{
    private static Task<ExistingEncryption> DetectAsync(string message) =>
        EncryptionDetector.DetectAsync(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(message.Replace("\n", "\r\n", StringComparison.Ordinal)))), CancellationToken.None);

    [Fact]
    public async Task A_plain_message_is_not_encrypted()
    {
        Assert.Equal(ExistingEncryption.None, await DetectAsync("From: a@b.test\nSubject: hi\n\nPGP is nice.\n"));
    }

    [Fact]
    public async Task Pgp_mime_from_keypost_is_encrypted()
    {
        var luke = Crafted.Key("luke@jedi.test");
        var sent = new PgpMimeComposer().ComposeEncryptOnly(Crafted.Letter("leia@rebels.test", "luke@jedi.test", "s", "t"), [luke.Certificate]);

        Assert.Equal(ExistingEncryption.MultipartEncrypted, await EncryptionDetector.DetectAsync(Crafted.Reload(sent), CancellationToken.None));
    }

    [Theory]
    [InlineData("application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m")]
    [InlineData("application/x-pkcs7-mime; name=smime.p7m")]
    public async Task S_mime_at_the_root_is_encrypted(string contentType)
    {
        Assert.Equal(ExistingEncryption.SMime, await DetectAsync($"From: a@b.test\nMIME-Version: 1.0\nContent-Type: {contentType}\nContent-Transfer-Encoding: base64\n\nMIIB\n"));
    }

    [Fact]
    public async Task S_mime_inside_a_multipart_is_left_alone_too()
    {
        Assert.Equal(ExistingEncryption.SMime, await DetectAsync(
            "From: a@b.test\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nsee attached\n--x\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nMIIB\n--x--\n"));
    }

    [Fact]
    public async Task Inline_pgp_far_down_a_quoted_reply_is_found()
    {
        // Past the first 64 KiB buffer, and in a quoted-printable part, so it is found only in the decoded text.
        var quoted = string.Concat(Enumerable.Repeat("> an old line of quoted text that goes on\n", 2000));
        var message = "From: a@b.test\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
            + quoted + "-----BEGIN PGP MESSAGE-----\n\nhQEMA=3D=3D\n-----END PGP MESSAGE-----\n";

        Assert.Equal(ExistingEncryption.InlinePgp, await DetectAsync(message));
    }

    [Fact]
    public async Task Armor_split_across_two_reads_is_found()
    {
        var filler = new string('a', 65536 - 10);
        Assert.Equal(ExistingEncryption.InlinePgp, await DetectAsync($"From: a@b.test\n\n{filler}-----BEGIN PGP MESSAGE-----\n"));
    }

    [Fact]
    public async Task A_multipart_encrypted_of_another_protocol_is_left_alone()
    {
        Assert.Equal(ExistingEncryption.MultipartEncrypted, await DetectAsync(
            "From: a@b.test\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol=\"application/x-other\"; boundary=x\n\n--x\nContent-Type: application/x-other\n\n--x--\n"));
    }
}
