using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>
/// The RFC 5321 envelope of one message: a null reverse-path (&lt;&gt;) is <c>null</c>; <see cref="RequireTls"/> is
/// the MAIL FROM REQUIRETLS parameter (RFC 8689).
/// </summary>
public sealed record SmtpEnvelope(
    EmailAddress? ReversePath,
    IReadOnlyList<EmailAddress> Recipients,
    bool SmtpUtf8 = false,
    bool EightBitMime = false,
    bool RequireTls = false)
{
    /// <summary>The queue's envelope for this message; <paramref name="folder"/> is intake's choice for local delivery (e.g. Junk).</summary>
    public Queue.QueueEnvelope ToQueueEnvelope(string? folder = null) => new(ReversePath, Recipients, SmtpUtf8, EightBitMime, folder, RequireTls);
}
