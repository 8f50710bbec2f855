namespace Keypost.Mail.Spf;

/// <summary>The results of check_host() (RFC 7208 §2.6).</summary>
public enum SpfResult
{
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}
