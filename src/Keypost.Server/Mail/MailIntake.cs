using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Queue;
using Keypost.Mail.Maildir;
using Keypost.Mail.Smtp;
using Keypost.Server.Gateway;
using MimeKit;

namespace Keypost.Server.Mail;

/// <summary>
/// What happens between the end of DATA and the 250: inbound mail is authenticated (SPF, DKIM, DMARC) and
/// stamped, submitted mail is DKIM-signed for its domain; both get a Received line and are queued durably.
/// With a <paramref name="gateway"/>, submitted plaintext may be encrypted first; with <paramref name="junk"/>,
/// inbound encrypted mail of unverified origin is marked for the Junk folder.
/// </summary>
public sealed class MailIntake(
    MessageQueue queue,
    InboundAuthenticator authenticator,
    DkimSigningService signer,
    string hostName,
    bool honourDmarcReject,
    TimeProvider clock,
    SubmissionGateway? gateway = null,
    JunkFiling? junk = null) : IMessageAcceptor
{
    public async Task<AcceptResult> AcceptAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await message.CopyToAsync(buffer, cancellationToken);
        var data = buffer.ToArray();
        string? folder = null;

        if (session.Kind == SmtpListenerKind.Inbound)
        {
            var result = await authenticator.AuthenticateAsync(new MemoryStream(data, writable: false), session.RemoteAddress, session.HeloName, envelope.ReversePath?.ToString(), cancellationToken);
            if (result.Disposition == MessageDisposition.Reject && honourDmarcReject)
            {
                // RFC 7489 §10.3: reject during the SMTP transaction, naming DMARC.
                return new AcceptResult(550, "5.7.1", $"rejected by the DMARC policy of {result.Dmarc.FromDomain}");
            }

            data = await authenticator.StampAsync(new MemoryStream(data, writable: false), result, cancellationToken);
            var (stripped, parsed) = await WithoutFolderHeaderAsync(data, cancellationToken);
            data = stripped;
            if (result.Disposition == MessageDisposition.Quarantine)
            {
                data = Prepend("X-Keypost-Quarantine: DMARC policy of the From domain says quarantine\r\n", data);
            }

            if (junk is not null && junk.ShouldFileInJunk(parsed, result, envelope.Recipients))
            {
                folder = "Junk";
            }
        }
        else
        {
            // A local user must not choose a folder in another local user's mailbox either.
            data = (await WithoutFolderHeaderAsync(data, cancellationToken)).Data;
            if (gateway is not null)
            {
                try
                {
                    data = await gateway.ProcessAsync(envelope, data, cancellationToken);
                }
                catch (GatewayRefusedException e)
                {
                    // RFC 3463 §3.8 5.7.x: refused for a security reason, which the text names.
                    return new AcceptResult(554, "5.7.1", e.Message);
                }
            }
        }

        data = Prepend(ReceivedHeader(session, envelope), data);
        if (session.Kind == SmtpListenerKind.Submission && envelope.ReversePath is { } sender)
        {
            data = await signer.SignAsync(new MemoryStream(data, writable: false), sender.Domain, cancellationToken);
        }

        if (folder is not null)
        {
            // The first line, where LocalDelivery looks for it and where no sender can put it (removed above).
            data = Prepend($"{MaildirStore.FolderHeader}: {folder}\r\n", data);
        }

        var id = await queue.EnqueueAsync(envelope, new MemoryStream(data, writable: false), cancellationToken);
        return AcceptResult.Queued(id);
    }

    // RFC 5321 §4.4 trace line; RFC 3848 protocol names say whether TLS and AUTH were used.
    private string ReceivedHeader(SmtpSessionInfo session, SmtpEnvelope envelope)
    {
        var protocol = "ESMTP" + (session.IsSecure ? "S" : "") + (session.AuthenticatedAccount is null ? "" : "A");
        var address = session.RemoteAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6:" + session.RemoteAddress : session.RemoteAddress.ToString();
        var forClause = envelope.Recipients.Count == 1 ? $"\r\n\tfor <{envelope.Recipients[0]}>" : "";
        var date = clock.GetUtcNow().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        return $"Received: from {Sanitize(session.HeloName)} ([{address}])\r\n\tby {hostName} with {protocol}{forClause};\r\n\t{date}\r\n";
    }

    // The HELO argument is the client's word: keep only what a host name or address literal can hold.
    private static string Sanitize(string helo)
    {
        var kept = new string(helo.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']').Take(255).ToArray());
        return kept.Length == 0 ? "unknown" : kept;
    }

    // The folder header is ours alone: every copy a sender wrote is removed before ours is added.
    private static async Task<(byte[] Data, MimeMessage Message)> WithoutFolderHeaderAsync(byte[] data, CancellationToken cancellationToken)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(data, writable: false), cancellationToken);
        if (!message.Headers.Contains(MaildirStore.FolderHeader))
        {
            return (data, message);
        }

        message.Headers.RemoveAll(MaildirStore.FolderHeader);

        using var output = new MemoryStream();
        await message.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output, cancellationToken);
        return (output.ToArray(), message);
    }

    private static byte[] Prepend(string header, byte[] data)
    {
        var head = Encoding.UTF8.GetBytes(header);
        var result = new byte[head.Length + data.Length];
        head.CopyTo(result, 0);
        data.CopyTo(result, head.Length);
        return result;
    }
}
