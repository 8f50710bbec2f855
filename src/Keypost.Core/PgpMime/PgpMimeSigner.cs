using System.Text;
using Keypost.Core.OpenPgp;
using MimeKit;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Signs without encrypting (RFC 3156 §5): multipart/signed with the body as it will travel (7-bit, CRLF) and a
/// detached SHA-512 signature, for mail the policy sends in the clear. Readers that know nothing of OpenPGP
/// still show the text.
/// </summary>
public sealed class PgpMimeSigner(TimeProvider? time = null, SecureRandom? random = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SecureRandom _random = random ?? new SecureRandom();

    public MimeMessage Sign(MimeMessage message, UnlockedSecretKey sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(sender);
        var body = message.Body ?? throw new ArgumentException("the message has no body", nameof(message));

        // RFC 3156 §5: the signed part must survive any hop unchanged, so 7-bit transfer encodings and CRLF.
        body.Prepare(EncodingConstraint.SevenBit);
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        byte[] canonical;
        using (var buffer = new MemoryStream())
        {
            body.WriteTo(options, buffer);
            canonical = buffer.ToArray();
        }

        var signingKey = sender.SigningKey;
        var generator = new PgpSignatureGenerator(signingKey.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
        generator.InitSign(PgpSignature.BinaryDocument, signingKey, _random);
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, _time.GetUtcNow().UtcDateTime);
        hashed.SetIssuerFingerprint(false, sender.Certificate.ToBouncyCastle().GetPublicKey());
        generator.SetHashedSubpackets(hashed.Generate());
        generator.Update(canonical);
        var signature = generator.Generate().GetEncoded();

        // The body part is re-read from the canonical bytes so what is sent is exactly what was signed.
        var signedPart = MimeEntity.Load(new MemoryStream(canonical, writable: false));
        var signaturePart = new MimePart("application", "pgp-signature")
        {
            Content = new MimeContent(new MemoryStream(OpenPgpArmor.ArmorAscii(signature), writable: false)),
            ContentTransferEncoding = ContentEncoding.SevenBit,
        };
        signaturePart.ContentType.Name = "signature.asc";
        var multipart = new Multipart("signed") { signedPart, signaturePart };
        multipart.ContentType.Parameters.Add("protocol", "application/pgp-signature");
        multipart.ContentType.Parameters.Add("micalg", "pgp-sha512");

        var result = new MimeMessage();
        result.Headers.Clear();
        foreach (var header in message.Headers.Where(h => h.Id is not (HeaderId.ContentType or HeaderId.ContentTransferEncoding)))
        {
            result.Headers.Add(header.Clone());
        }

        result.Body = multipart;
        return result;
    }
}
