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
    /// <summary>RFC 9788 §4.2: a part declaring hp carries the real fields; otherwise the outer ones apply.</summary>
    public static ReadHeaders Choose(MimeMessage outer, MimeEntity? inner)
    {
        if (inner is not null && ProtectedHeaders.AreDeclared(inner))
        {
            var protectedMessage = ProtectedHeaders.EmptyMessage();
            ProtectedHeaders.Copy(inner.Headers, protectedMessage.Headers, ProtectedHeaders.Protected);
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
