namespace Keypost.Mail.Dmarc;

/// <summary>The DMARC outcome as RFC 8601 / RFC 7489 §11.2 report it.</summary>
public enum DmarcResult
{
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}
