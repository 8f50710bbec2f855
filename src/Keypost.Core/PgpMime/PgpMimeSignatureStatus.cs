namespace Keypost.Core.PgpMime;

/// <summary>What a signature on a received message is worth; only <see cref="Valid"/> may be shown as signed.</summary>
public enum PgpMimeSignatureStatus
{
    /// <summary>No signature over the message.</summary>
    Unsigned,

    /// <summary>Verifies, covers the whole message, and the signer's certificate carries the From address.</summary>
    Valid,

    /// <summary>Verifies, but the signer's certificate has no user ID for the From address.</summary>
    SignerIsNotSender,

    /// <summary>No certificate for the signing key was found: nothing can be said.</summary>
    UnknownSigner,

    /// <summary>A signature exists only on a nested part: it says nothing about the message around it.</summary>
    NotCoveringMessage,

    /// <summary>Does not verify, uses a weak hash, or the signing key is revoked or unbound.</summary>
    Bad,
}
