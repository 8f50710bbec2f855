using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using MimeKit;

namespace Keypost.Server.Monitoring;

/// <summary>Queues a mail the server writes to one of its owners (key alerts, expiry reminders) durably, for local delivery.</summary>
public static class OwnerMailQueue
{
    /// <summary>Queues <paramref name="message"/> for <paramref name="owner"/>; returns the queue id.</summary>
    public static async Task<string> QueueAsync(MessageQueue queue, MimeMessage message, EmailAddress owner, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        await message.WriteToAsync(format, buffer, cancellationToken);
        buffer.Position = 0;
        // A null reverse-path, as for a DSN (RFC 5321 §4.5.5): an undeliverable notice must not bounce into a loop.
        return await queue.EnqueueAsync(new QueueEnvelope(null, [owner], SmtpUtf8: owner.IsInternational), buffer, cancellationToken);
    }
}
