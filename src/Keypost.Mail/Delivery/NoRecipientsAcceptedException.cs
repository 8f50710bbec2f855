using MailKit.Net.Smtp;

namespace Keypost.Mail.Delivery;

/// <summary>
/// Every RCPT was refused; the per-recipient replies are in <see cref="EnvelopeSmtpClient.Refused"/>. An
/// <see cref="SmtpCommandException"/> on purpose: MailKit ends its send with RSET and keeps the connection for
/// a command error, but drops the connection without QUIT for any other exception (issue #13).
/// </summary>
internal sealed class NoRecipientsAcceptedException : SmtpCommandException
{
    public NoRecipientsAcceptedException()
        : base(SmtpErrorCode.RecipientNotAccepted, SmtpStatusCode.MailboxUnavailable, "no recipient was accepted")
    {
    }
}
