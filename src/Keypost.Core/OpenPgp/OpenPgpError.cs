namespace Keypost.Core.OpenPgp;

/// <summary>Why OpenPGP input was refused; lets callers map a failure to an HTTP status or an exit code.</summary>
public enum OpenPgpError
{
    NotOpenPgp,
    Truncated,
    BadArmor,
    TooLarge,
    SecretKeyMaterial,
    NotACertificate,
    MultipleKeys,
    Malformed,
    NoUserIdForAddress,
    Revoked,
    Expired,
    WeakMaterial,
    WrongPassphrase,
    NoEncryptionKey,
}
