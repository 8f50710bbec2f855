using MimeKit;

namespace Keypost.Core.PgpMime;

/// <summary>The header fields a reader shows, taken from one header list.</summary>
internal sealed record ReadHeaders(
    string Subject,
    InternetAddressList From,
    InternetAddressList To,
    InternetAddressList Cc,
    DateTimeOffset? Date,
    string? MessageId,
    bool Protected)
{
    /// <summary>
    /// RFC 9788 §4.2: a part declaring hp carries the real fields; otherwise the outer ones apply. A part with
    /// only the older protected-headers="v1" marker (Thunderbird, Enigmail) may carry fewer fields (often no Date
    /// or Cc): those it carries win, the outer message fills in the rest, as draft-autocrypt-lamps-protected-headers
    /// §2.4 has readers do.
    /// </summary>
    public static ReadHeaders Choose(MimeMessage outer, MimeEntity? inner)
    {
        if (inner is not null && ProtectedHeaders.AreDeclared(inner))
        {
            var protectedMessage = ProtectedHeaders.EmptyMessage();
            ProtectedHeaders.Copy(inner.Headers, protectedMessage.Headers, ProtectedHeaders.Protected);
            if (!inner.ContentType.Parameters.Contains(ProtectedHeaders.Parameter))
            {
                var missing = ProtectedHeaders.Protected.Where(id => !protectedMessage.Headers.Contains(id)).ToList();
                ProtectedHeaders.Copy(outer.Headers, protectedMessage.Headers, missing);
            }

            return Of(protectedMessage, true);
        }

        return Of(outer, false);
    }

    private static ReadHeaders Of(MimeMessage message, bool isProtected) =>
        new(
            message.Subject ?? "",
            message.From,
            message.To,
            message.Cc,
            message.Headers.Contains(HeaderId.Date) ? message.Date : null,
            message.MessageId,
            isProtected);
}
