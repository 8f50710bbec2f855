namespace Keypost.Core.PgpMime;

/// <summary>How a received message is already encrypted, if at all (see <see cref="EncryptionDetector"/>).</summary>
public enum ExistingEncryption
{
    /// <summary>Not encrypted: encryption at rest may wrap it.</summary>
    None,

    /// <summary>multipart/encrypted at the root (RFC 1847 §2.2; RFC 3156 §4 for OpenPGP).</summary>
    MultipartEncrypted,

    /// <summary>An S/MIME part (application/pkcs7-mime, RFC 8551 §3.2) anywhere in the message.</summary>
    SMime,

    /// <summary>An inline OpenPGP message (RFC 4880 §6.2 armor, "BEGIN PGP MESSAGE") in a text part.</summary>
    InlinePgp,
}
