using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Core.PgpMime;

/// <summary>
/// The one shape in which a sending server's disclaimer travels beside a PGP/MIME message:
/// <c>multipart/mixed [ multipart/encrypted (RFC 3156 §4, unchanged), text/plain; Content-Description: disclaimer ]</c>.
/// </summary>
/// <remarks>
/// Why this shape: RFC 1847 §2.2 and RFC 3156 §4 give multipart/encrypted exactly two parts, so a third part inside
/// it would make the message unreadable; a preamble or epilogue is not a MIME part and most clients hide it. A
/// multipart/mixed wrapper is what mailing lists do when they add a footer, and gpg-based clients decrypt an
/// encrypted part there (mutt decrypts nested multipart/encrypted; Thunderbird treats the encrypted part as the
/// message and the trailing text as an unprotected footer). RFC 9788 and RFC 9787 call the encrypted part the
/// cryptographic envelope and everything outside it unprotected: the reader never joins the disclaimer with the
/// decrypted content (the EFAIL defence) and returns it apart, marked as neither encrypted nor signed.
/// Any other part beside an encrypted one still makes the whole message "not encrypted" with the encrypted part
/// offered as an attachment.
/// </remarks>
public static class PgpMimeDisclaimer
{
    /// <summary>The Content-Description that marks the disclaimer part.</summary>
    public const string Description = "disclaimer";

    /// <summary>Longest disclaimer accepted (characters), on both sides: it is a notice, not a message.</summary>
    public const int MaxLength = 4096;

    /// <summary>Wraps <paramref name="encrypted"/>'s multipart/encrypted body with a text/plain disclaimer part.</summary>
    public static void Attach(MimeMessage encrypted, string text)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        ArgumentNullException.ThrowIfNull(text);
        if (encrypted.Body is not MultipartEncrypted body)
        {
            throw new ArgumentException("the message is not PGP/MIME encrypted", nameof(encrypted));
        }

        if (text.Length > MaxLength)
        {
            throw new ArgumentException($"the disclaimer is longer than {MaxLength} characters", nameof(text));
        }

        var disclaimer = new TextPart("plain") { Text = text, ContentDescription = Description };
        disclaimer.ContentDisposition = new ContentDisposition(ContentDisposition.Inline);
        disclaimer.Prepare(EncodingConstraint.SevenBit);
        encrypted.Body = new Multipart("mixed") { body, disclaimer };
    }

    /// <summary>
    /// When <paramref name="body"/> has exactly the disclaimer shape, the encrypted part and the disclaimer text;
    /// otherwise null.
    /// </summary>
    internal static (MimeEntity Encrypted, string Text)? Split(MimeEntity? body)
    {
        if (body is not Multipart { Count: 2 } mixed
            || !mixed.ContentType.IsMimeType("multipart", "mixed")
            || !mixed[0].ContentType.IsMimeType("multipart", "encrypted")
            || mixed[1] is not TextPart text
            || !text.ContentType.IsMimeType("text", "plain")
            || !string.Equals(text.ContentDescription?.Trim(), Description, StringComparison.OrdinalIgnoreCase)
            || text.IsAttachment
            || text.Text is not { Length: <= MaxLength } content)
        {
            return null;
        }

        return (mixed[0], content);
    }
}
