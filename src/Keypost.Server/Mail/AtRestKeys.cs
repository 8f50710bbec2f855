using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Storage;
using Keypost.Mail.Diagnostics;
using Keypost.Server.Gateway;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Mail;

/// <summary>
/// Whether a recipient's plaintext mail is stored encrypted, and to which certificate: the domain encrypts at rest
/// (or, for IMAP APPEND, encrypts appended messages), the user did not opt out, and the directory holds a current,
/// unrevoked certificate that can encrypt. Otherwise null: the mail is stored as it arrived, as before.
/// </summary>
public sealed class AtRestKeys(DirectoryStore store, DomainMailPolicies policies, TimeProvider clock, ILogger logger)
{
    public async Task<Certificate?> FindAsync(EmailAddress recipient, bool appended, CancellationToken cancellationToken)
    {
        var policy = policies.Find(recipient.Domain);
        if (policy is null || !(appended ? policy.EncryptAppendedMessages : policy.EncryptAtRest))
        {
            return null;
        }

        if (!await store.GetEncryptAtRestAsync(recipient, cancellationToken))
        {
            return null;
        }

        var published = await store.FindCurrentAsync(recipient, cancellationToken);
        if (published is null || published.Revoked)
        {
            return null;
        }

        Certificate certificate;
        try
        {
            certificate = Certificate.Parse(published.Data);
        }
        catch (OpenPgpException e)
        {
            // The directory accepted it once; a certificate that no longer parses is stored mail's problem, not the
            // sender's: store in the clear and say so.
            logger.LogWarning(MailLogEvents.AtRestKeyUnusable, e, "Encryption at rest: the published certificate of {Domain} account cannot be read; storing in the clear", recipient.Domain);
            return null;
        }

        // Encrypted to the key current at delivery (docs/encryption-at-rest.md, "Key changes").
        var now = clock.GetUtcNow();
        return certificate.IsRevoked || certificate.IsExpired(now) || certificate.EncryptionSubkeys(now).Count == 0 ? null : certificate;
    }
}
