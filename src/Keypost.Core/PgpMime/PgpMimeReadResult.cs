using Keypost.Core.Text;
using MimeKit;

namespace Keypost.Core.PgpMime;

/// <summary>What <see cref="PgpMimeReader"/> found: the body to show, the header fields to trust, and the states.</summary>
public sealed class PgpMimeReadResult
{
    internal PgpMimeReadResult(
        MimeEntity? body,
        ReadHeaders headers,
        PgpMimeEncryption encryption,
        PgpMimeSignature signature,
        IReadOnlyList<PgpMimeAttachment> attachments,
        IReadOnlyList<string> warnings,
        string? disclaimer = null)
    {
        Disclaimer = disclaimer;
        Body = body;
        Subject = headers.Subject;
        From = headers.From;
        To = headers.To;
        Cc = headers.Cc;
        Date = headers.Date;
        MessageId = headers.MessageId;
        HeadersProtected = headers.Protected;
        Encryption = encryption;
        Signature = signature;
        Attachments = attachments;
        Warnings = warnings;
    }

    /// <summary>The decrypted root entity, or the message's own body when it was not an encrypted message.</summary>
    public MimeEntity? Body { get; }

    /// <summary>From the protected headers (RFC 9788) when present, else the outer message.</summary>
    public string Subject { get; }

    public InternetAddressList From { get; }

    public InternetAddressList To { get; }

    public InternetAddressList Cc { get; }

    public DateTimeOffset? Date { get; }

    public string? MessageId { get; }

    /// <summary>True when the header fields above come from the encrypted part (hp parameter, RFC 9788).</summary>
    public bool HeadersProtected { get; }

    public PgpMimeEncryption Encryption { get; }

    public PgpMimeSignature Signature { get; }

    public IReadOnlyList<PgpMimeAttachment> Attachments { get; }

    /// <summary>Things the user should know (e.g. OpenPGP data left encrypted in a non-root part).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Text a sending server put beside the encrypted part (<see cref="PgpMimeDisclaimer"/>): not encrypted, not
    /// signed, to be shown apart from <see cref="Body"/> and never merged with it.
    /// </summary>
    public string? Disclaimer { get; }

    public string? DisplayDisclaimer => Disclaimer is null ? null : DisplayText.Escape(Disclaimer, PgpMimeDisclaimer.MaxLength);

    public string DisplaySubject => DisplayText.Escape(Subject);

    public string DisplayFrom => DisplayText.Escape(From.ToString());
}
