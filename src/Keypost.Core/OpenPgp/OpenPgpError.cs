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

    /// <summary>Encrypted data without an MDC (SED, packet tag 9): it can be altered unnoticed (EFAIL).</summary>
    NotIntegrityProtected,

    /// <summary>The MDC does not match or the ciphertext is cut short: the data was altered.</summary>
    IntegrityCheckFailed,

    /// <summary>None of the reader's secret keys can decrypt the message.</summary>
    NoDecryptionKey,
}
