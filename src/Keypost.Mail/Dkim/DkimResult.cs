namespace Keypost.Mail.Dkim;

/// <summary>The outcome of verifying one DKIM signature, as RFC 8601 §2.7.1 names them.</summary>
public enum DkimResult
{
    None,
    Pass,
    Fail,
    Neutral,
    TempError,
    PermError,
}
