using Keypost.Core.Addresses;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using MimeKit;

namespace Keypost.Server.Gateway;

/// <summary>
/// Receiving side: encrypted mail the server cannot vouch for goes to Junk. The server cannot decrypt or check an
/// OpenPGP signature, so DKIM for the From domain (RFC 6376) and DMARC (RFC 7489) are the origin checks it has.
/// </summary>
public sealed class JunkFiling(DomainMailPolicies policies)
{
    /// <summary>
    /// True when <paramref name="message"/> is PGP/MIME encrypted, its authentication did not show the From domain,
    /// and every recipient's domain asks for Junk filing (one stored copy serves all recipients, so a domain that
    /// turned it off is never overruled).
    /// </summary>
    public bool ShouldFileInJunk(MimeMessage message, InboundAuthenticationResult result, IReadOnlyList<EmailAddress> recipients)
    {
        if (!IsEncrypted(message.Body) || recipients.Count == 0)
        {
            return false;
        }

        if (!recipients.All(r => policies.Find(r.Domain)?.FileUnverifiedEncryptedMailInJunk ?? true))
        {
            return false;
        }

        return result.Dmarc.Result == DmarcResult.Fail || !DkimPassesFor(result.Dkim, result.Dmarc.FromDomain);
    }

    // RFC 3156 §4 at the root, or the gateway's disclaimer wrapper around it.
    private static bool IsEncrypted(MimeEntity? body) =>
        body is not null
        && (body.ContentType.IsMimeType("multipart", "encrypted")
            || (body is Multipart { Count: > 0 } mixed && mixed.ContentType.IsMimeType("multipart", "mixed")
                && mixed[0].ContentType.IsMimeType("multipart", "encrypted")));

    // RFC 7489 §3.1.1 relaxed alignment, simplified to "same domain or one a subdomain of the other".
    private static bool DkimPassesFor(IReadOnlyList<DkimSignatureResult> dkim, string? fromDomain) =>
        fromDomain is not null
        && dkim.Any(d => d.Result == DkimResult.Pass && d.Domain is { } signer && Aligned(signer.ToLowerInvariant(), fromDomain.ToLowerInvariant()));

    private static bool Aligned(string signer, string from) =>
        signer.Contains('.', StringComparison.Ordinal) && (signer == from || from.EndsWith("." + signer, StringComparison.Ordinal) || signer.EndsWith("." + from, StringComparison.Ordinal));
}
