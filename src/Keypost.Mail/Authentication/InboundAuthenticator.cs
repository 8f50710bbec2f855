using System.Net;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Dns;
using Keypost.Mail.Smtp;
using Keypost.Mail.Spf;
using MimeKit;

namespace Keypost.Mail.Authentication;

/// <summary>
/// In charge of authenticating inbound mail: SPF, DKIM and DMARC together, and the Authentication-Results header.
/// The one entry point for checking inbound mail: DKIM, SPF and DMARC, the Authentication-Results value under
/// <paramref name="authservId"/> (RFC 8601 §2.5: usually the receiving host name), and the disposition.
/// </summary>
/// <param name="dns">The resolver for TXT (SPF, DKIM keys, DMARC), A/AAAA and MX questions.</param>
/// <param name="authservId">The name this server stamps its Authentication-Results with.</param>
/// <param name="dmarcSample">pct= sampling source for DMARC (tests pass a fixed one).</param>
public sealed class InboundAuthenticator(IMailDnsResolver dns, string authservId, Func<int>? dmarcSample = null)
{
    private readonly DkimMessageVerifier dkim = new(dns);
    private readonly SpfChecker spf = new(dns);
    private readonly DmarcEvaluator dmarc = new(dns, dmarcSample);

    public string AuthservId => authservId;

    public Task<InboundAuthenticationResult> AuthenticateAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken) =>
        AuthenticateAsync(message, session.RemoteAddress, session.HeloName, envelope.ReversePath?.ToString(), cancellationToken);

    /// <param name="message">The raw message as received (it is read, not changed).</param>
    /// <param name="client">The connecting client's address.</param>
    /// <param name="heloName">The EHLO/HELO argument.</param>
    /// <param name="mailFrom">The MAIL FROM address, or null for the null reverse-path.</param>
    public async Task<InboundAuthenticationResult> AuthenticateAsync(Stream message, IPAddress client, string heloName, string? mailFrom, CancellationToken cancellationToken)
    {
        var parsed = await MimeMessage.LoadAsync(message, cancellationToken);
        return await AuthenticateAsync(parsed, client, heloName, mailFrom, cancellationToken);
    }

    public async Task<InboundAuthenticationResult> AuthenticateAsync(MimeMessage message, IPAddress client, string heloName, string? mailFrom, CancellationToken cancellationToken)
    {
        var dkimResults = await dkim.VerifyAsync(message, cancellationToken);
        var spfResult = await spf.CheckAsync(client, heloName, mailFrom, cancellationToken);
        var dmarcResult = await dmarc.EvaluateAsync(message, dkimResults, spfResult, cancellationToken);
        var header = AuthenticationResultsHeader.Build(authservId, dkimResults, spfResult, dmarcResult);
        var disposition = dmarcResult.AppliedPolicy switch
        {
            DmarcPolicy.Reject => MessageDisposition.Reject,
            DmarcPolicy.Quarantine => MessageDisposition.Quarantine,
            _ => MessageDisposition.Accept,
        };
        return new InboundAuthenticationResult(dkimResults, spfResult, dmarcResult, header, disposition);
    }

    /// <summary>
    /// Stamps a parsed message in place: incoming Authentication-Results claiming our authserv-id removed (RFC 8601
    /// §5) and ours put first. Lets a caller that already holds the parsed message avoid parsing it again.
    /// </summary>
    public void Stamp(MimeMessage message, InboundAuthenticationResult result)
    {
        AuthenticationResultsHeader.RemoveClaims(message.Headers, authservId);
        message.Headers.Insert(0, new Header(AuthenticationResultsHeader.FieldName, result.HeaderValue));
    }

    /// <summary>
    /// The message as it should be stored: incoming Authentication-Results claiming our authserv-id removed
    /// (RFC 8601 §5) and ours prepended. CRLF line ends.
    /// </summary>
    public async Task<byte[]> StampAsync(Stream message, InboundAuthenticationResult result, CancellationToken cancellationToken)
    {
        var parsed = await MimeMessage.LoadAsync(message, cancellationToken);
        Stamp(parsed, result);
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var output = new MemoryStream();
        await parsed.WriteToAsync(options, output, cancellationToken);
        return output.ToArray();
    }
}
