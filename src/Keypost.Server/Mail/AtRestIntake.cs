using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Mail.Diagnostics;
using Keypost.Mail.Queue;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Keypost.Server.Mail;

/// <summary>
/// Encryption at rest at intake (docs/encryption-at-rest.md): after the steps that need the plaintext (DMARC,
/// the Junk decision), each recipient whose mail is to be stored encrypted gets a queue entry of its own that
/// already holds the encrypted form, so the plaintext never reaches the durable queue or the mailbox for them.
/// Everyone else shares the plaintext entry, as before.
/// </summary>
public sealed class AtRestIntake(AtRestKeys keys, AtRestEncryptor encryptor, MessageQueue queue, ILogger logger)
{
    /// <summary>
    /// The recipients whose copy is to be encrypted, each with the certificate current now; none when the message
    /// is already encrypted (PGP/MIME, inline PGP, S/MIME: never encrypt twice).
    /// </summary>
    public async Task<IReadOnlyList<(EmailAddress Recipient, Certificate Certificate)>> PlanAsync(
        MimeMessage message, IReadOnlyList<EmailAddress> recipients, CancellationToken cancellationToken)
    {
        var plan = new List<(EmailAddress, Certificate)>();
        foreach (var recipient in recipients.Distinct())
        {
            if (await keys.FindAsync(recipient, appended: false, cancellationToken) is { } certificate)
            {
                plan.Add((recipient, certificate));
            }
        }

        if (plan.Count == 0)
        {
            return plan;
        }

        var existing = await EncryptionDetector.DetectAsync(message, cancellationToken);
        if (existing != ExistingEncryption.None)
        {
            logger.LogDebug(MailLogEvents.AtRestEncrypted, "Encryption at rest: the message is already encrypted ({Existing}); stored as it is", existing);
            return [];
        }

        return plan;
    }

    /// <summary>
    /// Queues one encrypted copy per planned recipient: <paramref name="traceFields"/> (this server's Received and
    /// Authentication-Results, which stay outside), then the encrypted form of <paramref name="original"/> read
    /// from <paramref name="start"/>. Returns the queue ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> EnqueueAsync(
        QueueEnvelope envelope,
        IReadOnlyList<(EmailAddress Recipient, Certificate Certificate)> plan,
        ReadOnlyMemory<byte> traceFields,
        MimeMessage message,
        Stream original,
        long start,
        CancellationToken cancellationToken)
    {
        var ids = new List<string>(plan.Count);
        foreach (var (recipient, certificate) in plan)
        {
            var id = await queue.EnqueueAsync(
                envelope with { Recipients = [recipient] },
                async (file, ct) =>
                {
                    await file.WriteAsync(traceFields, ct);
                    original.Position = start;
                    await encryptor.WriteEncryptedAsync(message, original, [certificate], file, ct);
                },
                cancellationToken);
            logger.LogInformation(MailLogEvents.AtRestEncrypted, "Queued {QueueId}: stored encrypted at rest for a {Domain} account to {Fingerprint}", id, recipient.Domain, certificate.Fingerprint);
            ids.Add(id);
        }

        return ids;
    }
}
