namespace Keypost.Client.Reading;

/// <summary>What one message is, as the user is told: one state per message, never one for the whole mailbox.</summary>
public enum ReadState
{
    /// <summary>Decrypted (integrity checked) and signed by the From address's key.</summary>
    EncryptedAndVerified,

    /// <summary>Decrypted (integrity checked), no signature (e.g. the submission gateway's mail).</summary>
    EncryptedUnsigned,

    /// <summary>Decrypted, but its signature does not count (bad, someone else's, unknown key, partial).</summary>
    EncryptedSignatureNotVerified,

    /// <summary>Not encrypted; signed by the From address's key (RFC 3156 §5).</summary>
    SignedOnly,

    /// <summary>Not encrypted; a signature is there but does not count.</summary>
    SignatureNotVerified,

    /// <summary>Neither encrypted nor signed.</summary>
    Plain,

    /// <summary>Not shown: see <see cref="RefusalReason"/>.</summary>
    Refused,
}
