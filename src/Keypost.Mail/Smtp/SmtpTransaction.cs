using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>The envelope being built between MAIL and the end of DATA (RFC 5321 §3.3).</summary>
internal sealed class SmtpTransaction(EmailAddress? reversePath, bool smtpUtf8, bool eightBitMime, bool requireTls = false)
{
    private readonly List<EmailAddress> _recipients = [];

    public int RecipientCount => _recipients.Count;

    public bool SmtpUtf8 => smtpUtf8;

    public void AddRecipient(EmailAddress address)
    {
        if (!_recipients.Contains(address))
        {
            _recipients.Add(address);
        }
    }

    public SmtpEnvelope ToEnvelope() => new(reversePath, _recipients.ToArray(), smtpUtf8, eightBitMime, requireTls);
}
