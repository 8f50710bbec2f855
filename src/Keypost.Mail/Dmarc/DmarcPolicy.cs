namespace Keypost.Mail.Dmarc;

/// <summary>The requested handling of mail that fails DMARC (RFC 7489 §6.3, p= and sp=).</summary>
public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}
