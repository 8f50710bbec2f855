using System.Text;
using Keypost.Core.OpenPgp;
using MimeKit;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Testing.PgpMime;

/// <summary>
/// Opens a message as encryption at rest stored it, independently of Keypost's reader: decrypts the RFC 3156 data
/// part with BouncyCastle (MDC required) and cuts the message/rfc822 part out of the plaintext by its boundary, so
/// tests can compare the inner original byte for byte with what was sent.
/// </summary>
public static class StoredMessage
{
    /// <summary>The decrypted inner entity, as bytes.</summary>
    public static byte[] Decrypt(byte[] stored, SecretKey key)
    {
        var message = MimeMessage.Load(new MemoryStream(stored));
        var data = (MimePart)((Multipart)message.Body!)[1];
        using var armored = new MemoryStream();
        data.Content!.DecodeTo(armored);
        armored.Position = 0;
        var unlocked = key.Unlock("");
        var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(armored));
        var list = factory.NextPgpObject() as PgpEncryptedDataList ?? throw new InvalidOperationException("no encrypted data list");
        foreach (PgpPublicKeyEncryptedData encrypted in list.GetEncryptedDataObjects())
        {
            if (unlocked.FindPrivateKey(unchecked((ulong)encrypted.KeyId)) is not { } privateKey)
            {
                continue;
            }

            if (!encrypted.IsIntegrityProtected())
            {
                throw new InvalidOperationException("no MDC");
            }

            var literal = (PgpLiteralData)new PgpObjectFactory(encrypted.GetDataStream(privateKey)).NextPgpObject();
            using var plain = new MemoryStream();
            literal.GetDataStream().CopyTo(plain);
            if (!encrypted.Verify())
            {
                throw new InvalidOperationException("MDC mismatch");
            }

            return plain.ToArray();
        }

        throw new InvalidOperationException("not encrypted to this key");
    }

    /// <summary>The content of the message/rfc822 part of <paramref name="plaintext"/>, exactly as it stands.</summary>
    public static byte[] InnerOriginal(byte[] plaintext)
    {
        var entity = MimeEntity.Load(new MemoryStream(plaintext));
        var boundary = ((Multipart)entity).Boundary ?? throw new InvalidOperationException("no boundary");
        var text = Encoding.Latin1.GetString(plaintext);
        var opening = text.IndexOf("\r\n--" + boundary + "\r\n", StringComparison.Ordinal);
        var contentStart = text.IndexOf("\r\n\r\n", opening + 4 + boundary.Length, StringComparison.Ordinal) + 4;
        var closing = text.LastIndexOf("\r\n--" + boundary + "--", StringComparison.Ordinal);
        return plaintext[contentStart..closing];
    }
}
