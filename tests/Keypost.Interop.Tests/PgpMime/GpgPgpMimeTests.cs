using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Interop.Tests.GnuPG;
using Keypost.Testing;
using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Interop.Tests.PgpMime;

/// <summary>PGP/MIME between Keypost and GnuPG 2.2, both ways, as mutt drives gpg.</summary>
public sealed class GpgPgpMimeTests
{
    private const string Secret = "The exhaust port is two metres wide";

    // Protected keys: gpg 2.2 refuses BouncyCastle's unprotected EdDSA/ECDH secret keys with "Checksum error".
    private const string Passphrase = "force";

    private readonly SecretKey leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebels.test")) { DisplayName = "Leia", Passphrase = Passphrase });
    private readonly SecretKey luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")) { DisplayName = "Luke", Passphrase = Passphrase });

    [ToolFact("gpg", "gpgconf")]
    public async Task Gpg_decrypts_a_Keypost_message_and_reports_a_good_signature_by_Leia()
    {
        var letter = new MimeMessage();
        letter.From.Add(MailboxAddress.Parse("leia@rebels.test"));
        letter.To.Add(MailboxAddress.Parse("luke@jedi.test"));
        letter.Subject = "Death Star plans";
        letter.Body = new BodyBuilder { TextBody = Secret }.ToMessageBody();
        var composed = new PgpMimeComposer().Compose(letter, leia.Unlock(Passphrase), [luke.Certificate]);
        await using var gpg = new GpgHome();
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(luke.ToArmored()), "--passphrase", Passphrase);
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(leia.Certificate.ToArmored()));
        var encrypted = gpg.PathOf("encrypted.asc");
        await using (var file = File.Create(encrypted))
        {
            ((MimePart)((MultipartEncrypted)composed.Body!)[1]).Content!.DecodeTo(file);
        }

        var inner = gpg.PathOf("inner.eml");
        var result = await gpg.GpgAsync("--passphrase", Passphrase, "--status-fd", "1", "--output", inner, "--decrypt", encrypted);

        var status = result.StandardOutput;
        Assert.Contains("[GNUPG:] DECRYPTION_OKAY", status, StringComparison.Ordinal);
        Assert.DoesNotContain("DECRYPTION_FAILED", status, StringComparison.Ordinal);
        Assert.DoesNotContain("BADMDC", status, StringComparison.Ordinal);
        Assert.Contains("[GNUPG:] DECRYPTION_INFO 2 9", status, StringComparison.Ordinal);
        Assert.Contains("[GNUPG:] GOODSIG " + leia.Certificate.KeyIdHex, status, StringComparison.Ordinal);
        Assert.Contains("[GNUPG:] VALIDSIG " + leia.Fingerprint, status, StringComparison.Ordinal);
        Assert.Contains("[GNUPG:] ENC_TO " + luke.Certificate.Subkeys[0].KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture), status, StringComparison.Ordinal);
        var entity = MimeEntity.Load(inner);
        Assert.Equal("cipher", entity.ContentType.Parameters["hp"]);
        Assert.Equal("v1", entity.ContentType.Parameters["protected-headers"]);
        Assert.Equal("Death Star plans", entity.Headers[HeaderId.Subject]);
        Assert.Equal(Secret, Assert.IsType<TextPart>(entity).Text.TrimEnd());
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Keypost_reads_a_message_gpg_encrypted_and_signed_as_mutt_does()
    {
        await using var gpg = new GpgHome();
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(leia.ToArmored()), "--passphrase", Passphrase);
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(luke.Certificate.ToArmored()));
        var plain = gpg.PathOf("inner.txt");
        // mutt writes the entity with local (LF) line ends and signs in text mode.
        await File.WriteAllTextAsync(
            plain,
            "Content-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\n\n" + Secret + "\nLine two.\n");
        var armored = gpg.PathOf("inner.asc");
        await gpg.GpgAsync(
            "--passphrase", Passphrase, "--trust-model", "always", "--textmode", "--armor", "--output", armored,
            "--local-user", leia.Fingerprint, "--recipient", "luke@jedi.test", "--encrypt", "--sign", plain);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("Leia <leia@rebels.test>"));
        message.To.Add(MailboxAddress.Parse("luke@jedi.test"));
        message.Subject = "from mutt";
        var body = new MultipartEncrypted();
        body.ContentType.Parameters["protocol"] = "application/pgp-encrypted";
        body.Add(new ApplicationPgpEncrypted());
        body.Add(new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(await File.ReadAllBytesAsync(armored))),
            ContentTransferEncoding = ContentEncoding.SevenBit,
        });
        message.Body = body;
        using var wire = new MemoryStream();
        message.WriteTo(wire);
        wire.Position = 0;

        var result = new PgpMimeReader().Read(
            MimeMessage.Load(wire),
            [luke.Unlock(Passphrase)],
            id => id == leia.Certificate.KeyId || leia.Certificate.Subkeys.Any(s => s.KeyId == id) ? leia.Certificate : null);

        Assert.True(result.Encryption.IsEncrypted);
        Assert.True(result.Encryption.IsIntegrityProtected);
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Equal(leia.Fingerprint, result.Signature.SignerFingerprint);
        Assert.False(result.HeadersProtected);
        Assert.Equal("from mutt", result.Subject);
        Assert.StartsWith(Secret, Assert.IsType<TextPart>(result.Body).Text, StringComparison.Ordinal);
    }
}
