using System.Text;
using Keypost.Core.OpenPgp;
using MimeKit;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Testing.PgpMime;

/// <summary>
/// Messages in the shape Thunderbird's built-in OpenPGP (and Enigmail before it) writes: the encrypted root carries
/// protected-headers="v1" and no hp parameter, often no Date; the signature is a one-pass signature inside the
/// encryption (RFC 3156 §6.2, combined method), the outer Subject is "...".
/// </summary>
public static class ThunderbirdMail
{
    /// <summary>The inner entity as Thunderbird 115+ writes it (multipart/mixed with the protected fields).</summary>
    public static string InnerEntity(string from, string to, string subject, string text, string? marker = "protected-headers=\"v1\"") =>
        "Content-Type: multipart/mixed; boundary=\"------------tb0123456789\""
        + (marker is null ? "" : "; " + marker) + "\r\n"
        + $"From: {from}\r\nTo: {to}\r\nMessage-ID: <tb-{Guid.NewGuid():N}@rebels.test>\r\nSubject: {subject}\r\n\r\n"
        + "--------------tb0123456789\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\n"
        + "Content-Transfer-Encoding: 7bit\r\n\r\n" + text + "\r\n\r\n--------------tb0123456789--\r\n";

    /// <summary>
    /// A whole message: <paramref name="signer"/> signs and encrypts to <paramref name="to"/> (and itself), the
    /// outer Subject is "..." as Thunderbird writes it.
    /// </summary>
    public static MimeMessage Message(SecretKey signer, Certificate to, string fromAddress, string toAddress, string subject, string text, string? marker = "protected-headers=\"v1\"")
    {
        var inner = Encoding.UTF8.GetBytes(InnerEntity(fromAddress, toAddress, subject, text, marker));
        var message = Crafted.PgpMime(SignAndEncrypt(signer, [to, signer.Certificate], inner), fromAddress, toAddress);
        message.Subject = "...";
        return message;
    }

    /// <summary>RFC 4880 §11.3: encrypted data (with MDC) holding one-pass signature, literal data, signature.</summary>
    public static byte[] SignAndEncrypt(SecretKey signer, IEnumerable<Certificate> recipients, byte[] data)
    {
        var encrypter = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, true, new SecureRandom());
        foreach (var certificate in recipients)
        {
            foreach (var subkey in certificate.EncryptionSubkeys(DateTimeOffset.UtcNow))
            {
                encrypter.AddMethod(certificate.ToBouncyCastle().GetPublicKey(unchecked((long)subkey.KeyId)));
            }
        }

        var unlocked = signer.Unlock("");
        var sign = new PgpSignatureGenerator(PublicKeyAlgorithmTag.EdDsa_Legacy, HashAlgorithmTag.Sha256);
        sign.InitSign(PgpSignature.BinaryDocument, unlocked.SigningKey);
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, DateTime.UtcNow.AddSeconds(-5));
        hashed.SetIssuerFingerprint(false, signer.Certificate.ToBouncyCastle().GetPublicKey());
        sign.SetHashedSubpackets(hashed.Generate());
        using var output = new MemoryStream();
        using (var encrypted = encrypter.Open(output, new byte[1 << 16]))
        {
            sign.GenerateOnePassVersion(false).Encode(encrypted);
            using (var literal = new PgpLiteralDataGenerator().Open(encrypted, PgpLiteralData.Binary, "", data.Length, DateTime.UtcNow))
            {
                literal.Write(data, 0, data.Length);
            }

            sign.Update(data);
            sign.Generate().Encode(encrypted);
        }

        return output.ToArray();
    }
}
