namespace Keypost.Mail.Authentication;

/// <summary>What to do with an inbound message after authentication, following the DMARC policy.</summary>
public enum MessageDisposition
{
    Accept,
    Quarantine,
    Reject,
}
