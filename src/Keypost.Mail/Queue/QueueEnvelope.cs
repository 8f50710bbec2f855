using Keypost.Core.Addresses;

namespace Keypost.Mail.Queue;

/// <summary>
/// What the queue keeps beside a message: the RFC 5321 envelope (a null reverse-path, &lt;&gt;, is <c>null</c>)
/// with its REQUIRETLS tag (RFC 8689 §4.1: the message stays tagged until it leaves us) and, for local delivery, the folder intake chose (e.g. Junk; null for INBOX). The queue's own type: SMTP's
/// session envelope is turned into it by intake, so the queue does not depend on the SMTP side.
/// </summary>
public sealed record QueueEnvelope(
    EmailAddress? ReversePath,
    IReadOnlyList<EmailAddress> Recipients,
    bool SmtpUtf8 = false,
    bool EightBitMime = false,
    string? Folder = null,
    bool RequireTls = false);
