using System.Text;
using MimeKit;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Tells whether a message is already encrypted, so that encryption at rest never encrypts twice: the recipient's
/// client must see the sender's own encryption (and signature) as the sender made it.
/// </summary>
public static class EncryptionDetector
{
    /// <summary>RFC 4880 §6.2: the armor header line of an OpenPGP message.</summary>
    private static readonly byte[] ArmorHeader = Encoding.ASCII.GetBytes("-----BEGIN PGP MESSAGE-----");

    /// <summary>MIME nesting deeper than this is not walked (and the message is left as it is).</summary>
    private const int MaxDepth = 64;

    /// <summary>
    /// Reads the parsed <paramref name="message"/>; text parts are decoded as a stream (a large part is not held
    /// whole), the rest is judged by its Content-Type.
    /// </summary>
    public static async Task<ExistingEncryption> DetectAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Body is null)
        {
            return ExistingEncryption.None;
        }

        // RFC 1847 §2.2: any multipart/encrypted root (OpenPGP or another protocol) is someone's encryption.
        if (message.Body.ContentType.IsMimeType("multipart", "encrypted"))
        {
            return ExistingEncryption.MultipartEncrypted;
        }

        var stack = new Stack<(MimeEntity Entity, int Depth)>();
        stack.Push((message.Body, 0));
        while (stack.Count > 0)
        {
            var (entity, depth) = stack.Pop();
            if (depth > MaxDepth)
            {
                // Not walked to the end: it cannot be shown that nothing in there is encrypted, so leave it alone.
                return ExistingEncryption.MultipartEncrypted;
            }

            if (IsSMime(entity.ContentType))
            {
                return ExistingEncryption.SMime;
            }

            if (entity.ContentType.IsMimeType("multipart", "encrypted"))
            {
                return ExistingEncryption.MultipartEncrypted;
            }

            switch (entity)
            {
                case Multipart multipart:
                    foreach (var child in multipart)
                    {
                        stack.Push((child, depth + 1));
                    }

                    break;
                case MessagePart { Message.Body: { } inner }:
                    stack.Push((inner, depth + 1));
                    break;
                case MimePart part when part.ContentType.IsMimeType("text", "*") || part.ContentType.IsMimeType("application", "pgp-encrypted"):
                    if (await HoldsArmorAsync(part, cancellationToken))
                    {
                        return ExistingEncryption.InlinePgp;
                    }

                    break;
            }
        }

        return ExistingEncryption.None;
    }

    // RFC 8551 §3.2: application/pkcs7-mime (and the older x-pkcs7-mime) carries enveloped (encrypted) or opaque
    // signed data; either way the content is the sender's CMS structure and stays as it is.
    private static bool IsSMime(ContentType type) =>
        type.IsMimeType("application", "pkcs7-mime") || type.IsMimeType("application", "x-pkcs7-mime");

    // The whole decoded text is searched, a buffer at a time with an overlap, since the armor may follow a
    // quoted reply or a greeting.
    private static async Task<bool> HoldsArmorAsync(MimePart part, CancellationToken cancellationToken)
    {
        if (part.Content is null)
        {
            return false;
        }

        await using var decoded = part.Content.Open();
        var buffer = new byte[65536 + ArmorHeader.Length];
        var kept = 0;
        int read;
        while ((read = await decoded.ReadAsync(buffer.AsMemory(kept, buffer.Length - kept), cancellationToken)) > 0)
        {
            var filled = kept + read;
            if (buffer.AsSpan(0, filled).IndexOf(ArmorHeader) >= 0)
            {
                return true;
            }

            kept = Math.Min(ArmorHeader.Length - 1, filled);
            buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
        }

        return false;
    }
}
