using Keypost.Directory.Wks;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Wks;

/// <summary>
/// In charge of handing WKS mail arriving by SMTP to the directory.
/// Hands mail for a domain's WKS submission address to the directory's <see cref="WebKeyService"/> during DATA, so
/// the SMTP reply carries its verdict (250, or 550/450 with the reason), and queues the replies it makes (the
/// confirmation request) for delivery. Every other message goes on to <paramref name="inner"/> unchanged.
/// </summary>
public sealed class WksMailRouter(IMessageAcceptor inner, WebKeyService wks, MessageQueue queue, ILogger logger) : IMessageAcceptor
{
    public async Task<AcceptResult> AcceptAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        var forWks = envelope.Recipients.Where(wks.IsSubmissionAddress).ToList();
        if (forWks.Count == 0)
        {
            return await inner.AcceptAsync(session, envelope, message, cancellationToken);
        }

        if (forWks.Count != envelope.Recipients.Count || forWks.Count > 1)
        {
            // RFC 5321 §4.2.5 leaves a per-recipient verdict after DATA to LMTP; one verdict for one recipient keeps it honest.
            return new AcceptResult(550, "5.5.3", "a message for the key submission address must have it as its only recipient");
        }

        byte[] data;
        using (var buffer = new MemoryStream())
        {
            await message.CopyToAsync(buffer, cancellationToken);
            data = buffer.ToArray();
        }

        var result = await wks.ReceiveAsync(new WksMail(forWks[0], envelope.ReversePath, session.RemoteAddress.ToString(), data), cancellationToken);
        if (!result.Accepted)
        {
            // RFC 3463 §3.8: X.7.1 refused for policy, the text says which; a rate limit is worth retrying later.
            return result.Transient
                ? new AcceptResult(450, "4.7.1", "WKS: " + result.Message)
                : new AcceptResult(550, "5.7.1", "WKS: " + result.Message);
        }

        if (result.Reply is { } reply)
        {
            var id = await queue.EnqueueAsync(
                new QueueEnvelope(reply.From, [reply.To]),
                (file, ct) => file.WriteAsync(reply.Message, ct).AsTask(),
                cancellationToken);
            logger.LogInformation("WKS reply to {Recipient} queued as {QueueId}", reply.To, id);
        }

        return new AcceptResult(250, "2.0.0", "WKS: " + result.Message);
    }
}
