using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Spf;

namespace Keypost.Mail.Authentication;

/// <summary>
/// Everything inbound authentication found. <see cref="HeaderValue"/> is the Authentication-Results value and
/// <see cref="HeaderLine"/> the folded line with its name and CRLF, to prepend to the stored message.
/// </summary>
public sealed record InboundAuthenticationResult(
    IReadOnlyList<DkimSignatureResult> Dkim,
    SpfCheckResult Spf,
    DmarcCheckResult Dmarc,
    string HeaderValue,
    MessageDisposition Disposition)
{
    public string HeaderLine => AuthenticationResultsHeader.ToHeaderLine(HeaderValue);
}
