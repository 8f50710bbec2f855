namespace Keypost.Mail.Delivery;

/// <summary>Every RCPT was refused; the per-recipient replies are in <see cref="EnvelopeSmtpClient.Refused"/>.</summary>
internal sealed class NoRecipientsAcceptedException : Exception
{
    public NoRecipientsAcceptedException()
        : base("no recipient was accepted")
    {
    }
}
