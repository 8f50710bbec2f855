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
        // One copy of the octets, sized exactly: the session's buffer (a spill file for large messages) is read once.
        var data = await ReadAllAsync(message, cancellationToken);
        MimeMessage parsed;
        try
        {
            // persistent: the parsed parts point into data instead of copying it (a 20 MB message stays 20 MB).
            parsed = await MimeMessage.LoadAsync(ParserOptions.Default, new MemoryStream(data, writable: false), persistent: true, cancellationToken);
        }
        catch (FormatException)
        {
            // Retrying cannot make this a message: refuse for good (RFC 3463 5.6.0) rather than 451 retried for days.
            return new AcceptResult(554, "5.6.0", "message refused: its header section cannot be parsed (RFC 5322 section 2.2)");
        }

        string? folder = null;
        var head = new StringBuilder();
        if (session.Kind == SmtpListenerKind.Inbound)
        {
            var result = await authenticator.AuthenticateAsync(parsed, session.RemoteAddress, session.HeloName, envelope.ReversePath?.ToString(), cancellationToken);
            if (result.Disposition == MessageDisposition.Reject && honourDmarcReject)
            {
                // RFC 7489 §6.6.1: without exactly one author domain DMARC cannot run; say what is wrong with From.
                if (result.Dmarc.FromDomain is null)
                {
                    return new AcceptResult(550, "5.7.1", $"message refused: {result.Dmarc.Reason ?? "no usable From address"}; exactly one From address with a domain is required (RFC 5322 section 3.6.2)");
                }

                // RFC 7489 §10.3: reject during the SMTP transaction, naming DMARC.
                return new AcceptResult(550, "5.7.1", $"rejected by the DMARC policy of {result.Dmarc.FromDomain}");
            }

            // The folder header is ours alone: every copy a sender wrote is removed before ours is added.
            parsed.Headers.RemoveAll(MaildirStore.FolderHeader);
            authenticator.Stamp(parsed, result);
            if (junk is not null && junk.ShouldFileInJunk(parsed, result, envelope.Recipients))
            {
                folder = "Junk";
            }

            if (folder is not null)
            {
                // The first line, where LocalDelivery looks for it and where no sender can put it (removed above).
                head.Append(MaildirStore.FolderHeader).Append(": ").Append(folder).Append("\r\n");
            }

            head.Append(ReceivedHeader(session, envelope));
            if (result.Disposition == MessageDisposition.Quarantine)
            {
                head.Append("X-Keypost-Quarantine: DMARC policy of the From domain says quarantine\r\n");
            }

            // Written once, straight from the parsed tree over data: no intermediate whole-message copies.
            using var output = new MemoryStream(data.Length + head.Length + 1024);
            output.Write(Encoding.UTF8.GetBytes(head.ToString()));
            await parsed.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output, cancellationToken);
            output.Position = 0;
            var queued = await queue.EnqueueAsync(envelope, output, cancellationToken);
            return AcceptResult.Queued(queued);
        }

        // A local user must not choose a folder in another local user's mailbox either.
        if (parsed.Headers.Contains(MaildirStore.FolderHeader))
        {
            parsed.Headers.RemoveAll(MaildirStore.FolderHeader);
            using var output = new MemoryStream(data.Length + 1024);
            await parsed.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output, cancellationToken);
            data = output.ToArray();
        }

        IReadOnlyList<GatewayCopy> copies = [new GatewayCopy(envelope, data)];
        if (gateway is not null)
        {
            try
            {
                copies = await gateway.ProcessAsync(envelope, data, cancellationToken);
            }
            catch (GatewayRefusedException e)
            {
                // RFC 3463 §3.8 5.7.x: refused for a security reason, which the text names.
                return new AcceptResult(554, "5.7.1", e.Message);
            }
        }

        // The gateway gives Bcc recipients their own copies: each is traced, signed and queued with its own envelope.
        var ids = new List<string>(copies.Count);
        foreach (var copy in copies)
        {
            var signed = Prepend(ReceivedHeader(session, copy.Envelope), copy.Data);
            if (copy.Envelope.ReversePath is { } sender)
            {
                signed = await signer.SignAsync(new MemoryStream(signed, writable: false), sender.Domain, cancellationToken);
            }

            ids.Add(await queue.EnqueueAsync(copy.Envelope, new MemoryStream(signed, writable: false), cancellationToken));
        }

        return AcceptResult.Queued(string.Join(' ', ids));
    }

    private static async Task<byte[]> ReadAllAsync(Stream message, CancellationToken cancellationToken)
    {
        if (message.CanSeek)
        {
            var exact = new byte[message.Length - message.Position];
            await message.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }

        using var buffer = new MemoryStream();
        await message.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
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

    private static byte[] Prepend(string header, byte[] data)
    {
        var head = Encoding.UTF8.GetBytes(header);
        var result = new byte[head.Length + data.Length];
        head.CopyTo(result, 0);
        data.CopyTo(result, head.Length);
        return result;
    }
}
