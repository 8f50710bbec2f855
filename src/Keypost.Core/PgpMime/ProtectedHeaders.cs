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

    /// <summary>
    /// The older marker (draft-autocrypt-lamps-protected-headers, as Enigmail, Thunderbird and mutt write and
    /// read it): protected-headers="v1" on the root of the encrypted part. Thunderbird and mutt show the
    /// protected Subject only when it is there, so Keypost writes both markers and reads either.
    /// </summary>
    public const string LegacyParameter = "protected-headers";

    /// <summary>The only value of <see cref="LegacyParameter"/> there is.</summary>
    public const string LegacyVersion = "v1";

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

    /// <summary>Fields that travel in the encrypted root part only, never in the outer message.</summary>
    public static readonly IReadOnlyList<string> InnerOnly = [KeyProofHeader.Field];

    /// <summary>A message with no header fields: MimeMessage's constructor adds Date, Message-Id and empty ones.</summary>
    public static MimeMessage EmptyMessage() =>
        // MimeMessage() makes a Date and a Message-ID only for them to be cleared: six times the cost of this one.
        new((IEnumerable<Header>)[]);

    public static void Copy(HeaderList from, HeaderList to, IReadOnlyList<HeaderId> ids)
    {
        foreach (var header in from.Where(h => ids.Contains(h.Id)))
        {
            to.Add(header.Clone());
        }
    }

    public static void CopyInnerOnly(HeaderList from, HeaderList to)
    {
        foreach (var header in from.Where(h => InnerOnly.Contains(h.Field, StringComparer.OrdinalIgnoreCase)))
        {
            to.Add(header.Clone());
        }
    }

    /// <summary>Marks <paramref name="entity"/> as the root of the encrypted part with both markers.</summary>
    public static void Declare(MimeEntity entity)
    {
        entity.ContentType.Parameters[Parameter] = Cipher;
        entity.ContentType.Parameters[LegacyParameter] = LegacyVersion;
    }

    /// <summary>
    /// True when <paramref name="entity"/> declares protected headers: RFC 9788's hp="cipher" or hp="clear", or
    /// the older protected-headers="v1" that Thunderbird and Enigmail write (and Thunderbird alone, without hp).
    /// </summary>
    public static bool AreDeclared(MimeEntity entity) =>
        (entity.ContentType.Parameters.TryGetValue(Parameter, out string? value)
            && (string.Equals(value, Cipher, StringComparison.OrdinalIgnoreCase)
                || string.Equals(value, "clear", StringComparison.OrdinalIgnoreCase)))
        || (entity.ContentType.Parameters.TryGetValue(LegacyParameter, out string? legacy)
            && string.Equals(legacy, LegacyVersion, StringComparison.OrdinalIgnoreCase));
}
