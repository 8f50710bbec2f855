namespace Keypost.Server.Configuration;

public sealed class DomainConfig
{
    public string Name { get; set; } = "";

    /// <summary>The WKD policy file's text (draft-koch-openpgp-webkey-service §4.5); served even when empty.</summary>
    public string WkdPolicy { get; set; } = "";

    /// <summary>Where WKS submissions go (§4.4); not served when unset.</summary>
    public string? SubmissionAddress { get; set; }

    /// <summary>
    /// Submission gateway for legacy clients: plaintext submitted by this domain's users is encrypted by the server
    /// to recipients whose keys it finds (opportunistic: sent as is when any recipient has none). Off by default,
    /// because the server then sees the plaintext.
    /// </summary>
    public bool Gateway { get; set; }

    /// <summary>Text the gateway adds in its own unencrypted text/plain part beside the encrypted one.</summary>
    public string? GatewayDisclaimer { get; set; }

    /// <summary>
    /// An armored certificate (organisation escrow) the gateway also encrypts to; loaded at start, relative to the
    /// configuration file.
    /// </summary>
    public string? AdditionalDecryptionKeyFile { get; set; }

    /// <summary>
    /// Receiving side: file encrypted mail (multipart/encrypted root) whose DKIM does not pass for the From domain,
    /// or whose DMARC fails, in Junk. On by default: the server cannot read or check an encrypted message, so the
    /// sender's domain authentication is the only origin check it can make, and encrypted mail with a forged origin
    /// is a phishing vehicle that looks trustworthy; Junk keeps the mail, it only takes it out of the inbox.
    /// </summary>
    public bool FileUnverifiedEncryptedMailInJunk { get; set; } = true;

    /// <summary>
    /// Receiving side: mail that arrives in the clear for an account with a published key is stored PGP/MIME
    /// encrypted to that key, Subject included (docs/encryption-at-rest.md). On by default; each user can opt out
    /// (<c>keypost user encrypt-at-rest ADDRESS off</c>).
    /// </summary>
    public bool EncryptAtRest { get; set; } = true;

    /// <summary>
    /// Also encrypt plaintext messages a user stores with IMAP APPEND (e.g. a legacy client's Sent copy). Off by
    /// default: a client that appends expects to read back what it wrote, and a draft it re-opens would come back
    /// encrypted.
    /// </summary>
    public bool EncryptAppendedMessages { get; set; }
}
