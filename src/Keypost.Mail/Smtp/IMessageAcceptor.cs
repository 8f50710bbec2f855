namespace Keypost.Mail.Smtp;

/// <summary>
/// Takes a complete message from an SMTP session. Returns 250 only after the message is on disk (fsync'ed),
/// so an acknowledged message survives a crash; any failure is a 4xx or 5xx reply and nothing is kept.
/// </summary>
public interface IMessageAcceptor
{
    Task<AcceptResult> AcceptAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken);
}
