using MimeKit;

namespace Keypost.Core.PgpMime;

/// <summary>
/// RFC 9788 (Header Protection for Cryptographically Protected Email): the real header fields travel inside the
/// encrypted root part, marked with the <c>hp</c> Content-Type parameter; the outer message shows neutral values.
/// </summary>
internal static class ProtectedHeaders
{
    /// <summary>RFC 9788 §2.1.1: the Content-Type parameter that marks a part carrying protected headers.</summary>
    public const string Parameter = "hp";

    /// <summary>RFC 9788 §2.1.1: hp="cipher" on an encrypted message.</summary>
    public const string Cipher = "cipher";

    /// <summary>RFC 9788 §4.1.1 (hcp_baseline): the obscured Subject of the outer message.</summary>
    public const string ObscuredSubject = "[...]";

    /// <summary>Fields copied into the protected part. Bcc is left out: every recipient would read it.</summary>
    public static readonly IReadOnlyList<HeaderId> Protected =
    [
        HeaderId.Date, HeaderId.From, HeaderId.Sender, HeaderId.ReplyTo, HeaderId.To, HeaderId.Cc,
        HeaderId.Subject, HeaderId.MessageId, HeaderId.InReplyTo, HeaderId.References,
    ];

    /// <summary>
    /// RFC 9788 §4.1.1: the outer message keeps what transport and threading need; only Subject is obscured.
    /// </summary>
    public static readonly IReadOnlyList<HeaderId> Outer =
    [
        HeaderId.Date, HeaderId.From, HeaderId.Sender, HeaderId.ReplyTo, HeaderId.To, HeaderId.Cc,
        HeaderId.MessageId, HeaderId.InReplyTo, HeaderId.References,
    ];

    /// <summary>A message with no header fields: MimeMessage's constructor adds Date, Message-Id and empty ones.</summary>
    public static MimeMessage EmptyMessage()
    {
        var message = new MimeMessage();
        message.Headers.Clear();
        return message;
    }

    public static void Copy(HeaderList from, HeaderList to, IReadOnlyList<HeaderId> ids)
    {
        foreach (var header in from.Where(h => ids.Contains(h.Id)))
        {
            to.Add(header.Clone());
        }
    }

    /// <summary>True when <paramref name="entity"/> declares protected headers (hp="cipher" or hp="clear").</summary>
    public static bool AreDeclared(MimeEntity entity) =>
        entity.ContentType.Parameters.TryGetValue(Parameter, out string? value)
        && (string.Equals(value, Cipher, StringComparison.OrdinalIgnoreCase)
            || string.Equals(value, "clear", StringComparison.OrdinalIgnoreCase));
}
