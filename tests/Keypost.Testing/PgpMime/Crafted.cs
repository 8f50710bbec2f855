using System.IO.Compression;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;
using Keypost.Testing.OpenPgp;

namespace Keypost.Testing.PgpMime;

/// <summary>Builds messages and OpenPGP data by hand with BouncyCastle, including what Keypost never sends.</summary>
public static class Crafted
{
    public static SecretKey Key(string address) =>
        new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse(address)));

    /// <summary>A key whose only user ID is <paramref name="userId"/>, verbatim (control characters included).</summary>
    public static SecretKey KeyWithUserId(string userId)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetKeyFlags(false, Org.BouncyCastle.Bcpg.Sig.KeyFlags.CertifyOther | Org.BouncyCastle.Bcpg.Sig.KeyFlags.SignData);
        var generator = new PgpKeyRingGenerator(
            PgpSignature.PositiveCertification, TestKeys.Ed25519(), userId, SymmetricKeyAlgorithmTag.Null,
            HashAlgorithmTag.Sha512, Array.Empty<byte>(), true, hashed.Generate(), null, new SecureRandom());
        return SecretKey.Parse(new PgpSecretKeyRing(generator.GenerateSecretKeyRing().GetEncoded()).GetEncoded());
    }

    public static Func<ulong, Certificate?> Finder(params SecretKey[] keys) =>
        id => keys.Select(k => k.Certificate).FirstOrDefault(c => c.KeyId == id || c.Subkeys.Any(s => s.KeyId == id));

    public static MimeMessage Letter(string from, string to, string subject, string text, byte[]? attachment = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        var builder = new BodyBuilder { TextBody = text };
        if (attachment is not null)
        {
            builder.Attachments.Add("plans.pdf", attachment, new ContentType("application", "pdf"));
        }

        message.Body = builder.ToMessageBody();
        return message;
    }

    public static byte[] Serialize(MimeMessage message)
    {
        using var output = new MemoryStream();
        message.WriteTo(output);
        return output.ToArray();
    }

    public static MimeMessage Reload(MimeMessage message) => MimeMessage.Load(new MemoryStream(Serialize(message)));

    /// <summary>The binary OpenPGP message inside a PGP/MIME message's second part.</summary>
    public static byte[] Binary(MimeMessage encrypted)
    {
        var part = Assert.IsType<MimePart>(Assert.IsType<MultipartEncrypted>(encrypted.Body)[1]);
        using var armored = new MemoryStream();
        part.Content!.DecodeTo(armored);
        armored.Position = 0;
        using var binary = new MemoryStream();
        PgpUtilities.GetDecoderStream(armored).CopyTo(binary);
        return binary.ToArray();
    }

    public static string Armor(byte[] binary)
    {
        using var output = new MemoryStream();
        using (var armored = new ArmoredOutputStream(output))
        {
            armored.Write(binary, 0, binary.Length);
        }

        return Encoding.ASCII.GetString(output.ToArray());
    }

    /// <summary>An RFC 3156 message around <paramref name="binary"/> (re-armored, so the CRC-24 is right).</summary>
    public static MimeMessage PgpMime(byte[] binary, string from = "leia@rebels.test", string to = "luke@jedi.test")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "[...]";
        var body = new MultipartEncrypted();
        body.ContentType.Parameters["protocol"] = "application/pgp-encrypted";
        body.Add(new ApplicationPgpEncrypted());
        body.Add(ArmoredPart(binary));
        message.Body = body;
        return message;
    }

    public static MimePart ArmoredPart(byte[] binary) =>
        new("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(Armor(binary)))),
            FileName = "encrypted.asc",
        };

    /// <summary>Encrypts whatever <paramref name="writeInner"/> writes, with or without an MDC.</summary>
    public static byte[] Encrypt(Certificate to, bool integrity, Action<Stream> writeInner)
    {
        var generator = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, integrity, new SecureRandom());
        foreach (var subkey in to.EncryptionSubkeys(DateTimeOffset.UtcNow))
        {
            generator.AddMethod(to.ToBouncyCastle().GetPublicKey(unchecked((long)subkey.KeyId)));
        }

        using var output = new MemoryStream();
        using (var encrypted = generator.Open(output, new byte[1 << 16]))
        {
            writeInner(encrypted);
        }

        return output.ToArray();
    }

    public static void Literal(Stream output, byte[] data)
    {
        using var literal = new PgpLiteralDataGenerator().Open(output, PgpLiteralData.Binary, "", data.Length, DateTime.UtcNow);
        literal.Write(data, 0, data.Length);
    }

    /// <summary>A detached binary signature (RFC 3156 §5) over <paramref name="data"/>.</summary>
    public static byte[] DetachedSignature(SecretKey key, byte[] data)
    {
        var generator = new PgpSignatureGenerator(PublicKeyAlgorithmTag.EdDsa_Legacy, HashAlgorithmTag.Sha512);
        generator.InitSign(PgpSignature.BinaryDocument, key.Unlock("").SigningKey);
        generator.Update(data);
        return generator.Generate().GetEncoded();
    }

    /// <summary>A multipart/signed entity, written out byte for byte so the signed part is exactly what is hashed.</summary>
    public static string MultipartSigned(SecretKey signer, string contentPart)
    {
        var signature = Armor(DetachedSignature(signer, Encoding.UTF8.GetBytes(contentPart))).Replace("\n", "\r\n", StringComparison.Ordinal);
        return "Content-Type: multipart/signed; boundary=\"sig-b\"; protocol=\"application/pgp-signature\"; micalg=pgp-sha512\r\n"
            + "\r\n--sig-b\r\n" + contentPart + "\r\n--sig-b\r\n"
            + "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n"
            + signature + "\r\n--sig-b--\r\n";
    }

    /// <summary>
    /// ZLIB (RFC 4880 §9.3, algorithm 2) holding a literal packet of <paramref name="zeros"/> zero bytes, written
    /// with the platform zlib so building it is fast; its packet lengths are five-octet new-format lengths.
    /// </summary>
    public static void CompressionBomb(Stream output, long zeros)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            WriteHeader(zlib, 11, 6 + zeros);
            zlib.Write([(byte)'b', 0, 0, 0, 0, 0]);
            var chunk = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= chunk.Length)
            {
                zlib.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
            }
        }

        WriteHeader(output, 8, 1 + compressed.Length);
        output.WriteByte(2);
        compressed.Position = 0;
        compressed.CopyTo(output);
    }

    // RFC 4880 §4.2.2.3: new-format tag, five-octet length.
    private static void WriteHeader(Stream output, int tag, long length) =>
        output.Write([(byte)(0xC0 | tag), 0xFF, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length]);
}
