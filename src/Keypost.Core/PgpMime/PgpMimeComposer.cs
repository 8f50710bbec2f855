using System.Text;
using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Utils;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.PgpMime;

/// <summary>
/// In charge of PGP/MIME: composing, reading, and encrypting stored mail at rest.
/// Turns a plain message into an RFC 3156 PGP/MIME message: the signed and encrypted inner entity carries the
/// real header fields (RFC 9788), the outer message carries an obscured Subject and what transport needs.
/// The OpenPGP work is BouncyCastle's, with <see cref="OpenPgpProfile"/>'s choices; MimeKit only builds MIME.
/// </summary>
public sealed class PgpMimeComposer
{
    private readonly TimeProvider time;
    private readonly OpenPgpSignEncrypt signEncrypt;

    public PgpMimeComposer(TimeProvider? time = null, SecureRandom? random = null)
    {
        this.time = time ?? TimeProvider.System;
        signEncrypt = new OpenPgpSignEncrypt(random ?? new SecureRandom());
    }

    /// <summary>
    /// Signs <paramref name="message"/> with <paramref name="sender"/> and encrypts it to every usable encryption
    /// subkey of <paramref name="recipients"/>, of <paramref name="additionalRecipients"/> (e.g. an organisation's
    /// additional decryption key) and, when <paramref name="encryptToSelf"/>, of the sender (the Sent copy).
    /// The input message is not changed.
    /// </summary>
    /// <exception cref="OpenPgpException">A certificate has no usable encryption subkey (NoEncryptionKey).</exception>
    public MimeMessage Compose(
        MimeMessage message,
        UnlockedSecretKey sender,
        IEnumerable<Certificate> recipients,
        IEnumerable<Certificate>? additionalRecipients = null,
        bool encryptToSelf = true)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        if (message.Body is null)
        {
            throw new ArgumentException("the message has no body", nameof(message));
        }

        var now = time.GetUtcNow();
        var certificates = recipients.Concat(additionalRecipients ?? []).ToList();
        if (encryptToSelf)
        {
            certificates.Add(sender.Certificate);
        }

        var keys = EncryptionKeys(certificates, now);
        var headers = TransportHeaders(message, now);
        var inner = InnerEntity(message.Body, headers);
        var signed = signEncrypt.SignAndEncrypt(
            inner, sender.SigningKey, sender.Certificate, keys, DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime);

        var outer = ProtectedHeaders.EmptyMessage();
        ProtectedHeaders.Copy(headers, outer.Headers, ProtectedHeaders.Outer);
        outer.Subject = ProtectedHeaders.ObscuredSubject;
        outer.Body = EncryptedBody(signed);
        return outer;
    }

    /// <summary>
    /// Encrypts <paramref name="message"/> to <paramref name="recipients"/> and <paramref name="additionalRecipients"/>
    /// without a signature: for a server that composes on a user's behalf and holds no secret key of theirs (the
    /// submission gateway). Readers see the message as encrypted and unsigned. The input message is not changed.
    /// </summary>
    /// <exception cref="OpenPgpException">A certificate has no usable encryption subkey (NoEncryptionKey).</exception>
    public MimeMessage ComposeEncryptOnly(
        MimeMessage message,
        IEnumerable<Certificate> recipients,
        IEnumerable<Certificate>? additionalRecipients = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(recipients);
        if (message.Body is null)
        {
            throw new ArgumentException("the message has no body", nameof(message));
        }

        var now = time.GetUtcNow();
        var keys = EncryptionKeys(recipients.Concat(additionalRecipients ?? []), now);
        if (keys.Count == 0)
        {
            throw new ArgumentException("no recipients to encrypt to", nameof(recipients));
        }

        var headers = TransportHeaders(message, now);
        var inner = InnerEntity(message.Body, headers);
        var encrypted = signEncrypt.Encrypt(inner, keys, DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime);

        var outer = ProtectedHeaders.EmptyMessage();
        ProtectedHeaders.Copy(headers, outer.Headers, ProtectedHeaders.Outer);
        outer.Subject = ProtectedHeaders.ObscuredSubject;
        outer.Body = EncryptedBody(encrypted);
        return outer;
    }

    internal static List<PgpPublicKey> EncryptionKeys(IEnumerable<Certificate> certificates, DateTimeOffset now) =>
        RecipientKeys.For(certificates, now);

    // The headers both parts share: the caller's, plus a Date and a Message-ID when missing, so the protected
    // and the outer copy agree.
    private static HeaderList TransportHeaders(MimeMessage message, DateTimeOffset now)
    {
        var copy = ProtectedHeaders.EmptyMessage();
        ProtectedHeaders.Copy(message.Headers, copy.Headers, ProtectedHeaders.Protected);
        ProtectedHeaders.CopyInnerOnly(message.Headers, copy.Headers);
        if (!copy.Headers.Contains(HeaderId.Date))
        {
            copy.Date = now;
        }

        if (!copy.Headers.Contains(HeaderId.MessageId))
        {
            var domain = message.From.Mailboxes.FirstOrDefault()?.Domain;
            copy.MessageId = MimeUtils.GenerateMessageId(string.IsNullOrEmpty(domain) ? "keypost.invalid" : domain);
        }

        return copy.Headers;
    }

    // RFC 3156 §3 and §4: the encrypted data is a MIME entity in canonical form (CRLF) and 7-bit, so that no
    // transport re-encodes it; RFC 9788 §2.1.1: its root part carries the protected headers and hp="cipher", and
    // protected-headers="v1" beside it for Thunderbird and mutt. No legacy display element (RFC 9788 §2.1.2):
    // see docs/protected-headers.md.
    private static byte[] InnerEntity(MimeEntity body, HeaderList headers)
    {
        // A copy: the caller's message stays as it was.
        using var original = new MemoryStream();
        body.WriteTo(original);
        original.Position = 0;
        var entity = MimeEntity.Load(original);
        ProtectedHeaders.Copy(headers, entity.Headers, ProtectedHeaders.Protected);
        ProtectedHeaders.CopyInnerOnly(headers, entity.Headers);
        ProtectedHeaders.Declare(entity);
        entity.Prepare(EncodingConstraint.SevenBit);

        using var output = new MemoryStream();
        entity.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return output.ToArray();
    }

    // RFC 3156 §4: multipart/encrypted; protocol="application/pgp-encrypted", "Version: 1", then the armored data.
    private static MultipartEncrypted EncryptedBody(byte[] binary)
    {
        var armored = OpenPgpArmor.ArmorAscii(binary);
        var body = new MultipartEncrypted();
        body.ContentType.Parameters["protocol"] = "application/pgp-encrypted";
        body.Add(new ApplicationPgpEncrypted());
        body.Add(new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(armored, writable: false)),
            ContentTransferEncoding = ContentEncoding.SevenBit,
            ContentDisposition = new ContentDisposition(ContentDisposition.Inline) { FileName = "encrypted.asc" },
            ContentDescription = "OpenPGP encrypted message",
        });
        return body;
    }
}
