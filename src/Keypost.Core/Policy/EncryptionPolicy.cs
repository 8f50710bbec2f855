namespace Keypost.Core.Policy;

/// <summary>
/// In charge of the encryption policy: what a send does when a recipient's key is found, missing or changed. What to do for a recipient domain when not every recipient has a verified key.
/// </summary>
public enum EncryptionPolicy
{
    /// <summary>Refuse to send unless every recipient has a verified key; name the ones that do not.</summary>
    Require,

    /// <summary>Encrypt when every recipient has a verified key; otherwise send signed mail over TLS.</summary>
    Opportunistic,

    /// <summary>Never encrypt (signed mail over TLS).</summary>
    Plaintext,
}
