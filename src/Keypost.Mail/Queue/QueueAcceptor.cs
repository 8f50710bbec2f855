using Keypost.Mail.Smtp;

namespace Keypost.Mail.Queue;

/// <summary>
/// Accepts a message from an SMTP session by queueing it: 250 with the queue id once durable, 451 when the
/// queue cannot store it (RFC 5321 §4.2.2: a local error is temporary, the client keeps the message).
/// Compose with signing or Authentication-Results by wrapping this acceptor.
/// </summary>
public sealed class QueueAcceptor : IMessageAcceptor
{
    private readonly MessageQueue queue;

    public QueueAcceptor(MessageQueue queue)
    {
        this.queue = queue ?? throw new ArgumentNullException(nameof(queue));
    }

    public async Task<AcceptResult> AcceptAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        try
        {
            var id = await queue.EnqueueAsync(envelope.ToQueueEnvelope(), message, cancellationToken).ConfigureAwait(false);
            return AcceptResult.Queued(id);
        }
        catch (IOException)
        {
            return new AcceptResult(451, "4.3.0", "Requested action aborted: local error in processing");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            return new AcceptResult(451, "4.3.0", "Requested action aborted: local error in processing");
        }
    }
}
