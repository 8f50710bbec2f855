using MimeKit;

namespace Keypost.Mail.Dmarc;

/// <summary>The RFC5322.From domain DMARC evaluates (RFC 7489 §6.6.1).</summary>
public static class AuthorDomain
{
    /// <summary>
    /// The domain of the single From mailbox, or null with a reason when there is no From, more than one From
    /// header field, or a From with several (or no) addresses.
    /// </summary>
    public static string? Find(MimeMessage message, out string? problem)
    {
        var fromHeaders = message.Headers.Where(h => h.Id == HeaderId.From).ToList();
        if (fromHeaders.Count != 1)
        {
            problem = fromHeaders.Count == 0 ? "no From header" : "more than one From header";
            return null;
        }

        var mailboxes = message.From.Mailboxes.ToList();
        if (mailboxes.Count != 1 || message.From.Count != 1)
        {
            problem = "From must hold exactly one mailbox";
            return null;
        }

        var domain = mailboxes[0].Domain?.TrimEnd('.').ToLowerInvariant();
        if (string.IsNullOrEmpty(domain))
        {
            problem = "From address has no domain";
            return null;
        }

        try
        {
            problem = null;
            return new System.Globalization.IdnMapping().GetAscii(domain);
        }
        catch (ArgumentException)
        {
            problem = "From domain is not a valid domain name";
            return null;
        }
    }
}
