using MailKit.Net.Smtp;
using MimeKit;

namespace Keypost.Mail.Delivery;

/// <summary>
/// MailKit's client, changed to keep going when some recipients are refused: each RCPT reply is recorded
/// so every recipient gets its own outcome (RFC 5321 §3.3: a refused RCPT does not end the transaction).
/// </summary>
internal sealed class EnvelopeSmtpClient : SmtpClient
{
    private readonly Dictionary<string, SmtpResponse> refused = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, SmtpResponse> Refused => refused;

    public void ClearRefused() => refused.Clear();

    /// <summary>RFC 5321 §4.1.1.5: RSET ends a half-done transaction so the connection can be reused.</summary>
    public Task<SmtpResponse> ResetTransactionAsync(CancellationToken cancellationToken) => SendCommandAsync("RSET", cancellationToken);

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        refused[mailbox.Address] = response;
    }

    protected override void OnNoRecipientsAccepted(MimeMessage message)
    {
        throw new NoRecipientsAcceptedException();
    }
}
