using Keypost.Core.OpenPgp;

namespace Keypost.Server.Gateway;

/// <summary>One domain's gateway and Junk settings, with the additional decryption key already loaded.</summary>
/// <param name="Domain">The domain as a lower-case A-label.</param>
/// <param name="Gateway">Encrypt plaintext submitted by this domain's users (see <see cref="SubmissionGateway"/>).</param>
/// <param name="Disclaimer">Text put in its own unencrypted part beside the encrypted one, or null.</param>
/// <param name="AdditionalDecryptionKey">An organisation's escrow certificate added as a recipient, or null.</param>
/// <param name="FileUnverifiedEncryptedMailInJunk">Receiving side: see <see cref="JunkFiling"/>.</param>
/// <param name="EncryptAtRest">Receiving side: store plaintext mail encrypted to the recipient's key.</param>
/// <param name="EncryptAppendedMessages">Also encrypt what users store with IMAP APPEND.</param>
public sealed record DomainMailPolicy(
    string Domain,
    bool Gateway,
    string? Disclaimer,
    Certificate? AdditionalDecryptionKey,
    bool FileUnverifiedEncryptedMailInJunk,
    bool EncryptAtRest = true,
    bool EncryptAppendedMessages = false);
