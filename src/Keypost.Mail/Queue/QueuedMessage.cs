using Keypost.Core.Addresses;

namespace Keypost.Mail.Queue;

/// <summary>A message in the queue: its envelope (reverse path null for &lt;&gt;), size and each recipient's state.</summary>
public sealed record QueuedMessage(
    string Id,
    EmailAddress? ReversePath,
    bool SmtpUtf8,
    bool EightBitMime,
    long Size,
    DateTimeOffset Created,
    IReadOnlyList<QueuedRecipient> Recipients)
{
    /// <summary>The folder local delivery files the message into (intake's choice, e.g. Junk); null for INBOX.</summary>
    public string? Folder { get; init; }

    /// <summary>RFC 8689: sent with REQUIRETLS, so it leaves only over authenticated TLS to a next hop that offers REQUIRETLS.</summary>
    public bool RequireTls { get; init; }
}
